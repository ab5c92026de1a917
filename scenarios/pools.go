package scenarios

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// PoolPreset is a client library's connection pool with its documented
// defaults.
type PoolPreset struct {
	Name   string
	Pool   PoolSpec
	Source string // where the defaults were read
	Note   string // what the preset assumes beyond the source
}

// MarshalYAML writes a share as a plain fraction.
func (s Share) MarshalYAML() (any, error) { return float64(s), nil }

// MarshalYAML writes a retry rule in the form it is read.
func (r RetrySpec) MarshalYAML() (any, error) {
	if r.Name == "attempts" {
		return map[string]int{"attempts": r.Attempts}, nil
	}
	return r.Name, nil
}

func durp(d time.Duration) *Duration { return ptr(Duration(d)) }

// PoolPresets are the pool presets, by name. Each gives every field.
var PoolPresets = []PoolPreset{
	{
		Name: "go-net-http",
		Pool: PoolSpec{MaxIdle: ptr(2), IdleTimeout: durp(90 * time.Second), MaxLifetime: durp(0), LifetimeJitter: ptr(Share(0)),
			Reuse: ptr("lifo"), Validate: ptr("peek"), ValidationTimeout: durp(0), ValidationBypass: durp(0), Retry: &RetrySpec{Name: "go"}},
		Source: "Go net/http transport.go: DefaultTransport IdleConnTimeout 90 s, DefaultMaxIdleConnsPerHost 2, " +
			"idle list taken from its end (LIFO), persistConn.readLoop sees a peer's close while idle, " +
			"Transport.roundTrip retries via shouldRetryRequest (https://go.dev/src/net/http/transport.go)",
		Note: "MaxConnsPerHost 0: no limit on connections in use. The dialer's TCP keepalive (15 s) is the group's keepalive: field.",
	},
	{
		Name: "node-agent",
		Pool: PoolSpec{MaxIdle: ptr(256), IdleTimeout: durp(5 * time.Second), MaxLifetime: durp(0), LifetimeJitter: ptr(Share(0)),
			Reuse: ptr("lifo"), Validate: ptr("peek"), ValidationTimeout: durp(0), ValidationBypass: durp(0), Retry: &RetrySpec{Name: "none"}},
		Source: "Node.js http.globalAgent since v19: keepAlive true, scheduling 'lifo', timeout 5000 ms, maxFreeSockets 256; " +
			"a free socket's close or error removes it (https://nodejs.org/api/http.html#class-httpagent)",
		Note: "ECONNRESET reaches the application: no retry.",
	},
	{
		Name: "agentkeepalive",
		Pool: PoolSpec{MaxIdle: ptr(256), IdleTimeout: durp(4 * time.Second), MaxLifetime: durp(0), LifetimeJitter: ptr(Share(0)),
			Reuse: ptr("lifo"), Validate: ptr("peek"), ValidationTimeout: durp(0), ValidationBypass: durp(0), Retry: &RetrySpec{Name: "none"}},
		Source: "node-modules/agentkeepalive README: freeSocketTimeout 4000 ms, set below Node's 5000 ms server keepAliveTimeout " +
			"to avoid ECONNRESET (https://github.com/node-modules/agentkeepalive)",
		Note: "maxFreeSockets and scheduling as Node's http.Agent (256, lifo).",
	},
	{
		Name: "urllib3",
		Pool: PoolSpec{MaxIdle: ptr(1), IdleTimeout: durp(0), MaxLifetime: durp(0), LifetimeJitter: ptr(Share(0)),
			Reuse: ptr("lifo"), Validate: ptr("peek"), ValidationTimeout: durp(0), ValidationBypass: durp(0), Retry: &RetrySpec{Name: "urllib3"}},
		Source: "urllib3 connectionpool.py: HTTPConnectionPool maxsize 1 in a LifoQueue, is_connection_dropped before reuse, " +
			"Retry.DEFAULT = Retry(3), read errors retried only for idempotent methods (https://urllib3.readthedocs.io/en/stable/reference/urllib3.util.html)",
		Note: "requests mounts pools of 10 and passes max_retries=0: set max_idle: 10 and retry: none for requests.",
	},
	{
		Name: "hikaricp",
		Pool: PoolSpec{MaxIdle: ptr(10), IdleTimeout: durp(0), MaxLifetime: durp(30 * time.Minute), LifetimeJitter: ptr(Share(0.025)),
			Reuse: ptr("lifo"), Validate: ptr("ping"), ValidationTimeout: durp(5 * time.Second), ValidationBypass: durp(500 * time.Millisecond),
			Retry: &RetrySpec{Name: "none"}},
		Source: "HikariCP README: maximumPoolSize 10, maxLifetime 30 min with up to 2.5% random shortening, idleTimeout 10 min " +
			"only when minimumIdle < maximumPoolSize (by default they are equal), validationTimeout 5 s, connections " +
			"idle under 500 ms lent untested (https://github.com/brettwooldridge/HikariCP)",
		Note: "A failed validation discards the connection and takes another; the query itself is not retried. " +
			"Reuse is LIFO as ConcurrentBag's thread-local list is.",
	},
	{
		Name: "pgbouncer",
		Pool: PoolSpec{MaxIdle: ptr(20), IdleTimeout: durp(600 * time.Second), MaxLifetime: durp(3600 * time.Second), LifetimeJitter: ptr(Share(0)),
			Reuse: ptr("lifo"), Validate: ptr("ping"), ValidationTimeout: durp(0), ValidationBypass: durp(30 * time.Second),
			Retry: &RetrySpec{Name: "none"}},
		Source: "PgBouncer configuration: default_pool_size 20, server_idle_timeout 600 s, server_lifetime 3600 s, " +
			"server_check_delay 30 s before server_check_query, server_round_robin 0 (LIFO), tcp_keepalive on with the OS's " +
			"settings (https://www.pgbouncer.org/config.html)",
		Note: "The check query has no timeout of its own: an unanswered one waits for TCP's give-up (validation_timeout 0).",
	},
}

// findPoolPreset returns the pool preset with that name.
func findPoolPreset(name string) (PoolPreset, bool) {
	i := slices.IndexFunc(PoolPresets, func(p PoolPreset) bool { return p.Name == name })
	if i < 0 {
		return PoolPreset{}, false
	}
	return PoolPresets[i], true
}

// poolPresetNames lists the pool presets' names.
func poolPresetNames() []string {
	var names []string
	for _, p := range PoolPresets {
		names = append(names, p.Name)
	}
	return names
}

// requests resolves a request-driven group's requests:, pool: and
// server: (the group's, else the file's) into g.
func (r *resolver) requests(gs *GroupSpec, top *ServerSpec, g *sim.Group) {
	path := "clients." + gs.Name
	srv, srvPath := gs.Server, path+".server"
	if srv == nil || srv.KeepaliveTimeout == nil {
		srv, srvPath = top, "server"
	}
	if gs.Requests == nil {
		if gs.Pool != nil {
			r.bad(path+".pool", "needs requests: (a pool serves a request-driven group)", "")
		}
		if gs.Server != nil && gs.Server.KeepaliveTimeout != nil {
			r.bad(path+".server.keepalive_timeout", "applies to request-driven groups only (add requests:)", "")
		}
		return
	}
	rq := gs.Requests
	out := &sim.Requests{
		Interval:      r.dist(path+".requests.interval", rq.Interval, true),
		RequestBytes:  r.count(path+".requests.request_bytes", rq.RequestBytes, 0, 0),
		ResponseBytes: r.count(path+".requests.response_bytes", rq.ResponseBytes, 0, 0),
		Service:       r.optSpan(path+".requests.service", rq.Service),
		Timeout:       r.optSpan(path+".requests.timeout", rq.Timeout),
	}
	if rq.Idempotent != nil {
		out.Idempotent = *rq.Idempotent
		if !(out.Idempotent >= 0 && out.Idempotent <= 1) {
			r.bad(path+".requests.idempotent", "must be a share in [0, 1]", strconv.FormatFloat(out.Idempotent, 'g', -1, 64))
		}
	}
	g.Requests = out
	if g.Proto != nat.TCP {
		r.bad(path+".protocol", "must be tcp for a request-driven group", protocols[g.Proto])
	}
	if gs.Traffic.Up != nil || gs.Traffic.Down != nil || gs.Session != nil {
		r.bad(path+".requests", "a request-driven group has no traffic: or session: (its requests are its traffic)", "")
	}
	if k := g.Keepalive.Type; k != sim.KeepaliveNone && k != sim.KeepaliveTCP {
		r.bad(path+".keepalive.type", "pooled connections take keepalive none or tcp", strconv.Quote(k.String()))
	}
	if r.required(path+".pool", gs.Pool != nil, " for a request-driven group") {
		g.Pool = r.pool(path+".pool", gs.Pool)
	}
	if srv != nil && srv.KeepaliveTimeout != nil {
		g.ServerKeepalive = r.optSpan(srvPath+".keepalive_timeout", srv.KeepaliveTimeout)
	}
}

// optSpan returns an optional duration that must be >= 0 (0: none).
func (r *resolver) optSpan(path string, d *Duration) time.Duration {
	if d == nil {
		return 0
	}
	if dur(d) < 0 || !sim.SpansFit(float64(dur(d))) {
		r.bad(path, "must be a duration from 0 (none) to "+sim.MaxSpan.String(), quoteDur(dur(d)))
		return 0
	}
	return dur(d)
}

// pool resolves a pool: its preset fills what is not written; without
// a preset every field but the retry rule (default none) must be given.
func (r *resolver) pool(path string, ps *PoolSpec) *sim.Pool {
	p := *ps
	if p.Preset != nil {
		pre, ok := findPoolPreset(*p.Preset)
		if !ok {
			r.bad(path+".preset", unknownMsg("pool preset", *p.Preset, poolPresetNames()), strconv.Quote(*p.Preset))
			return &sim.Pool{MaxIdle: 1}
		}
		fillPool(&p, pre.Pool)
	}
	if p.Retry == nil {
		p.Retry = &RetrySpec{Name: "none"}
	}
	out := &sim.Pool{}
	if r.required(path+".max_idle", p.MaxIdle != nil, " (or a preset: "+strings.Join(poolPresetNames(), ", ")+")") {
		out.MaxIdle = r.count(path+".max_idle", p.MaxIdle, 1, 1)
	}
	out.IdleTimeout = r.optSpan(path+".idle_timeout", p.IdleTimeout)
	out.MaxLifetime = r.optSpan(path+".max_lifetime", p.MaxLifetime)
	out.ValidationTimeout = r.optSpan(path+".validation_timeout", p.ValidationTimeout)
	out.ValidationBypass = r.optSpan(path+".validation_bypass", p.ValidationBypass)
	if p.LifetimeJitter != nil {
		out.LifetimeJitter = float64(*p.LifetimeJitter)
		if !(out.LifetimeJitter >= 0 && out.LifetimeJitter < 1) {
			r.bad(path+".lifetime_jitter", "must be a share in [0, 1)", strconv.FormatFloat(out.LifetimeJitter, 'g', -1, 64))
		}
	}
	out.Reuse = enum(r, path+".reuse", p.Reuse, "", sim.Reuses)
	out.Validate = enum(r, path+".validate", p.Validate, "", sim.Validations)
	if p.Retry.Name == "attempts" {
		out.Retry = sim.Retry{Kind: sim.RetryAttempts, Attempts: p.Retry.Attempts}
		if p.Retry.Attempts < 1 || p.Retry.Attempts > sim.MaxAttempts {
			r.bad(path+".retry.attempts", "must be from 1 to "+strconv.Itoa(sim.MaxAttempts), strconv.Itoa(p.Retry.Attempts))
		}
	} else {
		out.Retry.Kind = enum(r, path+".retry", &p.Retry.Name, "", sim.RetryKinds)
	}
	return out
}

// fillPool sets every field of p that is not written to the preset's.
func fillPool(p *PoolSpec, pre PoolSpec) {
	fill(reflect.ValueOf(p).Elem(), reflect.ValueOf(pre))
}

// l7 resolves a box's optional activity: and backend_keepalive_timeout:.
// activity: data means only request and response data refresh its idle
// timer: TCP keepalive probes do not, whatever refresh_on_keepalive
// says (it is set to false).
func (r *resolver) l7(path string, m *MiddleboxSpec, out *sim.Middlebox) {
	if m.Activity != nil {
		switch *m.Activity {
		case "packets":
		case "data":
			out.RefreshOnKeepalive = false
		default:
			r.bad(path+".activity", "must be one of packets, data", strconv.Quote(*m.Activity))
		}
	}
	out.BackendKeepalive = r.optSpan(path+".backend_keepalive_timeout", m.BackendKeepaliveTimeout)
}

// pooledLoss refuses packet loss in a scenario with request-driven
// groups: their pooled connections do not model it.
func (r *resolver) pooledLoss(cfg *sim.Config) {
	if cfg.Network.Loss == 0 {
		return
	}
	for _, g := range cfg.Groups {
		if g.Requests != nil {
			r.bad("network.loss", "must be 0 with request-driven groups (clients."+g.Name+"): pooled connections do not model loss",
				strconv.FormatFloat(cfg.Network.Loss, 'g', -1, 64))
			return
		}
	}
}
