//go:build linux

package kernel

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/sim"
)

func TestLabForwardsThroughMasquerade(t *testing.T) {
	if m := Missing(); len(m) > 0 {
		t.Skip("cannot build a lab here: " + strings.Join(m, "; "))
	}
	l, err := NewLab("t1", Box{Established: 5, UDP: 3, UDPStream: 5, Loose: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var ln net.Listener
	if err := In(l.Server, func() (err error) { ln, err = net.Listen("tcp", serverAddr+":7000"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	seen := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			seen <- c.RemoteAddr().String()
			c.Close()
		}
	}()
	var c net.Conn
	if err := In(l.Client, func() (err error) { c, err = net.DialTimeout("tcp", serverAddr+":7000", 2*time.Second); return }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case from := <-seen:
		if !strings.HasPrefix(from, natOutside+":") {
			t.Fatalf("server saw %s, want the nat's outside address", from)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no connection")
	}
	if !strings.Contains(l.Conntrack(), "dport=7000") {
		t.Errorf("conntrack has no entry:\n%s", l.Conntrack())
	}
}

func TestKeepaliveFlowsInTheKernel(t *testing.T) {
	if m := Missing(); len(m) > 0 {
		t.Skip("cannot build a lab here: " + strings.Join(m, "; "))
	}
	l, err := NewLab("t2", Box{Established: 3, UDP: 3, UDPStream: 3, Loose: false})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ka := func(idle int) sim.Keepalive {
		return sim.Keepalive{Type: sim.KeepaliveTCP, Idle: time.Duration(idle) * time.Second, Interval: time.Second, Count: 3}
	}
	type result struct {
		seen Seen
		err  error
	}
	below, above := make(chan result), make(chan result)
	go func() {
		s, err := runFlow(context.Background(), l, Flow{Name: "below", Keepalive: ka(2), Port: 7001}, 10*time.Second)
		below <- result{s, err}
	}()
	go func() {
		s, err := runFlow(context.Background(), l, Flow{Name: "above", Keepalive: ka(5), Port: 7002}, 10*time.Second)
		above <- result{s, err}
	}()
	b, a := <-below, <-above
	if b.err != nil || a.err != nil {
		t.Fatal(b.err, a.err)
	}
	t.Logf("below: %v; above: %v", b.seen, a.seen)
	if !b.seen.Alive {
		t.Errorf("idle 2 s under a 3 s timeout died: %v", b.seen)
	}
	if a.seen.Alive || a.seen.How != sim.HowKeepalive || a.seen.At < 7500*time.Millisecond || a.seen.At > 9*time.Second {
		t.Errorf("idle 5 s over a 3 s blackhole: %v, want keepalive timeout at about 8 s", a.seen)
	}
}
