package kernel

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/natsim/natsim/sim"
)

// runFlow drives one flow through the lab for window and reports what
// the client saw.
func runFlow(ctx context.Context, l *Lab, f Flow, window time.Duration) (Seen, error) {
	select {
	case <-time.After(f.Start):
	case <-ctx.Done():
		return Seen{}, ctx.Err()
	}
	if f.UDP {
		return runUDP(ctx, l, f, window)
	}
	if f.Pool != nil {
		return runPooled(ctx, l, f, window)
	}
	return runTCP(ctx, l, f, window)
}

// server answers a TCP flow: "ping" with "pong", "probe" data with
// nothing, and sends "push" every f.Down and server pings ("sping",
// answered "spong") for server-app keepalive.
func serveTCP(ctx context.Context, ln net.Listener, f Flow) {
	c, err := ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	var mu sync.Mutex
	write := func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := io.WriteString(c, s+"\n")
		return err
	}
	done := make(chan struct{})
	defer close(done)
	every := func(d time.Duration, msg string) {
		if d <= 0 {
			return
		}
		go func() {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					if write(msg) != nil {
						return
					}
				case <-done:
					return
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	every(f.Down, "push")
	if f.Keepalive.Type.Kind().Driver == sim.DriveServerPing {
		every(f.Keepalive.Interval, "sping")
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.TrimSpace(line) == "ping" && write("pong") != nil {
			return
		}
	}
}

// setKeepalive turns on Linux TCP keepalive with the flow's settings.
func setKeepalive(c *net.TCPConn, k sim.Keepalive) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		for _, o := range []struct{ level, opt, v int }{
			{unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
			{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, int(k.Idle / time.Second)},
			{unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, int(k.Interval / time.Second)},
			{unix.IPPROTO_TCP, unix.TCP_KEEPCNT, k.Count},
		} {
			if serr == nil {
				serr = unix.SetsockoptInt(int(fd), o.level, o.opt, o.v)
			}
		}
	})
	return errors.Join(err, serr)
}

// dialTimeout is how long a connection attempt waits before it counts
// as refused: past Linux's first SYN retransmission (1 s).
const dialTimeout = 1500 * time.Millisecond

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// how classifies the error a dead TCP connection gave the client.
func how(err error) sim.How {
	switch {
	case errors.Is(err, syscall.ETIMEDOUT):
		return sim.HowKeepalive
	default: // ECONNRESET, EPIPE, EOF: the other end or the box said so
		return sim.HowReset
	}
}

func runTCP(ctx context.Context, l *Lab, f Flow, window time.Duration) (Seen, error) {
	var ln net.Listener
	addr := net.JoinHostPort(serverAddr, strconv.Itoa(f.Port))
	if err := In(l.Server, func() (err error) { ln, err = net.Listen("tcp", addr); return }); err != nil {
		return Seen{}, err
	}
	defer ln.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go serveTCP(sctx, ln, f)
	var conn net.Conn
	err := In(l.Client, func() (err error) { conn, err = net.DialTimeout("tcp", addr, dialTimeout); return })
	if errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
		return Seen{Refused: true}, nil // the SYN met a full table
	}
	if err != nil {
		return Seen{}, err
	}
	defer conn.Close()
	start := time.Now()
	c := conn.(*net.TCPConn)
	if f.Keepalive.Type.Kind().Driver == sim.DriveTCPOption {
		if err := setKeepalive(c, f.Keepalive); err != nil {
			return Seen{}, err
		}
	}
	type death struct {
		at  time.Duration
		how sim.How
	}
	dead := make(chan death, 4)
	var mu sync.Mutex
	lastPing := start
	pings := &pinger{k: f.Keepalive}
	write := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(c, s+"\n"); err != nil {
			dead <- death{time.Since(start), how(err)}
		}
	}
	go func() { // reader
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				dead <- death{time.Since(start), how(err)}
				return
			}
			switch strings.TrimSpace(line) {
			case "pong":
				pings.pong()
			case "sping":
				mu.Lock()
				lastPing = time.Now()
				mu.Unlock()
				write("spong")
			}
		}
	}()
	k := f.Keepalive
	ticker := func(d time.Duration) <-chan time.Time {
		if d <= 0 {
			return nil
		}
		return time.NewTicker(d).C
	}
	up, ping := ticker(f.Up), ticker(0)
	if k.Type.Kind().Driver == sim.DriveClientPing {
		ping = ticker(k.Interval)
	}
	watchdog := ticker(0)
	if k.Type.Kind().Driver == sim.DriveServerPing {
		watchdog = ticker(50 * time.Millisecond)
	}
	check := ticker(20 * time.Millisecond)
	end := time.After(window)
	for {
		select {
		case d := <-dead:
			return Seen{At: d.at, How: d.how}, nil
		case <-end:
			return Seen{Alive: true}, nil
		case <-ctx.Done():
			return Seen{}, ctx.Err()
		case <-up:
			write("data")
		case <-ping:
			pings.sent(time.Now())
			write("ping")
		case <-watchdog:
			mu.Lock()
			silent := time.Since(lastPing)
			mu.Unlock()
			if silent >= time.Duration(k.Misses)*k.Interval+k.Jitter+k.Timeout {
				return Seen{At: time.Since(start), How: sim.HowWatchdog}, nil
			}
		case now := <-check:
			if pings.dead(now) {
				return Seen{At: time.Since(start), How: sim.HowMissedPongs}, nil
			}
		}
	}
}

// runUDP drives a UDP flow: the client pings (app keepalive) and sends
// data every f.Up; the server answers pings as f.Rebinding says. A ping
// not answered in time is a miss. (Server pushes over UDP are not driven.)
func runUDP(ctx context.Context, l *Lab, f Flow, window time.Duration) (Seen, error) {
	addr := net.JoinHostPort(serverAddr, strconv.Itoa(f.Port))
	var srv *net.UDPConn
	at := net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(serverAddr), uint16(f.Port)))
	if err := In(l.Server, func() (err error) { srv, err = net.ListenUDP("udp", at); return }); err != nil {
		return Seen{}, err
	}
	defer srv.Close()
	go serveUDP(srv, f.Rebinding)
	var conn net.Conn
	if err := In(l.Client, func() (err error) { conn, err = net.Dial("udp", addr); return }); err != nil {
		return Seen{}, err
	}
	defer conn.Close()
	start := time.Now()
	k := f.Keepalive
	pings := &pinger{k: k}
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if string(buf[:n]) == "pong" {
				pings.pong()
			}
		}
	}()
	conn.Write([]byte("hello")) // the flow's first datagram opens the entry
	var ping, up <-chan time.Time
	if k.Type.Kind().Driver == sim.DriveClientPing {
		ping = time.NewTicker(k.Interval).C
	}
	if f.Up > 0 {
		up = time.NewTicker(f.Up).C
	}
	check := time.NewTicker(20 * time.Millisecond).C
	end := time.After(window)
	for {
		select {
		case <-end:
			return Seen{Alive: true}, nil
		case <-ctx.Done():
			return Seen{}, ctx.Err()
		case <-up:
			conn.Write([]byte("data"))
		case <-ping:
			pings.sent(time.Now())
			conn.Write([]byte("ping"))
		case now := <-check:
			if pings.dead(now) {
				return Seen{At: time.Since(start), How: sim.HowMissedPongs}, nil
			}
		}
	}
}

// serveUDP answers a UDP flow's pings. With udp_rebinding follow it is an
// unconnected socket: each pong goes to the address its ping came from,
// so it follows the flow to whatever port the box gives it. With reject
// it keeps only the first address it heard from, as a connected socket
// does, and drops, unanswered, datagrams from any other. (A real connected
// socket alone on its port would make the kernel answer those with ICMP
// port unreachable; a server that connects per client keeps an unconnected
// socket for new ones, which takes them silently, as here.)
func serveUDP(srv *net.UDPConn, rule sim.Rebinding) {
	var peer netip.AddrPort
	buf := make([]byte, 64)
	for {
		n, from, err := srv.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if !peer.IsValid() {
			peer = from
		}
		if rule == sim.RebindReject && from != peer {
			continue
		}
		if string(buf[:n]) == "ping" {
			srv.WriteToUDPAddrPort([]byte("pong"), from)
		}
	}
}

// pinger keeps an app keepalive's books on the lab's clock: a ping whose
// timeout passes without its pong is a miss, and k.Misses misses in a
// row end the connection (as natsim's app keepalive does).
type pinger struct {
	k         sim.Keepalive
	count     int         // pings sent
	deadlines []time.Time // of the pings not yet judged, in order
	misses    int
	mu        sync.Mutex
	answered  int // pongs received (from the reader goroutine)
}

// pong counts a pong; the flow's reader calls it.
func (p *pinger) pong() {
	p.mu.Lock()
	p.answered++
	p.mu.Unlock()
}

func (p *pinger) sent(now time.Time) {
	p.count++
	p.deadlines = append(p.deadlines, now.Add(p.k.Timeout))
}

// dead judges the pings whose deadline has passed and reports whether
// the connection is dead.
func (p *pinger) dead(now time.Time) bool {
	p.mu.Lock()
	answered := p.answered
	p.mu.Unlock()
	for len(p.deadlines) > 0 && now.After(p.deadlines[0]) {
		n := p.count - len(p.deadlines) + 1 // this ping's number
		p.deadlines = p.deadlines[1:]
		if answered >= n {
			p.misses = 0
			continue
		}
		if p.misses++; p.misses >= p.k.Misses {
			return true
		}
	}
	return false
}
