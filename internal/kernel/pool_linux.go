package kernel

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// runPooled drives a pooled flow through the lab: a Go net/http server
// (keep-alive on) in the server namespace, and a client whose Transport
// dials from the client namespace, issuing one request every p.Gap from
// the flow's start while the window lasts; it waits for the last to end.
// TCP keepalive is off on both ends (net's default would probe after
// 15 s and refresh the box), so that only the requests touch the entry.
func runPooled(ctx context.Context, l *Lab, f Flow, window time.Duration) (Seen, error) {
	p := f.Pool
	addr := net.JoinHostPort(serverAddr, strconv.Itoa(f.Port))
	var ln net.Listener
	lc := net.ListenConfig{KeepAlive: -1}
	if err := In(l.Server, func() (err error) { ln, err = lc.Listen(ctx, "tcp", addr); return }); err != nil {
		return Seen{}, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(p.Service):
		case <-r.Context().Done():
		}
		io.WriteString(w, "ok")
	}), IdleTimeout: p.ServerKeepalive, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	defer srv.Close()
	dialer := &net.Dialer{KeepAlive: -1, Timeout: dialTimeout}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, a string) (c net.Conn, err error) {
			err = In(l.Client, func() (err error) { c, err = dialer.DialContext(ctx, network, a); return })
			return c, err
		},
		MaxIdleConnsPerHost: p.MaxIdle, IdleConnTimeout: p.IdleTimeout, DisableCompression: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: p.Timeout}
	url := "http://" + addr + "/"
	n := int((window + p.Gap - 1) / p.Gap)
	reqs := make([]Request, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		select {
		case <-time.After(time.Until(start.Add(time.Duration(i) * p.Gap))):
		case <-ctx.Done():
			return Seen{}, ctx.Err()
		}
		wg.Go(func() { reqs[i] = send(ctx, client, p.Method(i), url, start) })
	}
	wg.Wait()
	return Seen{Requests: reqs}, ctx.Err()
}

// send makes one request and says how it went. Go's Transport retries
// by itself; a client trace sees each attempt take a connection
// (GetConn), so a second one dates the first attempt's failure.
func send(ctx context.Context, c *http.Client, method, url string, start time.Time) Request {
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader("natsim")
	}
	var mu sync.Mutex
	var attempts []time.Time
	reused := false
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { mu.Lock(); attempts = append(attempts, time.Now()); mu.Unlock() },
		GotConn: func(i httptrace.GotConnInfo) { mu.Lock(); reused = i.Reused; mu.Unlock() },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, url, body)
	issued := time.Now()
	r := Request{Issued: issued.Sub(start), Method: method}
	if err == nil {
		var resp *http.Response
		if resp, err = c.Do(req); err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	ended := time.Now()
	mu.Lock()
	defer mu.Unlock()
	switch {
	case err == nil && len(attempts) > 1:
		r.Outcome, r.At = RetriedOK, attempts[1].Sub(issued)
	case err == nil && reused:
		r.Outcome = OKReused
	case err == nil:
		r.Outcome = OKNew
	case isTimeout(err):
		r.Outcome, r.At = Hung, ended.Sub(issued)
	case errors.Is(err, syscall.ECONNRESET):
		r.Outcome, r.At = FailedReset, ended.Sub(issued)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		r.Outcome, r.At = FailedClosed, ended.Sub(issued)
	default:
		r.Outcome, r.At = "failed: "+err.Error(), ended.Sub(issued)
	}
	return r
}
