package scenarios

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// Scenario is a loaded and validated scenario file.
type Scenario struct {
	File         string // where it was read from
	Description  string
	Replications int
	Config       sim.Config // the resolved run: presets applied, defaults filled
	Sweep        Sweep
	// Target is the file's target:, with its confidence defaulted; empty
	// (Target.Empty) when the file sets none.
	Target target.Target
	// Advise is the file's advise: block, resolved (Advise.Tune empty
	// without one).
	Advise Advise
	root   *yaml.Node            // the document after --set, for expanding sweeps and ResolvedYAML
	nodes  map[string]*yaml.Node // field path -> its node, for Refuse
	origin map[*yaml.Node]string // nodes set by a flag -> the flag, for Refuse
	boxes  []boxOrigin           // by index into Config.Path, for Warnings
}

// boxOrigin is where a middlebox was written and what its preset says of
// it.
type boxOrigin struct {
	field     string // path.NAME or middleboxes.NAME
	household bool   // its preset is a home gateway's
}

// Defaults for fields a scenario may leave out.
const (
	DefaultSeed              = 1
	DefaultRetransmitTimeout = 924600 * time.Millisecond // Linux tcp_retries2=15
	DefaultBackoff           = time.Second
	DefaultMinPing           = 5 * time.Minute // grpc-go EnforcementPolicy.MinTime
	DefaultMaxPingStrikes    = 2               // grpc-go maxPingStrikes
	DefaultMaxBackoff        = time.Minute
	DefaultHandshakePackets  = 3   // TCP three-way handshake
	DefaultHandshakeBytes    = 172 // IPv4 with timestamps
	DefaultSamples           = 200 // time-series points per run unless sample_every says otherwise
	maxReplications          = 10000
)

// Load reads, checks and resolves a scenario file, after applying sets
// (KEY=VALUE, in the addressing syntax). A bad file gives Problems.
func Load(file string, sets []string) (*Scenario, error) {
	data, err := readAtMost(file, MaxFileBytes)
	if err != nil {
		return nil, Problems{{File: file, Msg: "cannot read the scenario: " + unwrapPathError(err)}}
	}
	return Parse(file, data, sets)
}

// Read is Load for a scenario read from r, such as standard input, named
// name in messages; it reads at most what Load reads of a file.
func Read(name string, r io.Reader, sets []string) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, Problems{{File: name, Msg: "cannot read the scenario: " + err.Error()}}
	}
	return Parse(name, data, sets)
}

// Limits of a scenario file, so that a hostile or mistaken one (such as
// /dev/zero) is refused before it takes the memory.
const (
	MaxFileBytes   = 1 << 20 // a scenario file
	MaxStringBytes = 4096    // any one key or value in it, or in --set
)

// readAtMost reads a file, or its first limit+1 bytes when it is longer.
func readAtMost(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

func unwrapPathError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// Parse is Load for data already read; file names it in messages.
func Parse(file string, data []byte, sets []string) (*Scenario, error) {
	if len(data) > MaxFileBytes {
		return nil, Problems{{File: file, Line: 1, Col: 1, Field: "scenario", Msg: "larger than 1 MiB, the most natsim reads",
			Value: fmt.Sprintf("more than %d bytes", MaxFileBytes)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if p, ok := anchorProblem(file, data, err); ok {
			return nil, Problems{p}
		}
		p := Problem{File: file, Line: 1, Col: 1, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Msg = "not valid YAML: " + m[2]
		}
		return nil, Problems{p}
	}
	if len(doc.Content) == 0 {
		return nil, Problems{{File: file, Line: 1, Col: 1, Msg: "the file is empty"}}
	}
	root, via, probs := unalias(file, doc.Content[0])
	if len(probs) > 0 {
		return nil, probs
	}
	if root.Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: root.Line, Col: root.Column, Msg: "a scenario is a mapping of fields", Value: shown(root)}}
	}
	origin := map[*yaml.Node]string{}
	for _, kv := range sets {
		flag := "--set " + kv
		key, text, ok := strings.Cut(kv, "=")
		if !ok {
			probs = append(probs, Problem{Flag: flag, Msg: "expected KEY=VALUE"})
			continue
		}
		val, err := parseValue(text)
		if err != nil {
			probs = append(probs, Problem{Flag: flag, Field: key, Msg: "value is not valid YAML", Value: strconv.Quote(text)})
			continue
		}
		markOrigin(val, flag, origin)
		if err := setKey(root, key, val); err != nil {
			probs = append(probs, Problem{Flag: flag, Field: key, Msg: err.Error()})
		}
	}
	probs = append(probs, longStrings(file, root, "", origin)...)
	if len(probs) > 0 {
		return nil, probs
	}
	sc, probs := build(file, root, origin, via)
	if len(probs) > 0 {
		return nil, probs
	}
	// Try every axis of the sweep on its own (not the whole product), so
	// that a bad key or value is reported where the sweep block names it.
	for _, ax := range sc.Sweep.axes() {
		if _, err := sc.expand(ax); err != nil {
			probs = append(probs, err.(Problems)...)
		}
	}
	if len(probs) > 0 {
		return nil, dedupe(probs)
	}
	return sc, nil
}

// longStrings reports every key or value longer than MaxStringBytes in
// the document (after --set), at its place.
func longStrings(file string, n *yaml.Node, path string, origin map[*yaml.Node]string) Problems {
	var probs Problems
	if len(n.Value) > MaxStringBytes {
		p := Problem{File: file, Line: n.Line, Col: n.Column, Field: cmp.Or(path, "scenario"),
			Msg: fmt.Sprintf("longer than %d bytes, the most natsim takes for one value", MaxStringBytes), Value: fmt.Sprintf("%d bytes", len(n.Value))}
		if f, ok := origin[n]; ok {
			p.Line, p.Col, p.Flag = 0, 0, f
		}
		probs = append(probs, p)
	}
	for i, c := range n.Content {
		sub := path
		if n.Kind == yaml.MappingNode && i%2 == 1 {
			sub = join(path, n.Content[i-1].Value)
		}
		if len(sub) > MaxStringBytes {
			sub = path
		}
		probs = append(probs, longStrings(file, c, sub, origin)...)
	}
	return probs
}

// build decodes a document and resolves it into a Scenario; via says
// which of its nodes are copies of an alias's value (unalias).
func build(file string, root *yaml.Node, origin map[*yaml.Node]string, via map[*yaml.Node]aliasUse) (*Scenario, Problems) {
	d := &decoder{file: file, origin: origin, via: via, nodes: map[string]*yaml.Node{"": root}}
	var f File
	d.decode(root, "", reflect.ValueOf(&f).Elem())
	// Resolve even after decoding problems, so that every problem is
	// reported at once; fields that failed to decode are not reported again.
	r := &resolver{d: d}
	sc := r.resolve(&f)
	sc.boxes = r.boxes
	if len(d.probs) > 0 {
		// In file order; problems from --set flags (line 0) first.
		slices.SortStableFunc(d.probs, func(a, b Problem) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
		})
		return nil, d.probs
	}
	sc.File, sc.root, sc.nodes, sc.origin = file, root, d.nodes, origin
	return sc, nil
}

// Refuse places a problem that lies not in one value but in what a run
// would take (memory, time): for a point of a sweep at its first swept
// key, naming the point; otherwise at field (or its nearest ancestor the
// file has), with value.
func (sc *Scenario) Refuse(p Point, field, msg, value string) Problem {
	if len(p.Values) > 0 && len(p.keys) > 0 {
		pr := p.keys[0].problem(sc, "at the point "+p.Label()+": "+msg)
		pr.Value = p.Values[0].Value
		return pr
	}
	pr := Problem{File: sc.File, Line: 1, Col: 1, Field: field, Msg: msg, Value: value}
	for path := field; ; {
		if n, ok := sc.nodes[path]; ok {
			pr.Line, pr.Col = n.Line, n.Column
			if flag, ok := sc.origin[n]; ok {
				pr.Line, pr.Col, pr.Flag = 0, 0, flag // set on the command line
			}
			break
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return pr
}

// resolver applies defaults and presets and checks what the decoder
// cannot: ranges, required fields, and fields that depend on others.
type resolver struct {
	d        *decoder
	cfg      *sim.Config // the config being resolved
	boxes    []boxOrigin // of cfg.Path
	badPaths bool        // a group's path names an unknown box: leave unused boxes unreported
	clients  int         // of the groups resolved so far, against sim.MaxClients
}

// bad reports a problem at the node of path, or of its nearest ancestor
// that the file has.
func (r *resolver) bad(path, msg, value string) {
	if r.d.failed[path] {
		return
	}
	p := path
	for {
		if n, ok := r.d.nodes[p]; ok {
			r.d.fail(n, path, msg, value)
			return
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			p = ""
		} else {
			p = p[:i]
		}
	}
}

func dur(d *Duration) time.Duration { return time.Duration(*d) }

func quoteDur(d time.Duration) string { return strconv.Quote(d.String()) }

// positive checks that an optional duration is > 0 and returns it or def.
func (r *resolver) positive(path string, d *Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	if dur(d) <= 0 {
		r.bad(path, "must be a positive duration", quoteDur(dur(d)))
		return def
	}
	return dur(d)
}

// required reports a missing field; it returns false when it is missing.
func (r *resolver) required(path string, present bool, why string) bool {
	if !present {
		r.bad(path, "is required"+why, "")
	}
	return present
}

func (r *resolver) resolve(f *File) *Scenario {
	sc := &Scenario{Description: strings.TrimSpace(f.Description), Sweep: f.Sweep, Replications: 1}
	cfg := &sc.Config
	r.cfg = cfg
	cfg.Name = f.Name
	if msg := NameProblem(f.Name); msg != "" {
		value := quotedName(f.Name)
		if f.Name == "" {
			value = ""
		}
		r.bad("name", msg, value)
	}
	cfg.Seed = DefaultSeed
	if f.Seed != nil {
		cfg.Seed = *f.Seed
	}
	if r.required("duration", f.Duration != nil, "") {
		cfg.Duration = r.positive("duration", f.Duration, 0)
	}
	if f.Warmup != nil {
		cfg.Warmup = dur(f.Warmup)
		if cfg.Warmup < 0 || (cfg.Duration > 0 && cfg.Warmup >= cfg.Duration) {
			r.bad("warmup", "must be >= 0 and shorter than duration ("+cfg.Duration.String()+")", quoteDur(cfg.Warmup))
		}
	}
	if f.Replications != nil {
		sc.Replications = *f.Replications
		if sc.Replications < 1 || sc.Replications > maxReplications {
			r.bad("replications", fmt.Sprintf("must be between 1 and %d", maxReplications), strconv.Itoa(sc.Replications))
		}
	}
	cfg.SampleEvery = r.positive("sample_every", f.SampleEvery, cfg.Duration/DefaultSamples)
	boxes := r.middleboxes(f)
	if len(f.Clients) == 0 {
		r.bad("clients", "needs at least one client group", "")
	}
	total := 0
	for i := range f.Clients {
		g := r.group(&f.Clients[i])
		g.Path = r.groupPath(&f.Clients[i], boxes, len(f.Path), len(f.Middleboxes) > 0)
		r.groupPaths(&f.Clients[i], &g, boxes)
		g.PingPolicy = r.pingPolicy(f, &f.Clients[i], g.Keepalive)
		r.requests(&f.Clients[i], f.Server, &g)
		total += g.Count
		cfg.Groups = append(cfg.Groups, g)
	}
	r.unused(f, cfg)
	if total > 1<<31 {
		r.bad("clients", "more than 2^31 clients in all", strconv.Itoa(total))
	}
	r.sampling(f.Sampling)
	if f.Network.RTT != nil {
		cfg.Network.RTT = dur(f.Network.RTT)
		if cfg.Network.RTT < 0 {
			r.bad("network.rtt", "must be >= 0", quoteDur(cfg.Network.RTT))
		}
	}
	if f.Network.Loss != nil {
		cfg.Network.Loss = *f.Network.Loss
		if !(cfg.Network.Loss >= 0 && cfg.Network.Loss < 1) {
			r.bad("network.loss", "must be in [0, 1)", strconv.FormatFloat(cfg.Network.Loss, 'g', -1, 64))
		}
	}
	sc.Target = r.target(f.Target)
	sc.Advise = r.advise(f.Advise)
	r.pooledLoss(cfg)
	return sc
}

// target checks the limits and confidence of a target: block.
func (r *resolver) target(spec *TargetSpec) target.Target {
	t := target.Target{Confidence: target.DefaultConfidence}
	if spec == nil {
		return t
	}
	if spec.Confidence != nil {
		t.Confidence = *spec.Confidence
		if msg := target.CheckConfidence(t.Confidence); msg != "" {
			r.bad("target.confidence", msg, strconv.FormatFloat(t.Confidence, 'g', -1, 64))
		}
	}
	for i, x := range []*float64{spec.BreaksPer1000ClientHours, spec.DowntimeFraction, spec.LostPer1000Messages, spec.PushDelayP99S, spec.FailedPerMillionRequests} {
		m := target.Metrics[i] // in the order of TargetSpec's fields
		if x == nil {
			continue
		}
		t.Set(m, *x)
		if msg := target.CheckLimit(m, *x); msg != "" {
			r.bad("target."+string(m), msg, strconv.FormatFloat(*x, 'g', -1, 64))
		}
	}
	return t
}

// middleboxes resolves the boxes of the top-level path, then those of the
// middleboxes list, into the config's boxes in that order; it returns
// their names, which are unique across both lists.
func (r *resolver) middleboxes(f *File) []string {
	if len(f.Path) == 0 && len(f.Middleboxes) == 0 {
		r.bad("path", "needs at least one middlebox (or list them under middleboxes: and give each group its path)", "")
	}
	var names []string
	for _, list := range []struct {
		key   string
		boxes []MiddleboxSpec
	}{{"path", f.Path}, {"middleboxes", f.Middleboxes}} {
		for i := range list.boxes {
			m := &list.boxes[i]
			if list.key == "middleboxes" && slices.Contains(names, m.Name) {
				r.bad("middleboxes."+m.Name, "name used twice: the top-level path has a middlebox of this name", strconv.Quote(m.Name))
			}
			r.cfg.Path = append(r.cfg.Path, r.middlebox(list.key, m))
			o := boxOrigin{field: list.key + "." + m.Name}
			if m.Preset != nil {
				p, _ := findPreset(*m.Preset)
				o.household = p.Household
			}
			r.boxes = append(r.boxes, o)
			names = append(names, m.Name)
		}
	}
	if len(names) > 16 {
		key := "path"
		if len(f.Middleboxes) > 0 {
			key = "middleboxes"
		}
		r.bad(key, "has more than 16 middleboxes (path and middleboxes together)", strconv.Itoa(len(names)))
	}
	return names
}

// groupPath resolves a group's path: the names it gives, as indexes into
// the config's boxes, or, when it gives none, the top-level path (top
// boxes, first in the config): nil, meaning every box, when the file has
// no middleboxes list, as in version 1.
func (r *resolver) groupPath(g *GroupSpec, boxes []string, top int, listed bool) []int {
	field := "clients." + g.Name + ".path"
	if g.Paths != nil || r.d.failed[field+"s"] {
		if g.Path != nil {
			r.bad(field, "give path: or paths:, not both (paths: lists each path with its weight)", "")
		}
		return nil
	}
	if g.Path == nil {
		switch {
		case top == 0:
			r.bad(field, "is required: the file has no top-level path for the groups that name none", "")
		case listed:
			out := make([]int, top)
			for i := range out {
				out[i] = i
			}
			return out
		}
		return nil
	}
	return r.boxList(field, g.Path, boxes)
}

// boxList resolves a list of middlebox names at field (a path) into
// indexes into boxes.
func (r *resolver) boxList(field string, names BoxNames, boxes []string) []int {
	if len(names) == 0 {
		r.badPaths = true
		r.bad(field, "needs at least one middlebox", "[]")
		return nil
	}
	var out []int
	for i, name := range names {
		n := r.d.nodes[fmt.Sprintf("%s[%d]", field, i)]
		switch bi := slices.Index(boxes, name); {
		case bi < 0:
			r.badPaths = true
			r.d.fail(n, field, unknownMsg("middlebox", name, boxes), strconv.Quote(name))
		case slices.Contains(out, bi):
			r.d.fail(n, field, "names a middlebox twice (a connection crosses each box once)", strconv.Quote(name))
		default:
			out = append(out, bi)
		}
	}
	return out
}

// groupPaths resolves a group's paths: nil when it gives none, and a
// single path (into Path) when it gives one.
func (r *resolver) groupPaths(g *GroupSpec, out *sim.Group, boxes []string) {
	if g.Paths == nil {
		return
	}
	field := "clients." + g.Name + ".paths"
	if len(g.Paths) == 0 {
		r.bad(field, "needs at least one path", "[]")
		return
	}
	if len(g.Paths) > sim.MaxPaths {
		r.bad(field, fmt.Sprintf("has more than %d paths", sim.MaxPaths), strconv.Itoa(len(g.Paths)))
		return
	}
	var paths []sim.WeightedPath
	sum := 0.0
	for i, p := range g.Paths {
		item := join(field, strconv.Itoa(i))
		wp := sim.WeightedPath{Via: r.boxList(item+".via", p.Via, boxes), Weight: 1}
		if p.Weight != nil {
			wp.Weight = *p.Weight
			if !(wp.Weight >= 0) || math.IsInf(wp.Weight, 1) {
				r.bad(item+".weight", "must be a number >= 0", strconv.FormatFloat(wp.Weight, 'g', -1, 64))
				wp.Weight = 0
			}
		}
		for j := range i {
			if wp.Via != nil && slices.Equal(wp.Via, paths[j].Via) {
				r.bad(item+".via", fmt.Sprintf("the same path as %s.%d (give it once, with the weights added)", field, j), strconv.Quote(strings.Join(p.Via, ", ")))
			}
		}
		sum += wp.Weight
		paths = append(paths, wp)
	}
	if !(sum > 0) && !r.d.failed[field] {
		r.bad(field, "the weights are all zero: no client could take any path", "")
	}
	if len(paths) == 1 {
		out.Path = paths[0].Via
		return
	}
	out.Paths = paths
}

// unused refuses a box that no group's path crosses: its row would say
// nothing, and it is more likely a group's path that is wrong.
func (r *resolver) unused(f *File, cfg *sim.Config) {
	used := make([]bool, len(cfg.Path))
	for i := range cfg.Groups {
		for _, bi := range cfg.PathOf(&cfg.Groups[i]) {
			used[bi] = true
		}
	}
	for bi, m := range cfg.Path {
		if used[bi] || r.badPaths || len(cfg.Groups) == 0 {
			continue
		}
		key := "path"
		if bi >= len(f.Path) {
			key = "middleboxes"
		}
		r.bad(key+"."+m.Name, "no group's path crosses this middlebox (name it in a group's path: or remove it)", strconv.Quote(m.Name))
	}
}

func (r *resolver) middlebox(list string, m *MiddleboxSpec) sim.Middlebox {
	path := list + "." + m.Name
	if m.Preset != nil {
		if p, ok := findPreset(*m.Preset); ok {
			applyPreset(m, p)
		} else {
			r.bad(path+".preset", unknownMsg("preset", *m.Preset, presetNames())+" (see natsim presets)", strconv.Quote(*m.Preset))
			return sim.Middlebox{Name: m.Name}
		}
	}
	if m.Preset == nil {
		if missing := missingFields(reflect.ValueOf(*m), ""); len(missing) > 0 {
			r.bad(path, "without a preset every field must be given; missing: "+strings.Join(missing, ", ")+
				" (or add preset: NAME, see natsim presets)", "")
			return sim.Middlebox{Name: m.Name}
		}
	}
	why := ""
	out := sim.Middlebox{Name: m.Name}
	c := &out.Config
	if r.required(path+".capacity", m.Capacity != nil, why) {
		if n, ok := (*Dist)(m.Capacity).Fixed(); ok {
			c.Capacity = int(n)
			if c.Capacity < 0 {
				r.bad(path+".capacity", "must be >= 0 (0 means unlimited)", strconv.Itoa(c.Capacity))
			}
		} else if m.Capacity.Kind != "" {
			out.Draws.Capacity = r.distOf(path+".capacity", (*Dist)(m.Capacity), true, true)
			// The mean stands in where one value is needed (a report's
			// description); the table is made with the draw.
			c.Capacity = int(min(out.Draws.Capacity.Mean(), math.MaxInt32))
		}
	}

	c.WhenFull = enum(r, path+".when_full", m.WhenFull, why, []nat.WhenFull{nat.LRU, nat.Refuse, nat.EarlyDrop})
	c.OnExpire = enum(r, path+".on_expire", m.OnExpire, why, []nat.OnExpire{nat.ExpireSilent, nat.ExpireReset, nat.ExpireFin})
	c.UnknownOutbound = enum(r, path+".unknown_outbound", m.UnknownOutbound, why, []nat.Unknown{nat.Create, nat.Drop})
	c.UnknownInbound = enum(r, path+".unknown_inbound", m.UnknownInbound, why, []nat.Unknown{nat.Drop, nat.SendReset})
	if m.Instances != nil {
		switch *m.Instances {
		case "shared":
		case "per-client":
			out.PerClient = true
			if c.OnExpire == nat.ExpireReset {
				r.bad(path+".instances", "per-client is not supported with on_expire: reset", strconv.Quote(*m.Instances))
			}
		default:
			r.bad(path+".instances", "must be one of shared, per-client", strconv.Quote(*m.Instances))
		}
	}
	for _, b := range []struct {
		name string
		v    *bool
		dst  *bool
	}{
		{"refresh_inbound", m.RefreshInbound, &c.RefreshInbound},
		{"refresh_on_keepalive", m.RefreshOnKeepalive, &c.RefreshOnKeepalive},
		{"port_preservation", m.PortPreservation, &c.PortPreservation},
	} {
		if r.required(path+"."+b.name, b.v != nil, why) {
			*b.dst = *b.v
		}
	}
	for _, t := range []struct {
		name  string
		v     *Dist
		dst   *time.Duration
		drawn *sim.Dist
	}{
		{"tcp_established", m.Timeouts.TCPEstablished, &c.Timeouts.TCPEstablished, &out.Draws.TCPEstablished},
		{"tcp_transitory", m.Timeouts.TCPTransitory, &c.Timeouts.TCPTransitory, &out.Draws.TCPTransitory},
		{"udp", m.Timeouts.UDP, &c.Timeouts.UDP, &out.Draws.UDP},
		{"udp_stream", m.Timeouts.UDPStream, &c.Timeouts.UDPStream, &out.Draws.UDPStream},
	} {
		fp := path + ".timeouts." + t.name
		if !r.required(fp, t.v != nil, why) {
			continue
		}
		if d, ok := t.v.Fixed(); ok {
			*t.dst = r.positive(fp, &d, 0)
			continue
		}
		if t.v.Kind == "" {
			continue // it did not decode
		}
		*t.drawn = r.dist(fp, t.v, true)
		// The mean stands in where one value is needed (a report's
		// description, an estimate); the table is made with the draw.
		*t.dst = time.Duration(min(max(t.drawn.Mean(), 1), float64(sim.MaxSpan)))
	}
	r.l7(path, m, &out)
	return out
}

// missingFields lists the nil pointer fields of a spec (recursively, as
// dotted names), other than its preset.
func missingFields(v reflect.Value, prefix string) []string {
	var out []string
	names, index := fieldsOf(v.Type())
	for _, n := range names {
		switch f := v.Field(index[n]); {
		case slices.Contains(optionalBoxFields, n):
		case f.Kind() == reflect.Pointer && f.IsNil():
			out = append(out, prefix+n)
		case f.Kind() == reflect.Struct:
			out = append(out, missingFields(f, prefix+n+".")...)
		}
	}
	return out
}

// enum resolves a required string field that takes one of a fixed set of
// values, named by the values' String methods.
func enum[T interface {
	comparable
	String() string
}](r *resolver, path string, v *string, why string, allowed []T) T {
	var zero T
	if !r.required(path, v != nil, why) {
		return zero
	}
	var names []string
	for _, a := range allowed {
		if a.String() == *v {
			return a
		}
		names = append(names, a.String())
	}
	r.bad(path, "must be one of "+strings.Join(names, ", "), strconv.Quote(*v))
	return zero
}

// protocols names nat's protocols as scenarios write them.
var protocols = [...]string{nat.TCP: "tcp", nat.UDP: "udp"}

func (r *resolver) group(g *GroupSpec) sim.Group {
	path := "clients." + g.Name
	out := sim.Group{Name: g.Name, Proto: nat.TCP, RetransmitTimeout: DefaultRetransmitTimeout}
	if r.required(path+".count", g.Count != nil, "") {
		out.Count = *g.Count
		if out.Count <= 0 || out.Count > sim.MaxClients-r.clients {
			r.bad(path+".count", fmt.Sprintf("must be from 1 to %d (the most clients of a run, all groups together)", sim.MaxClients), strconv.Itoa(out.Count))
			out.Count = 1
		}
		r.clients += out.Count
	}
	if g.Protocol != nil {
		if i := slices.Index(protocols[:], *g.Protocol); i >= 0 {
			out.Proto = nat.Proto(i)
		} else {
			r.bad(path+".protocol", "must be one of "+strings.Join(protocols[:], ", "), strconv.Quote(*g.Protocol))
		}
	}
	for _, f := range []struct {
		name string
		v    *Duration
		dst  *time.Duration
	}{{"start_delay", g.StartDelay, &out.StartDelay}, {"start_spread", g.StartSpread, &out.StartSpread}} {
		if f.v != nil {
			*f.dst = dur(f.v)
			if *f.dst < 0 {
				r.bad(path+"."+f.name, "must be >= 0", quoteDur(*f.dst))
			}
		}
	}
	r.spanSum(path+".start_spread", "start_delay + start_spread", quoteDur(out.StartSpread), float64(out.StartDelay), float64(out.StartSpread))
	out.Up = r.traffic(path+".traffic.up", g.Traffic.Up)
	out.Down = r.traffic(path+".traffic.down", g.Traffic.Down)
	out.Keepalive = r.keepalive(path+".keepalive", &g.Keepalive, out.Proto)
	rc := g.Reconnect
	backoff := r.positive(path+".reconnect.backoff", rc.Backoff, DefaultBackoff)
	out.Reconnect = sim.Reconnect{
		Backoff:          backoff,
		MaxBackoff:       r.positive(path+".reconnect.max_backoff", rc.MaxBackoff, max(DefaultMaxBackoff, backoff)),
		HandshakePackets: r.count(path+".reconnect.handshake_packets", rc.HandshakePackets, DefaultHandshakePackets, 1),
		HandshakeBytes:   r.count(path+".reconnect.handshake_bytes", rc.HandshakeBytes, DefaultHandshakeBytes, 0),
	}
	if out.Reconnect.MaxBackoff < out.Reconnect.Backoff {
		r.bad(path+".reconnect.max_backoff", "must be >= backoff ("+out.Reconnect.Backoff.String()+")", quoteDur(out.Reconnect.MaxBackoff))
	}
	if s := g.Session; s != nil {
		out.Session = &sim.Session{
			Lifetime: r.dist(path+".session.lifetime", s.Lifetime, true),
			Think:    r.dist(path+".session.think", s.Think, true),
		}
	}
	out.RetransmitTimeout = r.positive(path+".retransmit_timeout", g.RetransmitTimeout, DefaultRetransmitTimeout)
	if g.Radio != nil {
		out.Radio = r.radio(path+".radio", g.Radio)
	}
	if g.UDPRebinding != nil {
		if out.Proto != nat.UDP {
			r.bad(path+".udp_rebinding", "applies to protocol udp only", strconv.Quote(*g.UDPRebinding))
		} else {
			out.UDPRebinding = enum(r, path+".udp_rebinding", g.UDPRebinding, "", sim.Rebindings)
		}
	}
	return out
}

// pingPolicy resolves a group's server ping policy: its own server
// fields, else the top level's, else gRPC's defaults (DefaultMinPing,
// DefaultMaxPingStrikes); nil when neither gives a server or the
// group's clients do not ping. A group's own server with no client
// pings to police is a mistake.
func (r *resolver) pingPolicy(f *File, g *GroupSpec, ka sim.Keepalive) *sim.PingPolicy {
	own, top := pingSpec(g.Server), pingSpec(f.Server)
	if own == nil && top == nil {
		return nil
	}
	path := "clients." + g.Name + ".server"
	if ka.Type.Kind() == nil || ka.Type.Kind().Driver != sim.DriveClientPing {
		if own != nil {
			r.bad(path, "applies to clients that ping (keepalive type app or adaptive), not keepalive type "+ka.Type.String(), "")
		}
		return nil
	}
	if own == nil {
		own, path = top, "server"
	}
	minGap, strikes := own.MinPingInterval, own.MaxPingStrikes
	if minGap == nil && top != nil && own != top {
		minGap = top.MinPingInterval
	}
	if strikes == nil && top != nil && own != top {
		strikes = top.MaxPingStrikes
	}
	p := &sim.PingPolicy{
		MinInterval: r.positive(path+".min_ping_interval", minGap, DefaultMinPing),
		MaxStrikes:  r.count(path+".max_ping_strikes", strikes, DefaultMaxPingStrikes, 0),
	}
	if p.MaxStrikes > 254 {
		r.bad(path+".max_ping_strikes", "must be at most 254", strconv.Itoa(p.MaxStrikes))
	}
	r.spanSum(path+".min_ping_interval", "min_ping_interval", quoteDur(p.MinInterval), float64(p.MinInterval))
	return p
}

// pingSpec is a server: block as a ping policy: nil when it sets none
// of the ping fields (it may set only a request-driven group's
// keep-alive timeout).
func pingSpec(s *ServerSpec) *ServerSpec {
	if s == nil || (s.MinPingInterval == nil && s.MaxPingStrikes == nil) {
		return nil
	}
	return s
}

// spanSum refuses a sum of spans (terms in nanoseconds) beyond
// sim.MaxSpan, so that no instant the engine forms from them overflows.
func (r *resolver) spanSum(path, what, value string, terms ...float64) {
	if !sim.SpansFit(terms...) {
		r.bad(path, what+" "+tooLongMsg, value)
	}
}

// count returns an optional whole number that must be >= lo.
func (r *resolver) count(path string, v *int, def, lo int) int {
	if v == nil {
		return def
	}
	if *v < lo {
		r.bad(path, fmt.Sprintf("must be at least %d", lo), strconv.Itoa(*v))
		return def
	}
	return *v
}

func (r *resolver) traffic(path string, m *MessagesSpec) sim.Traffic {
	if m == nil {
		return sim.Traffic{}
	}
	return sim.Traffic{Interval: r.dist(path+".interval", m.Interval, true), Bytes: r.count(path+".bytes", m.Bytes, 0, 0)}
}

func (r *resolver) dist(path string, d *Dist, need bool) sim.Dist {
	return r.distOf(path, d, need, false)
}

// countText shows a count carried as a Duration.
func countText(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }

// distOf resolves a distribution of durations, or of counts.
func (r *resolver) distOf(path string, d *Dist, need, counts bool) sim.Dist {
	show := quoteDur
	if counts {
		show = countText
	}
	if d == nil {
		r.required(path, !need, "")
		return sim.Dist{}
	}
	a, b := time.Duration(d.A), time.Duration(d.B)
	out := sim.Dist{A: a, B: b, Shape: d.Shape}
	switch d.Kind {
	case "choice":
		return r.choice(path, d, show)
	case "constant":
		out.Kind = sim.Constant
	case "exponential":
		out.Kind = sim.Exponential
	case "uniform":
		out.Kind = sim.Uniform
		if a < 0 || b < a || b == 0 {
			r.bad(path+".uniform", "needs 0 <= MIN <= MAX and MAX > 0", fmt.Sprintf("[%v, %v]", show(a), show(b)))
		}
		return out
	case "lognormal":
		out.Kind = sim.Lognormal
		if d.Shape <= 0 {
			r.bad(path+".lognormal.sigma", "must be > 0", strconv.FormatFloat(d.Shape, 'g', -1, 64))
		}
	case "pareto":
		out.Kind = sim.Pareto
		if d.Shape <= 0 {
			r.bad(path+".pareto.shape", "must be > 0", strconv.FormatFloat(d.Shape, 'g', -1, 64))
		}
	}
	if a <= 0 {
		sub := path
		if d.Kind != "constant" {
			sub += "." + d.Kind
		}
		r.bad(sub, "must be a positive "+map[bool]string{true: "number", false: "duration"}[counts], show(a))
	}
	return out
}

// choice resolves {choice: [V...], weights: [W...]}: values > 0, weights
// >= 0 and not all zero (none written: equal).
func (r *resolver) choice(path string, d *Dist, show func(time.Duration) string) sim.Dist {
	c := &sim.Choice{}
	for _, v := range d.Values {
		if v <= 0 {
			r.bad(path+".choice", "every value must be positive", show(time.Duration(v)))
		}
		c.Values = append(c.Values, time.Duration(v))
	}
	c.Weights = d.Weights
	if c.Weights == nil {
		c.Weights = slices.Repeat([]float64{1}, len(c.Values))
	}
	total := 0.0
	for _, w := range c.Weights {
		if !(w >= 0) || math.IsInf(w, 1) {
			r.bad(path+".weights", "every weight must be a finite number >= 0", strconv.FormatFloat(w, 'g', -1, 64))
		}
		total += w
	}
	if total == 0 && len(c.Weights) > 0 {
		r.bad(path+".weights", "the weights must not all be zero", fmt.Sprint(d.Weights))
	}
	return sim.Dist{Kind: sim.Empirical, Choice: c}
}

// keepalive resolves a group's keepalive through sim's registry of
// keepalive types: the fields a type takes, their defaults, and its
// checks. A field that does not apply to the type is a mistake, not a
// silent no-op.
func (r *resolver) keepalive(path string, k *KeepaliveSpec, proto nat.Proto) sim.Keepalive {
	typ := "none"
	if k.Type != nil {
		typ = *k.Type
	}
	kind, ok := sim.KeepaliveKindNamed(typ)
	if !ok {
		var names []string
		for _, k := range sim.KeepaliveKinds() {
			names = append(names, k.Name)
		}
		r.bad(path+".type", "must be one of "+strings.Join(names, ", "), strconv.Quote(typ))
		return sim.Keepalive{}
	}
	out := sim.Keepalive{Type: kind.Type}
	if kind.TCPOnly && proto != nat.TCP {
		r.bad(path+".type", typ+" keepalive needs protocol: tcp", strconv.Quote(typ))
	}
	allowed := []string{"type"}
	for _, f := range kind.Fields {
		allowed = append(allowed, f.Name)
	}
	v := reflect.ValueOf(k).Elem()
	names, index := fieldsOf(v.Type())
	for _, n := range names {
		if !v.Field(index[n]).IsNil() && !slices.Contains(allowed, n) {
			r.bad(path+"."+n, fmt.Sprintf("does not apply to keepalive type %s (it takes: %s)", typ, strings.Join(allowed, ", ")), "")
		}
	}
	// Choices first: the defaults of the other fields may depend on them.
	var chosen []string
	for _, f := range kind.Fields {
		given := v.Field(index[f.Name])
		if f.Choice == nil || (f.Required && !r.required(path+"."+f.Name, !given.IsNil(), " for "+article(typ)+" keepalive")) || given.IsNil() {
			continue
		}
		name := *given.Interface().(*string)
		if i := slices.Index(f.Choices, name); i >= 0 {
			*f.Choice(&out) = uint8(i)
			chosen = append(chosen, f.Name+" "+name)
		} else {
			r.bad(path+"."+f.Name, "must be one of "+strings.Join(f.Choices, ", "), strconv.Quote(name))
			return out
		}
	}
	if kind.Defaults != nil {
		kind.Defaults(&out)
	}
	for _, f := range kind.Fields {
		given := v.Field(index[f.Name])
		if f.Choice != nil || f.Required && !r.required(path+"."+f.Name, !given.IsNil(), " for "+article(typ)+" keepalive") {
			continue
		}
		if f.Applies != nil && !f.Applies(out) {
			if !given.IsNil() {
				r.bad(path+"."+f.Name, fmt.Sprintf("does not apply to %s keepalive with %s", article(typ), strings.Join(chosen, ", ")), "")
			}
			continue
		}
		if f.Applies != nil && given.IsNil() {
			continue // its default came with the choices
		}
		switch {
		case f.Duration != nil:
			*f.Duration(&out) = time.Duration(f.Default)
			if !given.IsNil() {
				*f.Duration(&out) = dur(given.Interface().(*Duration))
			}
		case f.Count != nil:
			*f.Count(&out) = int(f.Default)
			if !given.IsNil() {
				*f.Count(&out) = *given.Interface().(*int)
			}
		case f.Flag != nil:
			*f.Flag(&out) = f.Default != 0
			if !given.IsNil() {
				*f.Flag(&out) = *given.Interface().(*bool)
			}
		}
	}
	for _, p := range kind.Check(out) {
		if !r.d.failed[path+"."+p.Field] {
			r.bad(path+"."+p.Field, p.Msg, p.Value)
		}
	}
	return out
}

// article is "a" or "an" before a name.
func article(name string) string {
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// sampling resolves the sampling: block (--sample and --salt).
func (r *resolver) sampling(spec *SamplingSpec) {
	if spec == nil {
		return
	}
	if !r.required("sampling.fraction", spec.Fraction != nil, " when sampling is given") {
		return
	}
	smp := &r.cfg.Sampling
	smp.Fraction = *spec.Fraction
	if !(smp.Fraction > 0 && smp.Fraction <= 1) {
		r.bad("sampling.fraction", "must be in (0, 1]", strconv.FormatFloat(smp.Fraction, 'g', -1, 64))
	}
	if spec.Salt != nil {
		smp.Salt = *spec.Salt
	}
}
