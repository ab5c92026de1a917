// Package report writes the text report of one natsim run: a line of
// what was simulated per client group, then what each group lived
// through and what each middlebox did, for a person at a terminal.
// Package sim computes the numbers (sim.Result); this package only words
// them, and the JSON output (sim.Result.WriteJSON) does not go through it.
//
// # How numbers are written
//
// One set of rules, in number.go, each with its test:
//
//   - Counts (breaks, messages, packets, entries) are whole numbers with
//     thousands separators, 44,514. A count averaged over replications
//     that did not all agree has one decimal, 148.7, so that a reader
//     can tell a mean from a count.
//   - Every other number (rates, means, quantiles) has three significant
//     digits, but the digits before the decimal point are never rounded
//     away: 1,935, 82.4, 6.82, 0.00678.
//   - Fractions are percentages by the same rule: 82.4%.
//   - Bytes are scaled in powers of 1000 (B, kB, MB, GB, TB: traffic,
//     not memory) by the same rule: 156 B, 1.04 kB, 60.7 MB.
//   - Durations are written as Go writes them (and as scenario files
//     take them), rounded by the same rule in seconds: 1ms, 37.2s,
//     22m16s, 2h5m10s.
//   - A 95% confidence half-width follows its mean in the mean's unit:
//     1.04 ± 0.00164 kB.
//
// Lines whose numbers are all zero are left out ("breaks  none" is said
// once); the internal count of events per run is written only on request
// (Options.Verbose, or a result with wall-clock time).
//
// Writing a report costs nothing next to the run it reports.
package report
