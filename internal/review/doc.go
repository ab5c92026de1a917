// Package review turns a sweep's results into what goes into a design
// review: the standard charts (tradeoff, breaks-vs, detection, occupancy,
// and a heatmap per client group), each with the data behind it as CSV
// and one sentence stating its finding, and report.md, which opens with
// the question and its answer and then gives the setup as written, the
// results table, the charts and the findings. The trade-off (Tradeoff,
// also drawn by advise from its own points) and the answer both come from
// target.Cheapest. WriteRun draws the chart that has a meaning for a
// single run (occupancy) from that run's own result.
package review
