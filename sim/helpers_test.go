package sim

import (
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

const (
	sec  = time.Second
	hour = time.Hour
)

// box returns a middlebox with one TCP/UDP timeout T and the given
// behaviour towards unknown packets; capacity unlimited.
func testBox(T time.Duration, out, in nat.Unknown, preserve bool) Middlebox {
	return Middlebox{Name: "box", Config: nat.Config{
		Timeouts:       nat.Timeouts{TCPEstablished: T, TCPTransitory: T, UDP: T, UDPStream: T},
		RefreshInbound: true, RefreshOnKeepalive: true,
		UnknownOutbound: out, UnknownInbound: in, PortPreservation: preserve,
	}}
}

// testGroup returns a TCP group of n clients that all connect at t = 0,
// with no traffic and no keepalive, and a fast reconnect.
func testGroup(n int) Group {
	return Group{Name: "g", Count: n, Proto: nat.TCP, RetransmitTimeout: 924600 * time.Millisecond,
		Reconnect: Reconnect{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, HandshakePackets: 3, HandshakeBytes: 172}}
}

func testConfig(d time.Duration, b Middlebox, g Group) *Config {
	return &Config{Name: "test", Seed: 1, Duration: d, Path: []Middlebox{b}, Groups: []Group{g}}
}

func mustRun(t *testing.T, cfg *Config) *RunResult {
	t.Helper()
	r, err := Run(cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// within checks got against want with an absolute tolerance, saying where
// the tolerance comes from.
func within(t *testing.T, what string, got, want, tol float64, why string) {
	t.Helper()
	if d := got - want; d > tol || d < -tol {
		t.Errorf("%s = %.6g, want %.6g ± %.3g (%s)", what, got, want, tol, why)
	} else {
		t.Logf("%s = %.6g, predicted %.6g, error %+.3g%% (tolerance ±%.3g, %s)", what, got, want, 100*(got-want)/max(want, 1e-300), tol, why)
	}
}
