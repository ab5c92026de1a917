// Package validate holds natsim against results known in closed form:
// idle timeouts against exponential gaps, jittered heartbeats, TCP
// keepalive detection times, LRU under Poisson references (Che),
// Erlang's loss formula for a table that refuses, Little's law on every
// table, and keepalive overhead accounting. Each check prints the
// prediction, the simulated mean with its 95% confidence interval, the
// error and a verdict; tolerances come from the statistics (a 99.9%
// interval over replications) plus, where a formula is itself an
// approximation, that approximation's stated error.
package validate
