package nat

import (
	"testing"
	"time"
)

// BenchmarkLRUMiss is the table's hot path in the reference workload: a
// cyclic population 25% larger than the table, so every packet misses,
// evicts the least recently used entry and inserts its own.
func BenchmarkLRUMiss(b *testing.B) {
	const flows, capacity = 100000, 80000
	cfg := Config{Capacity: capacity, WhenFull: LRU,
		Timeouts:       Timeouts{TCPEstablished: time.Hour, TCPTransitory: time.Hour, UDP: time.Hour, UDPStream: time.Hour},
		RefreshInbound: true, RefreshOnKeepalive: true, UnknownOutbound: Create, UnknownInbound: SendReset, PortPreservation: true}
	tab, _ := New(cfg, func(Removal) {})
	p := Packet{Dir: Outbound, Proto: TCP, Kind: Data, Port: 1}
	b.ResetTimer()
	for i := range b.N {
		tab.Packet(time.Duration(i), Key{Client: uint32(i % flows)}, p)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// BenchmarkHit is a packet for an entry that is there (not the most
// recently used one).
func BenchmarkHit(b *testing.B) {
	const flows = 100000
	cfg := Config{Timeouts: Timeouts{TCPEstablished: time.Hour, TCPTransitory: time.Hour, UDP: time.Hour, UDPStream: time.Hour},
		RefreshInbound: true, RefreshOnKeepalive: true, UnknownOutbound: Create, UnknownInbound: SendReset}
	tab, _ := New(cfg, nil)
	p := Packet{Dir: Outbound, Proto: TCP, Kind: Data}
	for i := range flows {
		tab.Packet(0, Key{Client: uint32(i)}, p)
	}
	b.ResetTimer()
	for i := range b.N {
		tab.Packet(time.Duration(i), Key{Client: uint32(i * 7919 % flows)}, p)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}
