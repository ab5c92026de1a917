//go:build linux

package kernel

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestLabForwardsThroughMasquerade(t *testing.T) {
	if m := Missing(); len(m) > 0 || NeedsUserns() {
		t.Skip("cannot build a lab in this process (needs root, ip, nft and conntrack): " + strings.Join(m, "; "))
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
