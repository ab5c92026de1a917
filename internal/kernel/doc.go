// Package kernel holds natsim against a real Linux NAT: it builds three
// network namespaces (client, nat, server) joined by veth pairs, with
// nftables masquerade and conntrack in the nat namespace configured like
// one middlebox of a scenario (timeouts scaled down to seconds), drives
// real sockets through it (TCP keepalive with SO_KEEPALIVE and
// TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, application pings, server pushes, UDP),
// runs the simulator on the same flows, and compares what each side saw.
// It is Linux only and needs root; it never changes a host-wide setting
// and always removes its namespaces.
package kernel
