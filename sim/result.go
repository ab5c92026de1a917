package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// Version is natsim's version, written into every result.
const Version = "0.1.0"

// Result is the result object (docs/model.md, section 9): one run, or the
// mean over replications with 95% confidence half-widths in CI95.
type Result struct {
	Version      string        `json:"natsim_version"`
	Scenario     string        `json:"scenario"`
	Seed         uint64        `json:"seed"`
	Replications int           `json:"replications"`
	DurationS    float64       `json:"duration_s"`
	WarmupS      float64       `json:"warmup_s"`
	Groups       []GroupResult `json:"groups"`
	Middleboxes  []BoxResult   `json:"middleboxes"`
	Events       float64       `json:"events"`
	// Sample, in a sampled run, says which part of the population was
	// simulated; the counts of Groups and Middleboxes are then the
	// sample's (SampleResult says how to scale them).
	Sample *SampleResult `json:"sample,omitempty"`
	// WallS is wall-clock seconds; left out unless asked for, so that
	// results are byte-identical for the same scenario and seed.
	WallS *float64 `json:"wall_s,omitempty"`
}

// GroupResult holds one client group's metrics (docs/model.md, section 9).
type GroupResult struct {
	Name string `json:"name"`
	// Protocol is the group's transport, "tcp" or "udp": which of its
	// middleboxes' timeouts (BoxResult.Timeouts) it meets.
	Protocol                 string  `json:"protocol"`
	Clients                  float64 `json:"clients"`
	ClientHours              float64 `json:"client_hours"`
	Breaks                   Breaks  `json:"breaks"`
	BreaksPer1000ClientHours float64 `json:"breaks_per_1000_client_hours"`
	Remaps                   float64 `json:"remaps"`
	// Rebindings counts UDP flows that a box gave a new port and whose
	// server followed the new address (udp_rebinding follow): they
	// survived, though not as remaps.
	Rebindings          float64 `json:"rebindings"`
	OrphanedAtEnd       float64 `json:"orphaned_at_end"`
	RefusedOpens        float64 `json:"refused_opens"` // connection attempts that met a full table
	Reconnects          float64 `json:"reconnects"`
	SpuriousDisconnects float64 `json:"spurious_disconnects"`
	Detection           Latency `json:"detection_latency_s"`
	LostDown            float64 `json:"lost_down"`
	LostUp              float64 `json:"lost_up"`
	// HeldAtEnd counts TCP messages (either way) still held up at the end
	// by an orphan that no packet had decided: neither lost nor delivered.
	HeldAtEnd float64 `json:"held_at_end"`
	// PushDelay is the delivery delay of the down messages delivered,
	// seconds: the one-way delay, one RTO more for a lost packet, or as
	// long as a message was held up by an orphan that turned out a remap.
	PushDelay        Delay    `json:"push_delay_s"`
	SentDown         float64  `json:"sent_down"`
	SentUp           float64  `json:"sent_up"`
	DowntimeFraction float64  `json:"downtime_fraction"`
	Overhead         Overhead `json:"overhead"`
	// Radio is the energy of the group's radios, for a group with one.
	Radio RadioResult `json:"radio,omitzero"`
	// Adaptive is set for a group with adaptive keepalives.
	Adaptive *AdaptiveResult `json:"adaptive,omitempty"`
	// Server is set for a group whose server enforces a ping policy.
	Server *ServerResult `json:"server,omitempty"`
	// The numbers of a request-driven group (all 0 for others): requests
	// issued in the window and finished by its end, by outcome; failures
	// per million; how long failed requests hung in a blackhole (s);
	// latency beyond one round trip and the service time that
	// successful requests paid for new connections, validation and
	// retries (s); connections opened per 1000 requests; idle pooled
	// connections found closed at borrow; the mean idle connections per
	// client.
	Requests                      float64        `json:"requests"`
	RequestsOKReused              float64        `json:"requests_ok_reused"`
	RequestsOKNew                 float64        `json:"requests_ok_new"`
	RequestsRetriedOK             float64        `json:"requests_retried_ok"`
	RequestsFailed                RequestsFailed `json:"requests_failed"`
	FailedPerMillionRequests      float64        `json:"failed_per_million_requests"`
	Hung                          Delay          `json:"hung_s"`
	AddedLatency                  Spread         `json:"added_latency_s"`
	NewConnectionsPer1000Requests float64        `json:"new_connections_per_1000_requests"`
	PoolDiscarded                 float64        `json:"pool_discarded"`
	PoolMeanIdle                  float64        `json:"pool_mean_idle"`
	CI95                          *CI95          `json:"ci95,omitempty"`
	// Paths, for a group that mixes paths, holds each path's own numbers:
	// those of the clients that drew it. The group's numbers are those of
	// all its clients, counted together (not a mean of the paths').
	Paths []PathResult `json:"paths,omitempty"`
}

// PathResult is one path of a group that mixes paths: the boxes it
// crosses, the share of the group's clients that drew it, and the
// metrics of those clients, named GROUP.paths.I (I from 0, in the order
// the file lists them).
type PathResult struct {
	Via   []string `json:"via"`   // middleboxes, client side first
	Share float64  `json:"share"` // of the group's clients, in [0, 1]
	GroupResult
}

// ServerResult is what a group's server did under its ping policy.
type ServerResult struct {
	// GoAways counts the GOAWAYs too_many_pings that reached clients;
	// each closed its connection, and the client doubled its interval.
	GoAways float64 `json:"goaways"`
}

// AdaptiveResult is what a group's adaptive heartbeats learned and cost.
type AdaptiveResult struct {
	// Interval is the learned interval, seconds: its distribution over
	// the clients at the end of the run (p10, p50, p90) and its mean over
	// clients and the measured window, weighted by time.
	Interval IntervalStats `json:"keepalive_interval_s"`
	// Failures counts heartbeats not answered within the ack timeout
	// (each closed its connection); FailureReconnects the connections set
	// up to replace them.
	Failures          float64 `json:"failures"`
	FailureReconnects float64 `json:"failure_reconnects"`
}

// IntervalStats summarises adaptive intervals, seconds.
type IntervalStats struct {
	P10  float64 `json:"p10"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	Mean float64 `json:"mean"`
}

// RequestsFailed counts failed requests by cause.
type RequestsFailed struct {
	Total         float64 `json:"total"`
	ResetOnReuse  float64 `json:"reset_on_reuse"`  // a box's loss of the flow made the server or the box answer RST
	ClosedOnReuse float64 `json:"closed_on_reuse"` // sent on a connection the server or a box had closed
	LB502         float64 `json:"lb_502"`          // an L7 box's backend connection had been closed under it
	TimedOutHung  float64 `json:"timed_out_hung"`  // hung in a blackhole until the timeout or TCP's give-up
	RefusedOpen   float64 `json:"refused_open"`    // a full table refused the new connection
}

// Spread summarises a sample, seconds: its median and 99th percentile.
type Spread struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

// Breaks counts breaks by cause.
type Breaks struct {
	Total         float64 `json:"total"`
	IdleTimeout   float64 `json:"idle_timeout"`
	LRUEviction   float64 `json:"lru_eviction"`
	EarlyDrop     float64 `json:"early_drop"`
	ResetOnExpire float64 `json:"reset_on_expire"`
}

// Latency summarises detection latencies, seconds.
type Latency struct {
	P50        float64 `json:"p50"`
	P90        float64 `json:"p90"`
	P99        float64 `json:"p99"`
	Max        float64 `json:"max"`
	Undetected float64 `json:"undetected"`
}

// Delay summarises delivery delays, seconds.
type Delay struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Overhead is the traffic that keepalives and reconnects cost.
type Overhead struct {
	KeepalivePackets            float64 `json:"keepalive_packets"`
	KeepaliveBytes              float64 `json:"keepalive_bytes"`
	ReconnectPackets            float64 `json:"reconnect_packets"`
	ReconnectBytes              float64 `json:"reconnect_bytes"`
	KeepaliveBytesPerClientHour float64 `json:"keepalive_bytes_per_client_hour"`
	OverheadBytesPerClientHour  float64 `json:"overhead_bytes_per_client_hour"`
	// KeepaliveRateBytesPerClientHour is the keepalive bytes of each beat
	// (a probe or ping and its answer) weighted by the share of the beat's
	// gap inside the window, over client_hours: unlike
	// KeepaliveBytesPerClientHour it does not jump with how many beats
	// fit in the window (exact for periodic beats).
	KeepaliveRateBytesPerClientHour float64 `json:"keepalive_rate_bytes_per_client_hour"`
	// CostBytesPerClientHour is KeepaliveRateBytesPerClientHour plus the
	// reconnect bytes per client-hour: the cost a target minimises.
	CostBytesPerClientHour float64 `json:"cost_bytes_per_client_hour"`
}

// CI95 holds 95% confidence half-widths of a group's rates and fractions
// over replications (Student's t). It mirrors GroupResult: the half-width
// of the number at path P of a group is at ci95.P (GroupCIMetrics lists
// the paths).
type CI95 struct {
	BreaksPer1000ClientHours float64 `json:"breaks_per_1000_client_hours"`
	DowntimeFraction         float64 `json:"downtime_fraction"`
	OverheadCI95             `json:"overhead"`
	Radio                    RadioCI95 `json:"radio,omitzero"`
}

// OverheadCI95 holds the half-widths of the per-client-hour rates of
// Overhead; embedded in CI95 so that the JSON nests as GroupResult does.
type OverheadCI95 struct {
	KeepaliveBytesPerClientHour float64 `json:"keepalive_bytes_per_client_hour"`
	OverheadBytesPerClientHour  float64 `json:"overhead_bytes_per_client_hour"`
	CostBytesPerClientHour      float64 `json:"cost_bytes_per_client_hour"`
}

// BoxCI95 holds the 95% confidence half-widths of a middlebox's numbers,
// mirroring BoxResult as CI95 mirrors GroupResult (BoxCIMetrics).
type BoxCI95 struct {
	MeanOccupancy float64 `json:"mean_occupancy"`
}

// Timeouts are a middlebox's idle timeouts, seconds: configuration, not
// measurement, given in the result so that every point of a sweep says
// what it ran with.
type Timeouts struct {
	TCPEstablished float64 `json:"tcp_established"`
	TCPTransitory  float64 `json:"tcp_transitory"`
	UDP            float64 `json:"udp"`
	UDPStream      float64 `json:"udp_stream"`
}

// BoxResult holds one middlebox's metrics.
type BoxResult struct {
	Name     string  `json:"name"`
	Capacity float64 `json:"capacity"` // entries; 0 is unlimited
	// Timeouts are the box's idle timeouts, seconds. A setting drawn per
	// instance (capacity too) shows its distribution's mean.
	Timeouts Timeouts `json:"timeouts_s"`
	// Instances is 1 for a shared box; for a per-client box, the clients
	// that had a packet through it, each with an instance of its own. The
	// occupancies of a per-client box are per instance: its mean, start
	// and end occupancy are the entries of all instances together divided
	// by Instances, its max the most entries any one instance held (and
	// the lifetime and age sums behind Little's law are divided likewise).
	Instances     float64 `json:"instances"`
	MeanOccupancy float64 `json:"mean_occupancy"`
	MaxOccupancy  float64 `json:"max_occupancy"`
	Inserts       float64 `json:"inserts"`
	Evictions     float64 `json:"evictions"`
	Expiries      float64 `json:"expiries"`
	EarlyDrops    float64 `json:"early_drops"`
	// RefusedOpens counts connection set-ups the full table had no room
	// for; RefusedPackets, other packets it had no room for (those of
	// flows whose entries had been removed).
	RefusedOpens   float64 `json:"refused_opens"`
	RefusedPackets float64 `json:"refused_packets"`
	Remaps         float64 `json:"remaps"`
	Breaks         float64 `json:"breaks"`
	// StartOccupancy and EndOccupancy are the entries held at the edges of
	// the window; MeanEntryLifetimeS is the mean creation-to-removal time
	// of the entries removed in it (Little's law: mean occupancy = inserts
	// per second x mean lifetime, up to the edges).
	StartOccupancy     float64 `json:"start_occupancy"`
	EndOccupancy       float64 `json:"end_occupancy"`
	MeanEntryLifetimeS float64 `json:"mean_entry_lifetime_s"`
	// Sums of entry lifetimes and edge ages, seconds, for Little's law.
	LifetimeSumS float64  `json:"-"`
	StartAgeSumS float64  `json:"-"`
	EndAgeSumS   float64  `json:"-"`
	CI95         *BoxCI95 `json:"ci95,omitempty"`
}

// Aggregate combines the replications of one scenario into a Result:
// every number is the mean over runs; with two runs or more, CI95 holds
// the half-widths of the group rates and fractions and of the boxes'
// mean occupancy. Configuration (capacity, timeouts) is copied, not
// averaged.
func Aggregate(cfg *Config, runs []*RunResult) *Result {
	r := &Result{
		Version: Version, Scenario: cfg.Name, Seed: cfg.Seed, Replications: len(runs),
		DurationS: cfg.Duration.Seconds(), WarmupS: cfg.Warmup.Seconds(),
	}
	for _, run := range runs {
		r.Events += float64(run.Events) / float64(len(runs))
	}
	for gi := range runs[0].Groups {
		r.Groups = append(r.Groups, aggregateGroup(column(runs, func(run *RunResult) GroupResult { return run.Groups[gi] })))
	}
	for bi := range runs[0].Middleboxes {
		xs := column(runs, func(run *RunResult) BoxResult { return run.Middleboxes[bi] })
		b := meanOf(xs)
		b.Capacity, b.Timeouts = xs[0].Capacity, xs[0].Timeouts
		if len(runs) > 1 {
			b.CI95 = &BoxCI95{MeanOccupancy: halfWidth(xs, func(b BoxResult) float64 { return b.MeanOccupancy })}
		}
		r.Middleboxes = append(r.Middleboxes, b)
	}
	r.Sample = aggregateSample(runs)
	return r
}

// aggregateSample is the runs' sample: the clients are the same in every
// replication, but in a group that mixes paths each replication draws
// their paths anew, so a box's numbers are means over the runs.
func aggregateSample(runs []*RunResult) *SampleResult {
	if runs[0].Sample == nil {
		return nil
	}
	out := *runs[0].Sample
	out.Middleboxes = nil
	for bi := range runs[0].Sample.Middleboxes {
		out.Middleboxes = append(out.Middleboxes, meanOf(column(runs, func(run *RunResult) SampleBox { return run.Sample.Middleboxes[bi] })))
	}
	return &out
}

// aggregateGroup combines one group's results of every run, and each of
// its paths' likewise.
func aggregateGroup(xs []GroupResult) GroupResult {
	g := meanOf(xs)
	if len(xs) > 1 {
		g.CI95 = &CI95{
			BreaksPer1000ClientHours: halfWidth(xs, func(g GroupResult) float64 { return g.BreaksPer1000ClientHours }),
			DowntimeFraction:         halfWidth(xs, func(g GroupResult) float64 { return g.DowntimeFraction }),
			OverheadCI95: OverheadCI95{
				KeepaliveBytesPerClientHour: halfWidth(xs, func(g GroupResult) float64 { return g.Overhead.KeepaliveBytesPerClientHour }),
				OverheadBytesPerClientHour:  halfWidth(xs, func(g GroupResult) float64 { return g.Overhead.OverheadBytesPerClientHour }),
				CostBytesPerClientHour:      halfWidth(xs, func(g GroupResult) float64 { return g.Overhead.CostBytesPerClientHour }),
			},
			Radio: RadioCI95{
				EnergyJPerClientHour:          halfWidth(xs, func(g GroupResult) float64 { return g.Radio.EnergyJPerClientHour }),
				KeepaliveEnergyJPerClientHour: halfWidth(xs, func(g GroupResult) float64 { return g.Radio.KeepaliveEnergyJPerClientHour }),
				BatteryPercentPerDay:          halfWidth(xs, func(g GroupResult) float64 { return g.Radio.BatteryPercentPerDay }),
			},
		}
	}
	g.Paths = nil
	for pi := range xs[0].Paths {
		ps := make([]PathResult, len(xs))
		gs := make([]GroupResult, len(xs))
		for i := range xs {
			ps[i], gs[i] = xs[i].Paths[pi], xs[i].Paths[pi].GroupResult
		}
		p := meanOf(ps)
		p.GroupResult = aggregateGroup(gs)
		g.Paths = append(g.Paths, p)
	}
	return g
}

// column picks one value out of every run.
func column[T any](runs []*RunResult, pick func(*RunResult) T) []T {
	xs := make([]T, len(runs))
	for i, run := range runs {
		xs[i] = pick(run)
	}
	return xs
}

// meanOf averages every float64 field of xs (recursively); other fields
// are taken from the first element.
func meanOf[T any](xs []T) T {
	out := xs[0]
	dst := reflect.ValueOf(&out).Elem()
	for i := range xs[1:] {
		addFloats(dst, reflect.ValueOf(xs[i+1]))
	}
	scaleFloats(dst, 1/float64(len(xs)))
	return out
}

// addFloats adds src's float64 fields to dst's, through nested structs
// and pointers to structs set in both (a pointer of dst is first
// replaced by a copy, so that the run it came from is left alone).
func addFloats(dst, src reflect.Value) {
	for i := range dst.NumField() {
		switch f := dst.Field(i); f.Kind() {
		case reflect.Float64:
			f.SetFloat(f.Float() + src.Field(i).Float())
		case reflect.Struct:
			addFloats(f, src.Field(i))
		case reflect.Pointer:
			if sf := src.Field(i); !f.IsNil() && !sf.IsNil() && f.Elem().Kind() == reflect.Struct {
				cp := reflect.New(f.Elem().Type())
				cp.Elem().Set(f.Elem())
				f.Set(cp)
				addFloats(cp.Elem(), sf.Elem())
			}
		}
	}
}

// scaleFloats multiplies v's float64 fields by k, through nested structs
// and pointers to structs.
func scaleFloats(v reflect.Value, k float64) {
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.Float64:
			f.SetFloat(f.Float() * k)
		case reflect.Struct:
			scaleFloats(f, k)
		case reflect.Pointer:
			if !f.IsNil() && f.Elem().Kind() == reflect.Struct && k != 1 {
				scaleFloats(f.Elem(), k)
			}
		}
	}
}

// halfWidth is the half-width of the 95% confidence interval of the mean
// of f over xs.
func halfWidth[T any](xs []T, f func(T) float64) float64 {
	vals := make([]float64, len(xs))
	for i, x := range xs {
		vals[i] = f(x)
	}
	_, hw := MeanCI95(vals)
	return hw
}

// MeanCI95 returns the mean of xs and the half-width of its 95%
// confidence interval, t(0.975, n-1) s / sqrt(n) (0 for fewer than two).
func MeanCI95(xs []float64) (mean, halfWidth float64) {
	mean, se := MeanSE(xs)
	if len(xs) < 2 {
		return mean, 0
	}
	return mean, TQuantile(0.975, len(xs)-1) * se
}

// MeanSE returns the mean of xs and its standard error s / sqrt(n), with
// s the sample standard deviation (0 for fewer than two).
func MeanSE(xs []float64) (mean, se float64) {
	n := float64(len(xs))
	var sum, sq float64
	for _, x := range xs {
		sum += x
	}
	mean = sum / n
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sq/(n-1)) / math.Sqrt(n)
}

// TQuantile returns the p-quantile of Student's t with df degrees of
// freedom.
func TQuantile(p float64, df int) float64 {
	if df < 1 {
		return math.NaN()
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Num writes a metric for people: whole numbers as such, others with four
// significant digits, never in exponent form above 1e-4.
func Num(v float64) string {
	switch a := math.Abs(v); {
	case v == math.Trunc(v) && a < 1e15, a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1e-4:
		return strconv.FormatFloat(v, 'f', max(0, 3-int(math.Floor(math.Log10(a)))), 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// WriteSeriesCSV writes a run's time series: one row per sample and
// middlebox.
func WriteSeriesCSV(w io.Writer, cfg *Config, run *RunResult) error {
	var b strings.Builder
	b.WriteString("t_s,middlebox,capacity,occupancy,breaks\n")
	for i, series := range run.Series {
		for _, p := range series {
			fmt.Fprintf(&b, "%s,%s,%d,%d,%d\n", strconv.FormatFloat(p.At.Seconds(), 'f', -1, 64),
				cfg.Path[i].Name, cfg.Path[i].Capacity, p.Occupancy, p.Breaks)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteIntervalsCSV writes a run's adaptive interval series: one row per
// sample and group with adaptive keepalives, the mean interval in force
// over the group's clients that have started, seconds.
func WriteIntervalsCSV(w io.Writer, run *RunResult) error {
	var b strings.Builder
	b.WriteString("t_s,group,mean_interval_s\n")
	for _, series := range run.Intervals {
		for _, p := range series.Samples {
			fmt.Fprintf(&b, "%s,%s,%s\n", strconv.FormatFloat(p.At.Seconds(), 'f', -1, 64), series.Group, strconv.FormatFloat(p.MeanS, 'f', -1, 64))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
