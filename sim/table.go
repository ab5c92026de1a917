package sim

import (
	"time"

	"github.com/natsim/natsim/nat"
)

// table is what the engine needs of a middlebox's connection table: the
// calls of nat.Table it makes, and nothing else. Every call takes the
// current instant; removals come back through the callback given when
// the table was made.
type table interface {
	// Packet passes one packet of a flow through the table.
	Packet(now time.Duration, key nat.Key, p nat.Packet) nat.Outcome
	// Advance removes what has expired by now; NextExpiry is when the
	// next entry will expire if nothing refreshes it.
	Advance(now time.Duration)
	NextExpiry() (time.Duration, bool)
	// Len is the entries held; Stats and ResetStats the counters of the
	// measured window.
	Len() int
	Stats(now time.Duration) nat.Stats
	ResetStats(now time.Duration)
	// ReserveClients and NotifyNextVictim are hints for speed: room for
	// densely numbered clients, and the next LRU victim to prefetch.
	ReserveClients(clients int)
	NotifyNextVictim(f func(client uint32))
}

var _ table = (*nat.Table)(nil)
