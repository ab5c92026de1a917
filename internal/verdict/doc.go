// Package verdict says, per client group, what a run's answer is before
// its detail: against a target, PASS, FAIL or UNDECIDED (internal/target
// judges each limit on its upper confidence bound); without one,
// SURVIVES or BREAKS, with the break rate's upper bound, or for a
// request-driven group without breaks FAILS when requests failed for
// good; such a group's failed requests per million come with their upper
// bound, judged or not. With it come the
// binding middlebox (the box on the group's path that caused the most
// breaks, or for a group without breaks the box whose idle timeout is
// nearest above the keepalive's idle gap), the margin between that
// timeout and the gap, and the cost in overhead bytes and keepalive
// packets per client-hour.
//
// The keepalive's idle gap is the longest a connection stays silent
// while its keepalive works: the idle time of a TCP keepalive, the
// interval plus its jitter for application pings. A group without
// keepalive has no gap and no margin. The timeout met is tcp_established
// for TCP and udp_stream (a flow with replies) for UDP.
package verdict
