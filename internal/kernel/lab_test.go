//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLabForwardsThroughMasquerade(t *testing.T) {
	if m := Missing(); len(m) > 0 || NeedsUserns() {
		t.Skip("cannot build a lab in this process (needs root, ip, nft and conntrack): " + strings.Join(m, "; "))
	}
	l, err := NewLab(LabID(labCount.next()), Box{Established: 5, UDP: 3, UDPStream: 5, Loose: true})
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

func needLab(t *testing.T) {
	t.Helper()
	if m := Missing(); len(m) > 0 || NeedsUserns() || os.Geteuid() != 0 {
		t.Skip("cannot build a lab in this process (needs root, ip, nft and conntrack): " + strings.Join(m, "; "))
	}
}

func namespaces(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v: %s", err, out)
	}
	return string(out)
}

// TestLabDeletesOnlyWhatItMade: when a namespace of the lab's name
// exists, building the lab fails (a MissingError: exit status 2) and
// leaves that namespace alone; it used to delete all three names.
func TestLabDeletesOnlyWhatItMade(t *testing.T) {
	needLab(t)
	id := LabID(labCount.next())
	theirs := nsPrefix + "n-" + id
	if out, err := exec.Command("ip", "netns", "add", theirs).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", theirs).Run()
	_, err := NewLab(id, Box{Established: 5, UDP: 3, UDPStream: 5})
	var missing *MissingError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), theirs+" already exists") {
		t.Fatalf("got %v", err)
	}
	list := namespaces(t)
	if !strings.Contains(list, theirs) || strings.Contains(list, nsPrefix+"c-"+id) {
		t.Fatalf("namespaces after the failed build:\n%s", list)
	}
}

// TestCleanupRemovesOnlyTheDeads: a namespace whose owner is gone is
// removed (and said so); one whose owner lives is left.
func TestCleanupRemovesOnlyTheDeads(t *testing.T) {
	needLab(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("%sc-%d-1", nsPrefix, gone.Process.Pid)
	live := nsPrefix + "c-" + LabID(labCount.next())
	for _, ns := range []string{dead, live} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		defer exec.Command("ip", "netns", "del", ns).Run()
	}
	var said strings.Builder
	if _, err := Cleanup(&said); err != nil {
		t.Fatal(err)
	}
	list := namespaces(t)
	if strings.Contains(list, dead+" ") || strings.Contains(list, dead+"\n") || !strings.Contains(list, live) {
		t.Fatalf("namespaces after cleanup:\n%s", list)
	}
	if !strings.Contains(said.String(), "removed namespace "+dead) {
		t.Fatalf("cleanup said %q", said.String())
	}
}
