// Package kernel holds natsim against a real Linux NAT: it builds three
// network namespaces (client, nat, server) joined by veth pairs, with
// nftables masquerade and conntrack in the nat namespace configured like
// one middlebox of a scenario (timeouts scaled down to seconds), drives
// real sockets through it (TCP keepalive with SO_KEEPALIVE and
// TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, application pings, server pushes, UDP
// to a server that follows a new source port or drops it, by the group's
// udp_rebinding), runs the simulator on the same flows, and compares what
// each side saw: alive (remapped or rebound if its entry was re-created,
// on the same port or a new one), refused, or dead at a time by a cause.
// It is Linux only and needs root; it never changes a host-wide setting
// and always removes its namespaces.
package kernel
