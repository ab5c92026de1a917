package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/radio"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// Reference is the reference workload (docs/sources.md, "Performance
// baselines") with the given number of clients and simulated time: TCP
// clients with no data, app heartbeats every 60 s ± 6 s of 40 B each
// way over a zero-RTT path, through one LRU table of capacity
// 0.8 x clients with a 300 s established timeout that
// re-creates entries with the same port. At 100,000 clients and one hour
// it is about 6 million heartbeats, nearly all of which find their entry
// evicted (the all-miss path of LRU under cyclic access).
func Reference(clients int, duration time.Duration) *sim.Config {
	return &sim.Config{
		Name: "reference", Seed: 1, Duration: duration,
		Path: []sim.Middlebox{{Name: "nat", Config: nat.Config{
			Capacity: clients * 8 / 10, WhenFull: nat.LRU,
			Timeouts:       nat.Timeouts{TCPEstablished: 300 * time.Second, TCPTransitory: 120 * time.Second, UDP: 30 * time.Second, UDPStream: 120 * time.Second},
			RefreshInbound: true, RefreshOnKeepalive: true,
			UnknownOutbound: nat.Create, UnknownInbound: nat.SendReset, PortPreservation: true,
		}}},
		Groups: []sim.Group{{
			Name: "app", Count: clients, Proto: nat.TCP, StartSpread: time.Minute,
			Keepalive: sim.Keepalive{Type: sim.KeepaliveApp, Interval: time.Minute, Jitter: 6 * time.Second,
				Timeout: 10 * time.Second, Misses: 2, RequestBytes: 40, ResponseBytes: 40},
			Reconnect:         sim.Reconnect{Backoff: time.Second, MaxBackoff: time.Minute, HandshakePackets: 3, HandshakeBytes: 172},
			RetransmitTimeout: 924600 * time.Millisecond,
		}},
	}
}

// WithRadio gives every client of cfg the radio preset named: the
// reference workload with radios measures what the radio model costs per
// packet. It fails on an unknown preset.
func WithRadio(cfg *sim.Config, preset string) error {
	for i := range cfg.Groups {
		p, ok := radio.Preset(preset)
		if !ok {
			return fmt.Errorf("bench: unknown radio preset %q; presets: %s", preset, strings.Join(radio.Presets(), ", "))
		}
		cfg.Groups[i].Radio = &p
	}
	return nil
}

// Adaptive is the reference workload with an adaptive keepalive (Mars,
// its preset's parameters, 8 s ack timeout, 40 B each way) on every
// client instead of the fixed 60 s heartbeat: its cost per packet,
// against the reference's, is the price of the algorithm and its side
// state.
func Adaptive(clients int, duration time.Duration) *sim.Config {
	cfg := Reference(clients, duration)
	cfg.Name = "adaptive"
	cfg.Groups[0].Keepalive = sim.Keepalive{Type: sim.KeepaliveAdaptive, Timeout: 8 * time.Second,
		RequestBytes: 40, ResponseBytes: 40, Adaptive: sim.AdaptiveDefaults(sim.PresetMars)}
	return cfg
}

// Households is the per-client workload: clients each behind a home
// router of their own (a per-client box whose TCP established timeout is
// drawn per household from 300 s, 3,600 s and 7,440 s), then one shared
// carrier-grade NAT of unlimited capacity (300 s established timeout),
// with app heartbeats every 60 s ± 6 s of 40 B each way over a zero-RTT
// path: nothing breaks, so it measures what the boxes cost. Without home
// it is the same clients through the CGNAT alone, the baseline against
// which the home routers' cost is measured.
func Households(clients int, duration time.Duration, home bool) *sim.Config {
	cfg := Reference(clients, duration)
	cfg.Name = "households"
	cgnat := cfg.Path[0]
	cgnat.Name, cgnat.Capacity = "cgnat", 0
	cfg.Path = []sim.Middlebox{cgnat}
	if home {
		router := sim.Middlebox{Name: "home", Config: cgnat.Config, PerClient: true}
		router.Draws.TCPEstablished = sim.Dist{Kind: sim.Empirical, Choice: &sim.Choice{
			Values: []time.Duration{300 * time.Second, 3600 * time.Second, 7440 * time.Second}, Weights: []float64{1, 1, 1}}}
		cfg.Path = []sim.Middlebox{router, cgnat}
	}
	return cfg
}

// Report is one measured run.
type Report struct {
	Clients          int     `json:"clients"` // simulated (with sampling, the sample)
	SimulatedS       float64 `json:"simulated_s"`
	WallS            float64 `json:"wall_s"`
	Heartbeats       uint64  `json:"heartbeats"`
	Events           uint64  `json:"events"`
	Packets          uint64  `json:"packets"`
	HeartbeatsPerS   float64 `json:"heartbeats_per_s"`
	EventsPerS       float64 `json:"events_per_s"`
	PacketsPerS      float64 `json:"packets_per_s"`
	NsPerPacket      float64 `json:"ns_per_packet"`
	LiveHeapBytes    uint64  `json:"live_heap_bytes"` // after a forced collection half-way through
	LivePerClientB   float64 `json:"live_heap_per_client_bytes"`
	PeakHeapBytes    uint64  `json:"peak_heap_bytes"`
	PeakRSSBytes     uint64  `json:"peak_rss_bytes"`
	HeapPerClientB   float64 `json:"peak_heap_per_client_bytes"`
	RSSPerClientB    float64 `json:"peak_rss_per_client_bytes"`
	RSSMeasured      bool    `json:"rss_measured"`
	GCCycles         uint32  `json:"gc_cycles"`
	EstimateBytes    int64   `json:"estimate_bytes"`
	EstimatePerClntB float64 `json:"estimate_per_client_bytes"`
}

// Measure runs cfg once and measures it. Heartbeats are app keepalive
// exchanges (a ping and its pong), counted from the keepalive packets.
// reached, if not nil, is told the simulated time now and then, for a
// progress display. Once ctx is done the run stops with sim.ErrStopped.
func Measure(ctx context.Context, cfg *sim.Config, reached func(time.Duration)) (Report, *sim.RunResult, error) {
	clients := 0
	for _, g := range cfg.Groups {
		clients += g.Count
	}
	runtime.GC()
	resetPeakRSS()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc0 := ms.NumGC
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peakHeap, live uint64
	progress := func(at time.Duration) bool {
		if live == 0 && at >= cfg.Duration/2 {
			// What the run really holds: collect once, half-way through.
			runtime.GC()
			metrics.Read(sample)
			live = sample[0].Value.Uint64()
		}
		metrics.Read(sample)
		peakHeap = max(peakHeap, sample[0].Value.Uint64())
		if reached != nil {
			reached(at)
		}
		return ctx.Err() == nil
	}
	start := time.Now()
	run, err := sim.Run(cfg, 0, progress)
	wall := time.Since(start).Seconds()
	if err != nil {
		return Report{}, nil, err
	}
	metrics.Read(sample)
	peakHeap = max(peakHeap, sample[0].Value.Uint64())
	runtime.ReadMemStats(&ms)
	rss, ok := peakRSS()
	var ka float64
	for _, g := range run.Groups {
		ka += g.Overhead.KeepalivePackets
	}
	if run.Sample != nil {
		clients = int(run.Sample.Clients) // per-client figures are of the clients simulated
	}
	r := Report{Clients: clients, SimulatedS: cfg.Duration.Seconds(), WallS: wall,
		Heartbeats: uint64(ka / 2), Events: run.Events, Packets: run.Packets,
		LiveHeapBytes: live, PeakHeapBytes: peakHeap, PeakRSSBytes: rss, RSSMeasured: ok, GCCycles: ms.NumGC - gc0,
		EstimateBytes: cfg.EstimateBytes()}
	r.HeartbeatsPerS = float64(r.Heartbeats) / wall
	r.EventsPerS = float64(r.Events) / wall
	r.PacketsPerS = float64(r.Packets) / wall
	r.NsPerPacket = wall * 1e9 / float64(max(r.Packets, 1))
	r.HeapPerClientB = float64(peakHeap) / float64(clients)
	r.LivePerClientB = float64(live) / float64(clients)
	r.RSSPerClientB = float64(rss) / float64(clients)
	r.EstimatePerClntB = float64(r.EstimateBytes) / float64(clients)
	return r, run, nil
}

// resetPeakRSS resets the kernel's record of peak resident memory
// (Linux: writing 5 to /proc/self/clear_refs), so that VmHWM measures this
// run; elsewhere it does nothing.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads VmHWM, the peak resident set size, from /proc/self/status.
func peakRSS() (uint64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// Busy is the shipped scenario used to check that a busy workload (data
// both ways, TCP keepalive, a 40 ms RTT) costs no more than twice the
// reference per packet.
const Busy = "scenarios/aws-nat-gateway-grpc.yaml"

// BusyConfig is Busy's configuration, from the copy built into the
// binary.
func BusyConfig() (*sim.Config, error) {
	name := strings.TrimPrefix(Busy, "scenarios/")
	data, err := scenarios.Examples.ReadFile(name)
	if err != nil {
		return nil, err
	}
	sc, err := scenarios.Parse(Busy, data, nil)
	if err != nil {
		return nil, err
	}
	return &sc.Config, nil
}
