package sim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/natsim/natsim/nat"
)

// cause is why a connection broke: the reason its entry was removed.
type cause uint8

const (
	causeIdleTimeout cause = iota
	causeLRUEviction
	causeEarlyDrop
	causeResetOnExpire
	numCauses
)

func causeOf(r nat.Reason) cause {
	switch r {
	case nat.Evicted:
		return causeLRUEviction
	case nat.EarlyDropped:
		return causeEarlyDrop
	default:
		return causeIdleTimeout
	}
}

// groupMetrics are one group's raw counters over the measured window.
type groupMetrics struct {
	breaks                      [numCauses]uint64
	remaps, refused, reconnects uint64
	rebindings                  uint64
	spurious                    uint64
	lostUp, lostDown            uint64
	sentUp, sentDown            uint64
	latencies                   []float64   // detection latencies, seconds
	pool                        poolMetrics // request-driven groups
	downtime                    time.Duration
	kaPackets, kaBytes          uint64
	// kaRate is the keepalive bytes weighted by their gaps' shares of
	// the window (recorder.keepalive); beatBytes and answerBytes are the
	// group's sizes of a beat and of its answer, fixed by its keepalive.
	kaRate                    float64
	beatBytes, answerBytes    int
	rcPackets, rcBytes        uint64
	orphanedAtEnd, undetected uint64
	heldAtEnd                 uint64 // messages held up by an orphan still undecided at the end
	push                      delays // delivery delays of down messages
	// Adaptive heartbeats: the interval integrated over the window
	// (seconds x seconds) and the client time it covers, each client's
	// interval at the end, failed beats, and the reconnects they caused.
	ivWeighted, ivTime float64
	ivEnd              []float64
	kaFailures         uint64
	kaFailReconnects   uint64
	goaways            uint64 // GOAWAYs too_many_pings received
}

// delays is a sample of delivery delays in which almost every value is
// the one-way delay, or that plus one RTO (a lost packet resent): those
// are kept as counts, and the others (messages held up by an orphan) as
// values, so that a busy run's sample costs no memory per message.
type delays struct {
	base   time.Duration // the one-way delay
	onTime uint64        // delivered after the one-way delay
	resent uint64        // delivered one RTO later
	other  []time.Duration
}

// add records one delivery delay d over a path whose one-way delay is base.
func (x *delays) add(d, base time.Duration) {
	x.base = base
	switch d {
	case base:
		x.onTime++
	case base + dataRTO:
		x.resent++
	default:
		x.addOther(d)
	}
}

// addOther records a delay that is neither of the common two.
func (x *delays) addOther(d time.Duration) { x.other = append(x.other, d) }

// summary returns the nearest-rank p50, p99 and maximum in seconds (0
// if empty), sorting the sample once.
func (x *delays) summary() Delay {
	n := x.onTime + x.resent + uint64(len(x.other))
	if n == 0 {
		return Delay{}
	}
	// The sample in order, the two counts as runs of equal values.
	type run struct {
		at time.Duration
		n  uint64
	}
	runs := []run{{x.base, x.onTime}, {x.base + dataRTO, x.resent}}
	for _, d := range x.other {
		runs = append(runs, run{d, 1})
	}
	slices.SortStableFunc(runs, func(a, b run) int { return cmp.Compare(a.at, b.at) })
	quantile := func(q float64) float64 {
		rank := uint64(max(1, math.Ceil(q*float64(n)))) // 1-based
		for _, r := range runs {
			if rank <= r.n {
				return r.at.Seconds()
			}
			rank -= r.n
		}
		return runs[len(runs)-1].at.Seconds()
	}
	return Delay{P50: quantile(0.50), P99: quantile(0.99), Max: quantile(1)}
}

// Sample is one time-series point of one middlebox.
type Sample struct {
	At        time.Duration `json:"at_ns"`
	Occupancy int           `json:"occupancy"` // entries held
	Breaks    uint64        `json:"breaks"`    // breaks this box caused so far in the window
}

// IntervalSeries is one group's mean adaptive interval over time.
type IntervalSeries struct {
	Group   string           `json:"group"`
	Samples []IntervalSample `json:"samples"`
}

// IntervalSample is the mean interval in force over a group's clients
// that have started, at one instant.
type IntervalSample struct {
	At    time.Duration `json:"at_ns"`
	MeanS float64       `json:"mean_interval_s"`
}

// RunResult is what one replication measured. It is a value: its JSON
// (MarshalJSON) reads back equal to it, so that the runs of a sweep can be
// stored, moved and merged, with one exception, Trace, which is left out
// on purpose: it is a story of every client for comparing with real
// sockets in the same process (kernel-check), it grows with every event
// where the rest grows with the path and groups, and no aggregate reads
// it.
type RunResult struct {
	Replication int           `json:"replication"`
	Groups      []GroupResult `json:"groups"`
	Middleboxes []BoxResult   `json:"middleboxes"` // written with the sums hidden from result.json (runBox)
	Events      uint64        `json:"events"`
	Packets     uint64        `json:"packets"` // packets sent through the path (each counted once, however many boxes it crossed)
	Series      [][]Sample    `json:"series"`  // per middlebox, when SampleEvery > 0
	// Intervals is, when SampleEvery > 0, the mean interval in force of
	// each group with adaptive keepalives, sampled like Series.
	Intervals []IntervalSeries `json:"intervals,omitempty"`
	Trace     []TraceEvent     `json:"-"`                // when Config.Trace is set
	Sample    *SampleResult    `json:"sample,omitempty"` // when Config.Sampling is on
}

// runBox is a BoxResult as a run's record holds it: with the sums behind
// Little's law, which validate checks run by run. result.json leaves them
// out: there they would be means over replications that no reader wants.
type runBox struct {
	BoxResult
	LifetimeSumS float64 `json:"lifetime_sum_s"`
	StartAgeSumS float64 `json:"start_age_sum_s"`
	EndAgeSumS   float64 `json:"end_age_sum_s"`
}

// runJSON is a RunResult with its middleboxes as runBox; the embedded
// field's own "middleboxes" is shadowed by the outer one.
type runJSON struct {
	*plainRun
	Middleboxes []runBox `json:"middleboxes"`
}

// plainRun is RunResult without its JSON methods.
type plainRun RunResult

// MarshalJSON writes r with every field but Trace, the hidden sums of
// its middleboxes included.
func (r RunResult) MarshalJSON() ([]byte, error) {
	v := runJSON{plainRun: (*plainRun)(&r)}
	if r.Middleboxes != nil {
		v.Middleboxes = make([]runBox, len(r.Middleboxes))
	}
	for i, b := range r.Middleboxes {
		v.Middleboxes[i] = runBox{b, b.LifetimeSumS, b.StartAgeSumS, b.EndAgeSumS}
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *RunResult) UnmarshalJSON(data []byte) error {
	v := runJSON{plainRun: (*plainRun)(r)}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	r.Middleboxes = nil
	if v.Middleboxes != nil {
		r.Middleboxes = make([]BoxResult, len(v.Middleboxes))
	}
	for i, b := range v.Middleboxes {
		b.BoxResult.LifetimeSumS, b.BoxResult.StartAgeSumS, b.BoxResult.EndAgeSumS = b.LifetimeSumS, b.StartAgeSumS, b.EndAgeSumS
		r.Middleboxes[i] = b.BoxResult
	}
	return nil
}

// finish closes the books at the end of the run.
func (s *sim) finish(rep int) *RunResult {
	end := s.cfg.Duration
	for i := range s.boxes {
		s.boxes[i].t.Advance(end)
	}
	for i := range s.clients {
		c := &s.clients[i]
		if f, ok := s.groups[c.group].ka.(finisher); ok {
			f.finish(s, uint32(i), c)
		}
		s.rec.atEnd(c)
		s.rec.closeBeat(uint32(i), c)
		if r, ok := s.retries[uint32(i)]; ok {
			s.rec.heldAtEnd(c, int(r.stuckUp)+len(r.stuckDown))
		}
		s.endBroken(c)
	}
	r := &RunResult{Replication: rep, Events: s.events, Packets: s.packets, Trace: s.rec.traced}
	if s.picks != nil {
		r.Sample = &s.picks.result
	}
	window := (end - s.cfg.Warmup).Hours()
	for gi := range s.groups {
		s.rec.idleUpTo(&s.rec.groups[gi].pool, end) // the idle connections' time up to the end
	}
	for i := 0; i < len(s.groups); {
		j := i + 1
		for j < len(s.groups) && s.groups[j].of == s.groups[i].of {
			j++
		}
		r.Groups = append(r.Groups, s.groupResult(s.groups[i:j], s.rec.groups[i:j], window))
		i = j
	}
	s.finishRadios(end, r.Groups)
	for i := range s.boxes {
		b := &s.boxes[i]
		st := b.t.Stats(end)
		// per divides what all instances hold together among them.
		instances, per := 1, 1.0
		if b.pc != nil {
			instances = b.pc.Instances()
			per = 1 / float64(max(instances, 1))
		}
		mb := &s.cfg.Path[i]
		r.Middleboxes = append(r.Middleboxes, BoxResult{
			Name: b.name, Capacity: drawnMean(mb.Draws.Capacity, b.capacity),
			Timeouts: mb.timeouts(), Instances: float64(instances), MeanOccupancy: st.MeanOccupancy * per,
			MaxOccupancy: float64(st.MaxOccupancy), Inserts: float64(st.Inserts),
			Evictions: float64(st.Evictions), Expiries: float64(st.Expiries),
			EarlyDrops: float64(st.EarlyDrops), RefusedOpens: float64(st.RefusedOpens), RefusedPackets: float64(st.RefusedPackets),
			Remaps: float64(st.Remaps), Breaks: float64(s.rec.boxBreaks[i]),
			StartOccupancy: float64(st.StartOccupancy) * per, EndOccupancy: float64(b.t.Len()) * per,
			MeanEntryLifetimeS: st.LifetimeSum.Seconds() / float64(max(st.Removed, 1)),
			LifetimeSumS:       st.LifetimeSum.Seconds() * per, StartAgeSumS: st.StartAgeSum.Seconds() * per, EndAgeSumS: st.EndAgeSum.Seconds() * per,
		})
		if s.cfg.SampleEvery > 0 {
			r.Series = append(r.Series, append(b.samples, Sample{At: end, Occupancy: b.t.Len(), Breaks: s.rec.boxBreaks[i]}))
		}
	}
	if s.cfg.SampleEvery > 0 {
		s.sampleIntervals() // at the end, as the boxes' series end
		for gi := range s.groups {
			if is := s.groups[gi].intervals; is != nil {
				r.Intervals = append(r.Intervals, *is)
			}
		}
	}
	return r
}

// intervalSampler is a keepalive strategy whose interval changes: the
// time series samples its clients' mean.
type intervalSampler interface {
	// intervals is the sum of the intervals in force of the clients that
	// have started (seconds) and their number.
	intervals() (sum float64, started int)
}

// sampleIntervals adds a sample of the mean interval in force to the
// series of every group whose strategy has one, once its first client
// has started: over all its clients, whichever path they drew (a group
// that mixes paths has a groupRun per path, the first of which keeps the
// series).
func (s *sim) sampleIntervals() {
	for i := 0; i < len(s.groups); {
		first := &s.groups[i]
		var sum float64
		started, sampled := 0, false
		for ; i < len(s.groups) && s.groups[i].of == first.of; i++ {
			if is, ok := s.groups[i].ka.(intervalSampler); ok {
				x, n := is.intervals()
				sum, started, sampled = sum+x, started+n, true
			}
		}
		if !sampled {
			continue
		}
		if first.intervals == nil {
			first.intervals = &IntervalSeries{Group: first.Name}
		}
		if started > 0 {
			first.intervals.Samples = append(first.intervals.Samples, IntervalSample{At: s.now, MeanS: sum / float64(started)})
		}
	}
}

// finisher is a keepalive strategy with books of its own to close when
// the run ends.
type finisher interface {
	finish(s *sim, ci uint32, c *client)
}

// protoName is a protocol as results and scenarios spell it.
func protoName(p nat.Proto) string {
	if p == nat.UDP {
		return "udp"
	}
	return "tcp"
}

// timeouts gives a box's timeouts in seconds: a drawn one's mean.
func (m *Middlebox) timeouts() Timeouts {
	t, d := m.Timeouts, &m.Draws
	sec := func(d Dist, fixed time.Duration) float64 {
		if d.IsZero() {
			return fixed.Seconds()
		}
		return d.Mean() / float64(time.Second)
	}
	return Timeouts{TCPEstablished: sec(d.TCPEstablished, t.TCPEstablished), TCPTransitory: sec(d.TCPTransitory, t.TCPTransitory),
		UDP: sec(d.UDP, t.UDP), UDPStream: sec(d.UDPStream, t.UDPStream)}
}

// drawnMean is a capacity: fixed, or the mean of its distribution d (in
// entries, carried as nanoseconds) if it is drawn.
func drawnMean(d Dist, fixed int) float64 {
	if d.IsZero() {
		return float64(fixed)
	}
	return d.Mean()
}

// groupResult is the result of one group from its groupRuns, one per
// path (a group that mixes paths) or one in all, and their metrics: the
// group's numbers are those of all its clients, made from the merged
// counts and samples (so that a quantile is the merged sample's, not a
// mean of the paths'), with each path's own in Paths.
func (s *sim) groupResult(runs []groupRun, ms []groupMetrics, windowHours float64) GroupResult {
	if len(runs) == 1 {
		return runs[0].result(&ms[0], windowHours)
	}
	all := runs[0]
	all.clients, all.whole, all.partHours = 0, 0, 0
	var merged groupMetrics
	for i := range runs {
		all.clients += runs[i].clients
		all.whole += runs[i].whole
		all.partHours += runs[i].partHours
		merged.merge(&ms[i])
	}
	res := all.result(&merged, windowHours)
	for i := range runs {
		p := PathResult{Share: float64(runs[i].clients) / float64(all.clients), GroupResult: runs[i].result(&ms[i], windowHours)}
		p.Name = fmt.Sprintf("%s.paths.%d", all.Name, runs[i].variant)
		for _, bi := range runs[i].path {
			p.Via = append(p.Via, s.boxes[bi].name)
		}
		res.Paths = append(res.Paths, p)
	}
	return res
}

// merge adds the metrics of other clients, o, to m: counts and spans add,
// samples join.
func (m *groupMetrics) merge(o *groupMetrics) {
	for c := range m.breaks {
		m.breaks[c] += o.breaks[c]
	}
	dst, src := m.counters(), o.counters()
	for i := range dst {
		*dst[i] += *src[i]
	}
	m.latencies = append(m.latencies, o.latencies...)
	m.downtime += o.downtime
	m.kaRate += o.kaRate
	m.push.merge(&o.push)
	m.ivWeighted += o.ivWeighted
	m.ivTime += o.ivTime
	m.ivEnd = append(m.ivEnd, o.ivEnd...)
	m.pool.merge(&o.pool)
}

// counters lists m's plain counts, for merge.
func (m *groupMetrics) counters() []*uint64 {
	return []*uint64{&m.remaps, &m.refused, &m.reconnects, &m.rebindings, &m.spurious, &m.lostUp, &m.lostDown,
		&m.sentUp, &m.sentDown, &m.kaPackets, &m.kaBytes, &m.rcPackets, &m.rcBytes, &m.orphanedAtEnd, &m.undetected, &m.heldAtEnd,
		&m.kaFailures, &m.kaFailReconnects, &m.goaways}
}

// merge adds the delays of o to x (both over the same path delay).
func (x *delays) merge(o *delays) {
	if o.onTime+o.resent > 0 {
		x.base = o.base
	}
	x.onTime += o.onTime
	x.resent += o.resent
	x.other = append(x.other, o.other...)
}

func (g *groupRun) result(m *groupMetrics, windowHours float64) GroupResult {
	hours := float64(g.whole)*windowHours + g.partHours
	var total uint64
	for _, n := range m.breaks {
		total += n
	}
	perHour := func(x uint64) float64 { return float64(x) / max(hours, math.SmallestNonzeroFloat64) } // 0 for a group that never started
	slices.Sort(m.latencies)
	var adaptive *AdaptiveResult
	if g.Keepalive.Type == KeepaliveAdaptive {
		slices.Sort(m.ivEnd)
		adaptive = &AdaptiveResult{
			Interval: IntervalStats{P10: quantile(m.ivEnd, 0.10), P50: quantile(m.ivEnd, 0.50), P90: quantile(m.ivEnd, 0.90),
				Mean: m.ivWeighted / max(m.ivTime, math.SmallestNonzeroFloat64)},
			Failures: float64(m.kaFailures), FailureReconnects: float64(m.kaFailReconnects),
		}
	}
	var server *ServerResult
	if g.PingPolicy != nil {
		server = &ServerResult{GoAways: float64(m.goaways)}
	}
	res := GroupResult{
		Adaptive: adaptive, Server: server,
		Name: g.Name, Protocol: protoName(g.Proto), Clients: float64(g.clients), ClientHours: hours,
		Breaks: Breaks{
			Total: float64(total), IdleTimeout: float64(m.breaks[causeIdleTimeout]),
			LRUEviction: float64(m.breaks[causeLRUEviction]), EarlyDrop: float64(m.breaks[causeEarlyDrop]),
			ResetOnExpire: float64(m.breaks[causeResetOnExpire]),
		},
		BreaksPer1000ClientHours: 1000 * perHour(total),
		Remaps:                   float64(m.remaps), Rebindings: float64(m.rebindings), OrphanedAtEnd: float64(m.orphanedAtEnd),
		RefusedOpens: float64(m.refused), Reconnects: float64(m.reconnects),
		SpuriousDisconnects: float64(m.spurious),
		Detection: Latency{
			P50: quantile(m.latencies, 0.50), P90: quantile(m.latencies, 0.90),
			P99: quantile(m.latencies, 0.99), Max: quantile(m.latencies, 1),
			Undetected: float64(m.undetected),
		},
		LostDown: float64(m.lostDown), LostUp: float64(m.lostUp), HeldAtEnd: float64(m.heldAtEnd),
		PushDelay: m.push.summary(),
		SentUp:    float64(m.sentUp), SentDown: float64(m.sentDown),
		DowntimeFraction: m.downtime.Hours() / max(hours, math.SmallestNonzeroFloat64),
		Overhead: Overhead{
			KeepalivePackets: float64(m.kaPackets), KeepaliveBytes: float64(m.kaBytes),
			ReconnectPackets: float64(m.rcPackets), ReconnectBytes: float64(m.rcBytes),
			KeepaliveBytesPerClientHour:     perHour(m.kaBytes),
			OverheadBytesPerClientHour:      perHour(m.kaBytes + m.rcBytes),
			KeepaliveRateBytesPerClientHour: m.kaRate / max(hours, math.SmallestNonzeroFloat64),
			CostBytesPerClientHour:          (m.kaRate + float64(m.rcBytes)) / max(hours, math.SmallestNonzeroFloat64),
		},
	}
	if g.Requests != nil {
		m.pool.result(&res, g.clients, windowHours)
	}
	return res
}

// quantile returns the nearest-rank q-quantile of sorted xs (0 if empty).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[max(i, 0)]
}
