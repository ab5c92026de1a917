package bench

import (
	"context"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// SamplingCase is one workload of the sampling accuracy benchmark: a
// table that --sample must scale, or one it must leave alone.
type SamplingCase struct {
	Name string
	What string // for people
	// Config is the workload at clients clients over duration.
	Config func(clients int, duration time.Duration) *sim.Config
}

// SamplingCases are the workloads whose sampled runs the benchmark holds
// against their full runs: an LRU table below the population under
// heartbeats (the cyclic collapse) and under Poisson traffic, a table
// with only an idle timeout, and a table that refuses new flows when
// full.
var SamplingCases = []SamplingCase{
	{"lru-cyclic", "LRU table of 80% of the clients, app heartbeats every 60 s ± 6 s, random ports (the reference workload, whose evictions then break)",
		func(n int, d time.Duration) *sim.Config {
			cfg := Reference(n, d)
			cfg.Path[0].PortPreservation = false
			return cfg
		}},
	{"lru-poisson", "LRU table of 80% of the clients, messages up at exponential gaps of mean 2 min, no keepalive",
		func(n int, d time.Duration) *sim.Config { return poisson(n, d, n*8/10, nat.LRU) }},
	{"timeout-only", "no capacity, 4 min idle timeout, messages up at exponential gaps of mean 2 min",
		func(n int, d time.Duration) *sim.Config { return poisson(n, d, 0, nat.LRU) }},
	{"refuse", "table of 80% of the clients that refuses new flows when full, 4 min idle timeout, messages up at exponential gaps of mean 2 min",
		func(n int, d time.Duration) *sim.Config { return poisson(n, d, n*8/10, nat.Refuse) }},
}

// poisson is a population of TCP clients without keepalive that send a
// message up at exponential gaps of mean 2 min through one table of the
// given capacity and policy with a 4 min established timeout and random
// ports: a gap longer than the timeout, or an entry evicted, breaks the
// connection at the next message.
func poisson(clients int, duration time.Duration, capacity int, full nat.WhenFull) *sim.Config {
	cfg := Reference(clients, duration)
	cfg.Name = "poisson"
	m := &cfg.Path[0].Config
	m.Capacity, m.WhenFull, m.PortPreservation = capacity, full, false
	m.Timeouts.TCPEstablished = 4 * time.Minute
	g := &cfg.Groups[0]
	g.Keepalive = sim.Keepalive{}
	g.Up = sim.Traffic{Interval: sim.Dist{Kind: sim.Exponential, A: 2 * time.Minute}, Bytes: 100}
	return cfg
}

// SamplingRow is one workload's accuracy: its rates per client-hour in
// the full run and, averaged over Salts salts, in runs sampled at
// Fraction, and the relative errors of the sampled means.
type SamplingRow struct {
	Case              string  `json:"case"`
	Clients           int     `json:"clients"`
	Fraction          float64 `json:"fraction"`
	Salts             int     `json:"salts"`
	SampledClients    float64 `json:"sampled_clients"` // mean over salts
	FullBreaks        float64 `json:"full_breaks_per_client_hour"`
	SampledBreaks     float64 `json:"sampled_breaks_per_client_hour"`
	BreaksError       float64 `json:"breaks_relative_error"`
	FullEvictions     float64 `json:"full_evictions_per_client_hour"`
	SampledEvictions  float64 `json:"sampled_evictions_per_client_hour"`
	EvictionsError    float64 `json:"evictions_relative_error"`
	FullRefused       float64 `json:"full_refused_per_client_hour"` // opens and packets a full table had no room for
	SampledRefused    float64 `json:"sampled_refused_per_client_hour"`
	RefusedError      float64 `json:"refused_relative_error"`
	FullWallS         float64 `json:"full_wall_s"`
	SampledWallS      float64 `json:"sampled_wall_s"` // of all salts together
	SampledCapacities []int   `json:"sampled_capacities"`
}

// rates are a run's breaks, evictions and refusals per client-hour.
type rates struct{ breaks, evictions, refused float64 }

func ratesOf(r *sim.RunResult) rates {
	var hours, out rates
	for _, g := range r.Groups {
		hours.breaks += g.ClientHours
		out.breaks += g.Breaks.Total
	}
	for _, b := range r.Middleboxes {
		out.evictions += b.Evictions
		out.refused += b.RefusedOpens + b.RefusedPackets
	}
	h := max(hours.breaks, 1e-300)
	return rates{out.breaks / h, out.evictions / h, out.refused / h}
}

// Sampling runs c in full at clients clients over duration, then sampled
// at fraction with salts 1 to salts, and compares their rates. reached,
// if not nil, is told each run's simulated time now and then.
func Sampling(ctx context.Context, c SamplingCase, clients int, duration time.Duration, fraction float64, salts int, reached func(time.Duration)) (SamplingRow, error) {
	row := SamplingRow{Case: c.Name, Clients: clients, Fraction: fraction, Salts: salts}
	progress := func(at time.Duration) bool {
		if reached != nil {
			reached(at)
		}
		return ctx.Err() == nil
	}
	cfg := c.Config(clients, duration)
	start := time.Now()
	full, err := sim.Run(cfg, 0, progress)
	if err != nil {
		return row, err
	}
	row.FullWallS = time.Since(start).Seconds()
	f := ratesOf(full)
	row.FullBreaks, row.FullEvictions, row.FullRefused = f.breaks, f.evictions, f.refused
	start = time.Now()
	for salt := 1; salt <= salts; salt++ {
		cfg.Sampling = sim.Sampling{Fraction: fraction, Salt: uint64(salt)}
		run, err := sim.Run(cfg, 0, progress)
		if err != nil {
			return row, err
		}
		s := ratesOf(run)
		row.SampledBreaks += s.breaks / float64(salts)
		row.SampledEvictions += s.evictions / float64(salts)
		row.SampledRefused += s.refused / float64(salts)
		row.SampledClients += run.Sample.Clients / float64(salts)
		row.SampledCapacities = append(row.SampledCapacities, int(run.Sample.Middleboxes[0].ScaledCapacity))
	}
	row.SampledWallS = time.Since(start).Seconds()
	row.BreaksError = relErr(row.SampledBreaks, row.FullBreaks)
	row.EvictionsError = relErr(row.SampledEvictions, row.FullEvictions)
	row.RefusedError = relErr(row.SampledRefused, row.FullRefused)
	return row, nil
}

// relErr is (got - want) / want, 0 when both are 0.
func relErr(got, want float64) float64 {
	if want == 0 {
		if got == 0 {
			return 0
		}
		return 1
	}
	return (got - want) / want
}
