package sim

import (
	"fmt"
	"time"

	"github.com/natsim/natsim/nat"
)

// Requests makes a client group request-driven: each client issues
// requests at its own pace and serves them over a connection pool (Pool)
// instead of holding one long-lived connection.
type Requests struct {
	Interval      Dist          // between a client's requests
	Service       time.Duration // the server's time to answer one request
	RequestBytes  int           // size of a request, bytes
	ResponseBytes int           // size of a response, bytes
	Idempotent    float64       // share of requests safe to retry (GET, HEAD, ...), in [0, 1]
	Timeout       time.Duration // overall request timeout; 0 = none
}

// Reuse is the order in which a pool hands out its idle connections.
type Reuse uint8

const (
	ReuseLIFO Reuse = iota // the most recently returned first (Go, Node, HikariCP)
	ReuseFIFO              // the longest idle first
)

var reuseNames = [...]string{"lifo", "fifo"}

func (r Reuse) String() string { return enumString(reuseNames[:], int(r)) }

// Reuses lists the values of Reuse.
var Reuses = []Reuse{ReuseLIFO, ReuseFIFO}

// Validation is what a pool does to an idle connection before lending it.
type Validation uint8

const (
	// ValidateNone lends it as it is: a request sent on a closed
	// connection fails.
	ValidateNone Validation = iota
	// ValidatePeek discards a connection whose peer's FIN or RST has
	// already arrived, at no cost (Go's background read loop, urllib3's
	// is_connection_dropped, Node's free-socket close handler). It
	// cannot see a connection that a box dropped silently.
	ValidatePeek
	// ValidatePing sends a round trip first (a JDBC isValid, a SELECT 1)
	// when the connection was idle for at least the bypass window; a
	// ping unanswered within the validation timeout discards it.
	ValidatePing
)

var validationNames = [...]string{"none", "peek", "ping"}

func (v Validation) String() string { return enumString(validationNames[:], int(v)) }

// Validations lists the values of Validation.
var Validations = []Validation{ValidateNone, ValidatePeek, ValidatePing}

// RetryKind is a library's rule for retrying a failed request.
type RetryKind uint8

const (
	RetryNone RetryKind = iota // the failure goes to the application
	// RetryGo is Go's net/http Transport: only a request that failed on a
	// reused connection, and only when nothing of it was written or it is
	// idempotent (it failed before the first response byte in this
	// model); as often as that holds.
	RetryGo
	// RetryURLLib3 is urllib3's default Retry(total=3): idempotent
	// requests, up to 3 retries.
	RetryURLLib3
	// RetryDatabaseSQL is Go's database/sql (DB.retry): a query that met
	// a bad connection (driver.ErrBadConn) is tried twice on cached
	// connections (maxBadConnRetries = 2), then once on a new one.
	RetryDatabaseSQL
	// RetryAttempts retries idempotent requests until Attempts attempts
	// in all.
	RetryAttempts
)

var retryNames = [...]string{"none", "go", "urllib3", "database-sql", "attempts"}

func (k RetryKind) String() string { return enumString(retryNames[:], int(k)) }

// RetryKinds lists the named retry rules (RetryAttempts is written as
// {attempts: N}).
var RetryKinds = []RetryKind{RetryNone, RetryGo, RetryURLLib3, RetryDatabaseSQL}

// Retry is a pool's retry rule.
type Retry struct {
	Kind     RetryKind
	Attempts int // RetryAttempts: attempts in all, 1 to MaxAttempts
}

// MaxAttempts bounds a retry rule's attempts (a request counts them in a byte).
const MaxAttempts = 100

// Pool is a request-driven group's connection pool, per client.
type Pool struct {
	MaxIdle     int           // most idle connections kept; one returned beyond it is closed
	IdleTimeout time.Duration // an idle connection is closed after this; 0 = never
	MaxLifetime time.Duration // a connection is retired at this age (when next idle); 0 = never
	// LifetimeJitter shortens each connection's lifetime by a uniform
	// share in [0, LifetimeJitter) (HikariCP: up to 2.5%).
	LifetimeJitter    float64
	Reuse             Reuse
	Validate          Validation
	ValidationTimeout time.Duration // ping: an answer later than this fails the check; 0 = none (until TCP gives up)
	ValidationBypass  time.Duration // ping: a connection idle for less is lent unchecked
	Retry             Retry
}

// enumString names value i of an enumeration.
func enumString(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("invalid(%d)", i)
}

// checkPool reports the problems of a request-driven group's settings.
func (c *Config) checkPool(g *Group, add func(string, ...any)) {
	if g.Requests == nil {
		if g.Pool != nil || g.ServerKeepalive != 0 {
			add("group %s: pool and server keepalive_timeout need requests", g.Name)
		}
		return
	}
	rq, p := g.Requests, g.Pool
	if p == nil {
		add("group %s: requests need a pool", g.Name)
		return
	}
	if g.Proto != nat.TCP {
		add("group %s: requests need protocol tcp", g.Name)
	}
	if c.Network.Loss > 0 {
		add("group %s: requests need network loss 0 (pooled connections do not model loss)", g.Name)
	}
	if rq.Interval.IsZero() {
		add("group %s: requests need an interval", g.Name)
	}
	if !g.Up.Interval.IsZero() || !g.Down.Interval.IsZero() || g.Session != nil {
		add("group %s: requests do not mix with traffic or session", g.Name)
	}
	if k := g.Keepalive.Type; k != KeepaliveNone && k != KeepaliveTCP {
		add("group %s: pooled connections take keepalive none or tcp (got %v)", g.Name, k)
	}
	if rq.Idempotent < 0 || rq.Idempotent > 1 || rq.Idempotent != rq.Idempotent {
		add("group %s: requests.idempotent must be in [0, 1] (got %v)", g.Name, rq.Idempotent)
	}
	if rq.Service < 0 || rq.Timeout < 0 || g.ServerKeepalive < 0 || p.IdleTimeout < 0 || p.MaxLifetime < 0 ||
		p.ValidationTimeout < 0 || p.ValidationBypass < 0 {
		add("group %s: request and pool spans must be >= 0", g.Name)
	}
	if !SpansFit(float64(rq.Service), float64(rq.Timeout), float64(g.ServerKeepalive), float64(p.IdleTimeout),
		float64(p.MaxLifetime), float64(p.ValidationTimeout), float64(p.ValidationBypass)) {
		add("group %s: a request or pool span exceeds %v", g.Name, MaxSpan)
	}
	if p.MaxIdle < 1 {
		add("group %s: pool.max_idle must be >= 1 (got %d)", g.Name, p.MaxIdle)
	}
	if p.LifetimeJitter < 0 || p.LifetimeJitter >= 1 || p.LifetimeJitter != p.LifetimeJitter {
		add("group %s: pool.lifetime_jitter must be in [0, 1) (got %v)", g.Name, p.LifetimeJitter)
	}
	if p.Reuse > ReuseFIFO || p.Validate > ValidatePing || p.Retry.Kind > RetryAttempts {
		add("group %s: pool reuse, validate or retry out of range", g.Name)
	}
	if p.Retry.Kind == RetryAttempts && (p.Retry.Attempts < 1 || p.Retry.Attempts > MaxAttempts) {
		add("group %s: pool retry attempts must be 1 to %d (got %d)", g.Name, MaxAttempts, p.Retry.Attempts)
	}
	for h, bi := range c.PathOf(g) {
		if c.Path[bi].BackendKeepalive > 0 && h != len(c.PathOf(g))-1 {
			add("group %s: the L7 middlebox %s must be the last on the path", g.Name, c.Path[bi].Name)
		}
	}
}
