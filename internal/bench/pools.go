package bench

import (
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// Pooled is the request-driven workload: clients issuing Poisson
// requests at one per second each (20 ms service, 1 ms RTT, 80% of them
// idempotent) over Go net/http's pool (2 idle, 90 s idle timeout, LIFO,
// peek, Go's retry rule) to a server that closes idle keep-alive
// connections after 5 s, through one unlimited NAT table with a 350 s
// established timeout. At 10,000 clients and one hour it is 36 million
// requests.
func Pooled(clients int, duration time.Duration) *sim.Config {
	return &sim.Config{
		Name: "pooled", Seed: 1, Duration: duration,
		Path: []sim.Middlebox{{Name: "nat", Config: nat.Config{
			WhenFull:       nat.Refuse,
			Timeouts:       nat.Timeouts{TCPEstablished: 350 * time.Second, TCPTransitory: 60 * time.Second, UDP: 30 * time.Second, UDPStream: 120 * time.Second},
			RefreshInbound: true, RefreshOnKeepalive: true,
			UnknownOutbound: nat.Create, UnknownInbound: nat.SendReset,
		}}},
		Groups: []sim.Group{{
			Name: "api", Count: clients, Proto: nat.TCP, StartSpread: time.Minute,
			Requests: &sim.Requests{Interval: sim.Dist{Kind: sim.Exponential, A: time.Second}, Service: 20 * time.Millisecond,
				RequestBytes: 800, ResponseBytes: 4000, Idempotent: 0.8, Timeout: 30 * time.Second},
			Pool: &sim.Pool{MaxIdle: 2, IdleTimeout: 90 * time.Second, Reuse: sim.ReuseLIFO, Validate: sim.ValidatePeek,
				Retry: sim.Retry{Kind: sim.RetryGo}},
			ServerKeepalive:   5 * time.Second,
			Reconnect:         sim.Reconnect{Backoff: time.Second, MaxBackoff: time.Minute, HandshakePackets: 3, HandshakeBytes: 172},
			RetransmitTimeout: 924600 * time.Millisecond,
		}},
		Network: sim.Network{RTT: time.Millisecond},
	}
}
