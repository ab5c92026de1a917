package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/sim"
)

// pooled is a request-driven group behind an L7 box.
const pooled = `name: pooled
duration: 1h
path:
  - name: alb
    preset: aws-alb
    activity: data
    on_expire: fin
    backend_keepalive_timeout: 60s
clients:
  - name: api
    count: 10
    requests:
      interval: {exponential: 5s}
      service: 20ms
      idempotent: 0.8
      timeout: 30s
    pool:
      preset: hikaricp
      lifetime_jitter: 5%
      retry: {attempts: 3}
server:
  keepalive_timeout: 5s
`

// TestPoolResolves: a preset fills the pool, what is written overrides
// it, and the box and server settings reach the engine.
func TestPoolResolves(t *testing.T) {
	sc, err := Parse("pooled.yaml", []byte(pooled), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := sc.Config.Groups[0]
	want := sim.Pool{MaxIdle: 10, MaxLifetime: 30 * time.Minute, LifetimeJitter: 0.05, Reuse: sim.ReuseLIFO,
		Validate: sim.ValidatePing, ValidationTimeout: 5 * time.Second, ValidationBypass: 500 * time.Millisecond,
		Retry: sim.Retry{Kind: sim.RetryAttempts, Attempts: 3}}
	if *g.Pool != want {
		t.Errorf("pool = %+v, want %+v", *g.Pool, want)
	}
	if g.ServerKeepalive != 5*time.Second || g.Requests.Idempotent != 0.8 || g.Requests.Timeout != 30*time.Second {
		t.Errorf("server keepalive %v, requests %+v", g.ServerKeepalive, *g.Requests)
	}
	b := sc.Config.Path[0]
	if b.BackendKeepalive != time.Minute || b.RefreshOnKeepalive || b.OnExpire.String() != "fin" {
		t.Errorf("box: backend %v, refresh_on_keepalive %v, on_expire %v", b.BackendKeepalive, b.RefreshOnKeepalive, b.OnExpire)
	}
	for _, set := range []string{"clients.api.pool.retry=go", "clients.api.pool.idle_timeout=90s", "server.keepalive_timeout=75s"} {
		if _, err := Parse("pooled.yaml", []byte(pooled), []string{set}); err != nil {
			t.Errorf("--set %s: %v", set, err)
		}
	}
}

// TestPoolProblems: each mistake is reported where it was written.
func TestPoolProblems(t *testing.T) {
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown preset", "preset: hikaricp", "preset: hikari", `pooled.yaml:18:15: clients.api.pool.preset: unknown pool preset (did you mean "hikaricp"?)`},
		{"bad retry", "retry: {attempts: 3}", "retry: always", `pooled.yaml:20:14: clients.api.pool.retry: must be one of none, go, urllib3, database-sql (got "always")`},
		{"attempts out of range", "retry: {attempts: 3}", "retry: {attempts: 0}", `clients.api.pool.retry.attempts: must be from 1 to 100 (got 0)`},
		{"bad jitter", "lifetime_jitter: 5%", "lifetime_jitter: lots", `pooled.yaml:19:24: clients.api.pool.lifetime_jitter: expected a fraction such as 0.025 or a percentage such as 2.5% (got "lots")`},
		{"jitter too big", "lifetime_jitter: 5%", "lifetime_jitter: 100%", `clients.api.pool.lifetime_jitter: must be a share in [0, 1) (got 1)`},
		{"idempotent share", "idempotent: 0.8", "idempotent: 2", `pooled.yaml:15:19: clients.api.requests.idempotent: must be a share in [0, 1] (got 2)`},
		{"no pool", "    pool:\n      preset: hikaricp\n      lifetime_jitter: 5%\n      retry: {attempts: 3}\n", "", `clients.api.pool: is required for a request-driven group`},
		{"pool without requests", "    requests:\n      interval: {exponential: 5s}\n      service: 20ms\n      idempotent: 0.8\n      timeout: 30s\n", "", `pooled.yaml:13:7: clients.api.pool: needs requests: (a pool serves a request-driven group)`},
		{"loss", "server:", "network: {loss: 0.01}\nserver:", `network.loss: must be 0 with request-driven groups (clients.api): pooled connections do not model loss (got 0.01)`},
		{"app keepalive", "    requests:", "    keepalive: {type: app, interval: 60s, timeout: 5s, request_bytes: 40, response_bytes: 40}\n    requests:", `clients.api.keepalive.type: pooled connections take keepalive none or tcp (got "app")`},
		{"bad activity", "activity: data", "activity: bytes", `pooled.yaml:6:15: path.alb.activity: must be one of packets, data (got "bytes")`},
		{"negative server timeout", "keepalive_timeout: 5s", "keepalive_timeout: -5s", `server.keepalive_timeout: must be a duration from 0 (none)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(pooled, tc.old, tc.new, 1)
			if text == pooled {
				t.Fatal("the edit did not apply")
			}
			_, err := Parse("pooled.yaml", []byte(text), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got:\n%v\nwant a line containing:\n%s", err, tc.want)
			}
		})
	}
}
