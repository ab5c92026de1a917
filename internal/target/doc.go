// Package target says whether a client group meets a target: limits on
// its breaks, downtime, lost messages, push delay and failed requests, judged on the upper
// bound of a one-sided confidence interval, never on the mean.
//
// # Bounds
//
// Every bound is one-sided at the target's confidence c (default 0.95).
//
//   - Counts (breaks per 1000 client-hours, lost per 1000 messages,
//     failed per million requests of a request-driven group): the
//     exact Poisson (Garwood) upper bound of k events over the pooled
//     exposure E of all replications, chi2(c; 2k+2) / 2 / E. With zero
//     events it is -ln(1-c) / E, about 3.0 / E at 95%. With two or more
//     replications the bound is the larger of that and the Student-t
//     bound on the per-replication rates, mean + t(c; n-1) s / sqrt(n),
//     so that it is never narrower than the spread between replications
//     says (the Poisson bound alone assumes the events are independent,
//     which a table that breaks many connections at once violates).
//   - Downtime fraction: downtime comes only from breaks, so the bound is
//     the Poisson bound on the break rate times the mean outage: the
//     observed downtime per break when there were breaks (assumed to be
//     the mean outage), and with none the longest an outage can last,
//     the measured window. With replications, at least the Student-t
//     bound on the per-replication fractions.
//   - Push delay p99: distribution-free. The largest of n independent
//     delays exceeds the 0.99-quantile with probability 1 - 0.99^n, so
//     the largest delay seen is an upper bound at confidence c once
//     n >= ln(1-c) / ln(0.99) (299 delays at 95%); with fewer, the
//     judgement is undecided. It is conservative: one slow delivery
//     decides it.
//
// # Judgements
//
// A limit is met when the bound is at or below it; missed when the
// estimate itself (the pooled rate, the fraction, the p99) is above it;
// otherwise undecided: the run was too short to show it, and Needed says
// how much exposure would show it if the estimate held.
package target
