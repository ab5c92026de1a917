package sim

import (
	"fmt"
	"strconv"
	"time"
)

// keepaliver is one keepalive type's behaviour in the engine. A strategy
// arms its timers when a connection is set up, handles the four generic
// keepalive events (a client timer and deadline, a server timer and
// deadline) and its own packets (probes, pings, pongs and their answers)
// at either end. It owns the client's kaState and unanswered count; it
// keeps any further per-client state in side arrays of its own.
//
// A new strategy is one file: a type that implements keepaliver, a
// KeepaliveType constant and a register call in the file's init.
type keepaliver interface {
	// start arms the keepalive of a connection just set up.
	start(s *sim, ci uint32, c *client)
	// timer and deadline handle evKaTimer and evKaDeadline (the client's);
	// serverTimer and serverDeadline, evKaServerTimer and
	// evKaServerDeadline. arg is the event's argument.
	timer(s *sim, ci uint32, c *client)
	deadline(s *sim, ci uint32, c *client, arg uint32)
	serverTimer(s *sim, ci uint32, c *client)
	serverDeadline(s *sim, ci uint32, c *client, arg uint32)
	// atServer and atClient handle a keepalive packet (arg: its type and
	// sequence number) reaching the server, or the client through the
	// boxes, on an open connection.
	atServer(s *sim, ci uint32, c *client, arg uint32)
	atClient(s *sim, ci uint32, c *client, arg uint32)
}

// kaState is the part of a client's record that its keepalive strategy
// owns: what the two numbers mean is the strategy's (an app ping's
// sequence numbers, for one).
type kaState [2]uint32

// KeepaliveKind describes one keepalive type to the packages around the
// engine: its name in scenario files, the fields it takes with their
// defaults and bounds, how it is checked, and how kernel-check drives it
// on real sockets. Scenarios, reports and kernel-check read it rather
// than switching on the type.
type KeepaliveKind struct {
	Type KeepaliveType
	Name string
	// Fields are the settings it takes besides type, in the order a
	// scenario lists them.
	Fields []KeepaliveField
	// TCPOnly: it needs protocol tcp (Linux keepalive is a TCP option).
	TCPOnly bool
	// ServerSends: the server sends the keepalives and the client answers
	// (server-app), so only data that the client hears from the server
	// puts them off.
	ServerSends bool
	// Driver says how kernel-check drives it on real sockets.
	Driver KernelDriver
	// Summary describes a setting in one line, for reports.
	Summary func(Keepalive) string
	// check reports what is wrong with a setting, field by field.
	check func(Keepalive) []FieldProblem
	// timers is how many recurring timers a client has and how often
	// they fire per second, to size the event queue.
	timers func(Keepalive) (n int, rate float64)
	// make returns the strategy for a group's setting.
	make func(Keepalive) keepaliver
	// Defaults, if set, fills the fields whose defaults depend on a
	// choice (an adaptive preset): scenario loading calls it after the
	// choices are read and before the other given values.
	Defaults func(*Keepalive)
}

// KernelDriver is how kernel-check realises a keepalive type.
type KernelDriver uint8

const (
	DriveNone       KernelDriver = iota // no keepalive
	DriveTCPOption                      // SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT
	DriveClientPing                     // the client sends pings, the server answers
	DriveServerPing                     // the server sends pings, the client answers
)

// KeepaliveField is one setting of a keepalive type. Exactly one of
// Duration, Count, Flag and Choice is set: it gives the field of
// Keepalive that the setting fills.
type KeepaliveField struct {
	Name     string // in scenario files
	Duration func(*Keepalive) *time.Duration
	Count    func(*Keepalive) *int
	Flag     func(*Keepalive) *bool
	// Choice is a name out of Choices, stored as its index.
	Choice  func(*Keepalive) *uint8
	Choices []string
	// Applies, if set, says whether the setting means anything for a
	// setting whose choices are made (a parameter of some presets only).
	Applies func(Keepalive) bool
	// Required fields have no default; Default is a duration's
	// nanoseconds, a count, or 0 or 1 for a flag.
	Required bool
	Default  int64
}

// FieldProblem is one thing wrong with a keepalive setting.
type FieldProblem struct {
	Field string // the setting's name
	Msg   string
	Value string // as written, quoted for strings and durations
}

var kinds [numKeepaliveTypes]*KeepaliveKind

// register adds a keepalive type to the registry; each strategy's file
// calls it from init.
func register(k *KeepaliveKind) {
	if kinds[k.Type] != nil {
		panic("sim: keepalive type registered twice: " + k.Name)
	}
	kinds[k.Type] = k
}

// KeepaliveKinds lists every keepalive type, in the order of their
// constants.
func KeepaliveKinds() []*KeepaliveKind { return kinds[:] }

// KeepaliveKindNamed returns the keepalive type of a name.
func KeepaliveKindNamed(name string) (*KeepaliveKind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return nil, false
}

// Kind returns the description of t.
func (t KeepaliveType) Kind() *KeepaliveKind {
	if int(t) < len(kinds) {
		return kinds[t]
	}
	return nil
}

// Check reports what is wrong with a setting of this type.
func (k *KeepaliveKind) Check(ka Keepalive) []FieldProblem {
	if k.check == nil {
		return nil
	}
	return k.check(ka)
}

// positive is a check that a duration is > 0.
func positive(name string, d time.Duration) []FieldProblem {
	if d <= 0 {
		return []FieldProblem{{name, "must be a positive duration", strconv.Quote(d.String())}}
	}
	return nil
}

// countIn is a check that a count is in [lo, hi], with why said when it
// is over.
func countIn(name string, n, lo, hi int, why string) []FieldProblem {
	switch {
	case n < lo:
		return []FieldProblem{{name, fmt.Sprintf("must be at least %d", lo), strconv.Itoa(n)}}
	case n > hi:
		return []FieldProblem{{name, fmt.Sprintf("must be at most %d%s", hi, why), strconv.Itoa(n)}}
	}
	return nil
}

// spanSum is a check that a sum of spans the engine forms stays within
// MaxSpan.
func spanSum(name, what, value string, terms ...float64) []FieldProblem {
	if !SpansFit(terms...) {
		return []FieldProblem{{name, fmt.Sprintf("%s must be at most %v (100 years of simulated time)", what, MaxSpan), value}}
	}
	return nil
}

// noKeepalive is type none: nothing to arm, nothing to answer.
type noKeepalive struct{}

func (noKeepalive) start(*sim, uint32, *client)                  {}
func (noKeepalive) timer(*sim, uint32, *client)                  {}
func (noKeepalive) deadline(*sim, uint32, *client, uint32)       {}
func (noKeepalive) serverTimer(*sim, uint32, *client)            {}
func (noKeepalive) serverDeadline(*sim, uint32, *client, uint32) {}
func (noKeepalive) atServer(*sim, uint32, *client, uint32)       {}
func (noKeepalive) atClient(*sim, uint32, *client, uint32)       {}

func init() {
	register(&KeepaliveKind{
		Type: KeepaliveNone, Name: "none", Driver: DriveNone,
		Summary: func(Keepalive) string { return "none" },
		timers:  func(Keepalive) (int, float64) { return 0, 0 },
		make:    func(Keepalive) keepaliver { return noKeepalive{} },
	})
}

// due handles a timer kept lazily: rather than moving a pending event each
// time its deadline moves later, the event comes up at the old deadline
// and, if the deadline is still ahead, schedules itself again for it. due
// reports whether the deadline has been reached.
func (s *sim) due(deadline time.Duration, ci uint32, c *client, kind evKind) bool {
	if s.now < deadline {
		s.at(deadline, event{Kind: kind, Client: ci, Conn: c.conn})
		return false
	}
	return true
}

// perSecond is how often a timer of mean period d fires (0 for none).
func perSecond(d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return 1 / d.Seconds()
}
