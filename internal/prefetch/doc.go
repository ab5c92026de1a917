// Package prefetch asks the processor to bring a memory location into
// cache ahead of its use.
//
// A large run is bound by memory latency: each event touches the state of
// a client, its removal record and table entries that have not been used
// for a simulated minute, which no cache can hold at a million clients.
// The simulator knows, a few events ahead, which ones it will touch (the
// calendar's next buckets, the LRU's next victims); a prefetch issued
// then lets those misses overlap with the work in between instead of
// stalling it.
//
// A prefetch is only a hint: it never faults, changes no result and may
// be ignored. On architectures without an assembly version, Line does
// nothing.
//
// HugePages is the other half of the same cost: at random across a few
// hundred megabytes, a miss in cache is nearly always a miss in the TLB
// too, and its page walk delays even a prefetch. Backing the big arrays
// with 2 MiB pages makes most of those walks unnecessary.
package prefetch
