// Package review turns a sweep's results into what goes into a design
// review: the standard charts (tradeoff, breaks-vs, detection, occupancy,
// heatmap), each with the data behind it as CSV and one sentence stating
// its finding, and report.md, which puts the question, the setup, the
// results table, the charts and the findings on one page. WriteRun draws
// the charts that have a meaning for a single run (tradeoff, occupancy)
// from that run's own result.
package review
