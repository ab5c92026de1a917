// Package advise finds the cheapest value of one tuned duration (an app
// heartbeat's interval, a TCP keepalive's idle time; several keys tied to
// one value) that meets a scenario's target for every client group.
//
// # Search
//
//   - Bracket: the range [A, B] is evaluated on a log grid of GridPoints
//     values, one replication each.
//   - Decide: where a point's bounds do not yet decide the target
//     (internal/target's Undecided), replications are added, as many as
//     the judgement's needed client-hours ask, at most MaxReps; a point
//     still undecided is treated as not meeting the target.
//   - Check: the evaluated points must show the shape advise assumes:
//     the target met below some value and missed above it, and the cost
//     of the points that meet it falling as the value grows. Where they
//     do not (an LRU table's capacity effects can), advise says so and
//     evaluates the range on a grid twice as dense, then takes the
//     cheapest point that meets the target (target.Cheapest).
//   - Refine: otherwise it narrows the bracket around the cliff (the
//     last value meeting the target, the first missing it) by splitting
//     it in three per step, two values at once, until its width is at
//     most the resolution: 1% of the value, or the unit values are
//     rounded to (1 s, or 1 ms below 10 s), or half the margin.
//
// Every search run uses the scenario's seed with replications 0, 1, ...:
// all candidates see the same client streams (common random numbers), so
// that their differences are the tuned value's, not the draws'. The
// search stops when its budget (runs, or wall time) is spent and reports
// what it knows.
//
// # Margin and verification
//
// The cliff is the smallest evaluated value that misses the target. The
// recommendation lies below it by the uncertainty the scenario declares
// (the largest jitter of a tuned app heartbeat, plus the network's round
// trip: timeouts are exact in this model) and by the advise: block's
// margin on top, and never above the last value that met the target. It
// is then run again with a seed whose client streams no search run used
// (sim.StreamSeed), with as many replications as the target needs, and
// those runs are the figures reported. If the verification misses the
// target, the recommendation steps down once more by the same margin.
//
// # Nothing to tune
//
// A scenario whose advise names no key (advise --compare retypes every
// group to an adaptive preset, which sets its own interval) is not
// searched: it is run as configured with the seed FreshSeed(seed,
// MaxReps), whose streams no search of the same scenario uses, one
// replication and then as many as its target needs, within the budget,
// and judged and priced like a verified recommendation.
//
// # Diagnosis
//
// When no value meets the target, advise names the cause from the
// breaks at the smallest value: LRU evictions (the table is too small for
// its population; no keepalive helps), a box that ignores TCP keepalive
// probes (use an app heartbeat), early drops, refused opens, idle
// timeouts even at the smallest value (widen the range), or runs too
// short to decide (raise the budget).
package advise
