package kernel

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/natsim/natsim/sim"
)

// TestServeUDPFollowsOrRejects holds the lab's UDP server to its
// udp_rebinding on loopback (no lab, no root): one client, then the same
// client from a new port (as a box that gives the flow a new port makes
// it look), then the first port again.
func TestServeUDPFollowsOrRejects(t *testing.T) {
	for _, tc := range []struct {
		rule  sim.Rebinding
		pongs [3]bool // to the first port, the new port, the first again
	}{
		{sim.RebindFollow, [3]bool{true, true, true}},
		{sim.RebindReject, [3]bool{true, false, true}},
	} {
		srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		go serveUDP(srv, tc.rule)
		first, renumbered := dialUDP(t, srv), dialUDP(t, srv)
		for i, c := range []net.Conn{first, renumbered, first} {
			if got := pinged(t, c); got != tc.pongs[i] {
				t.Errorf("%v: ping %d answered %v, want %v", tc.rule, i+1, got, tc.pongs[i])
			}
		}
	}
}

func dialUDP(t *testing.T, srv *net.UDPConn) net.Conn {
	t.Helper()
	c, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pinged sends a ping and reports whether its pong came back. The server
// answers on loopback at once: 200 ms without a pong is a drop.
func pinged(t *testing.T, c net.Conn) bool {
	t.Helper()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 8)
	n, err := c.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n]) == "pong"
}
