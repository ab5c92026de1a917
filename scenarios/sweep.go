package scenarios

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxPoints bounds the number of points of a sweep.
const MaxPoints = 100000

// Value is one swept key's value at a point of a sweep.
type Value struct {
	Key   string
	Value string // as written (YAML)
}

// Point is one point of a sweep: the values of the swept keys and the
// scenario they make.
type Point struct {
	Values   []Value
	Scenario *Scenario
	keys     Sweep // the swept keys, for Refuse
}

// Label is the point's values as key=value, comma separated.
func (p Point) Label() string {
	parts := make([]string, len(p.Values))
	for i, v := range p.Values {
		parts[i] = v.Key + "=" + v.Value
	}
	return strings.Join(parts, ", ")
}

// ParseParam reads a --param flag, one axis of the sweep: KEY=V1,V2,...
// or a range KEY=A..B:logN (N values spaced evenly on a log scale) or
// KEY=A..B:linN (on a linear scale), A and B durations or numbers; or
// several of these joined by ';', keys that move together (as under
// `zip:`), each with as many values.
func ParseParam(text string) (Sweep, error) {
	flag := "--param " + text
	parts := strings.Split(text, ";")
	if slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(p, "=") }) {
		parts = []string{text} // a ';' inside a name or value, not between keys
	}
	var axis Sweep
	for _, part := range parts {
		sk, err := parseParamKey(flag, strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(axis, func(k SweepKey) bool { return k.Key == sk.Key }); i >= 0 {
			return nil, Problems{{Flag: flag, Field: sk.Key, Msg: "given twice"}}
		}
		if len(axis) > 0 && len(sk.Values) != len(axis[0].Values) {
			return nil, Problems{{Flag: flag, Field: sk.Key, Msg: zipLengthMsg(axis[0], len(sk.Values)),
				Value: strconv.Quote(strings.Join(sk.Values, ","))}}
		}
		sk.zipped = len(axis) > 0
		axis = append(axis, sk)
	}
	return axis, nil
}

// zipLengthMsg refuses a key that moves with first but has n values.
func zipLengthMsg(first SweepKey, n int) string {
	return fmt.Sprintf("has %d values but %s has %d: keys that move together take their i-th values at point i, so each needs as many",
		n, first.Key, len(first.Values))
}

func parseParamKey(flag, text string) (SweepKey, error) {
	key, vals, ok := strings.Cut(text, "=")
	if !ok || key == "" || vals == "" {
		return SweepKey{}, Problems{{Flag: flag, Msg: "expected KEY=V1,V2,... or KEY=A..B:log10 or KEY=A..B:lin6 (keys that move together joined by ';')"}}
	}
	sk := SweepKey{Key: key, flag: flag}
	if lo, rest, isRange := strings.Cut(vals, ".."); isRange {
		values, err := expandRange(lo, rest)
		if err != nil {
			return SweepKey{}, Problems{{Flag: flag, Msg: err.Error()}} // the flag shows the key and values
		}
		sk.Values = values
		return sk, nil
	}
	for _, v := range strings.Split(vals, ",") {
		if v = strings.TrimSpace(v); v == "" {
			return SweepKey{}, Problems{{Flag: flag, Msg: "empty value in the list"}}
		}
		sk.Values = append(sk.Values, v)
	}
	return sk, nil
}

// expandRange expands A..B:logN or A..B:linN.
func expandRange(lo, rest string) ([]string, error) {
	hi, spec, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, fmt.Errorf("a range needs a spacing: A..B:log10 or A..B:lin6")
	}
	var n int
	var log bool
	switch {
	case strings.HasPrefix(spec, "log"):
		n, log = atoiOr(spec[3:]), true
	case strings.HasPrefix(spec, "lin"):
		n = atoiOr(spec[3:])
	}
	if n < 2 || n > 1000 {
		return nil, fmt.Errorf("spacing must be logN or linN with N from 2 to 1000 (got %q)", spec)
	}
	a, b, isDur, isInt, err := rangeEnds(lo, hi)
	if err != nil {
		return nil, err
	}
	if log && (a <= 0 || b <= 0) {
		return nil, fmt.Errorf("a log range needs positive ends")
	}
	var out []string
	for i := range n {
		f := float64(i) / float64(n-1)
		x := a + f*(b-a)
		if log {
			x = a * math.Pow(b/a, f)
		}
		switch {
		case isDur:
			out = append(out, roundDuration(time.Duration(x)).String())
		case isInt:
			out = append(out, strconv.FormatInt(int64(math.Round(x)), 10))
		default:
			out = append(out, strconv.FormatFloat(x, 'g', 4, 64))
		}
	}
	return slices.Compact(out), nil
}

func atoiOr(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// rangeEnds parses the ends of a range as durations, else as numbers.
func rangeEnds(lo, hi string) (a, b float64, isDur, isInt bool, err error) {
	da, errA := time.ParseDuration(lo)
	db, errB := time.ParseDuration(hi)
	if errA == nil && errB == nil {
		return float64(da), float64(db), true, false, nil
	}
	a, errA = strconv.ParseFloat(lo, 64)
	b, errB = strconv.ParseFloat(hi, 64)
	if errA != nil || errB != nil {
		return 0, 0, false, false, fmt.Errorf("range ends must both be durations or both numbers")
	}
	return a, b, false, a == math.Trunc(a) && b == math.Trunc(b), nil
}

// roundDuration keeps three significant digits, so that log-spaced
// values read as 30s, 1m3s, 2m13s rather than to the nanosecond.
func roundDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	unit := time.Duration(math.Pow(10, math.Floor(math.Log10(float64(d)))-2))
	return d.Round(max(unit, time.Millisecond))
}

// axes splits the keys into the sweep's axes: a key and the keys zipped
// with it.
func (s Sweep) axes() []Sweep {
	var out []Sweep
	for i, k := range s {
		if i == 0 || !k.zipped {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], k)
	}
	return out
}

// joinAxes is the inverse of axes.
func joinAxes(axes []Sweep) Sweep {
	var out Sweep
	for _, ax := range axes {
		for i, k := range ax {
			k.zipped = i > 0
			out = append(out, k)
		}
	}
	return out
}

// Zipped lists the groups of keys that move together (two or more keys
// on one axis), in sweep order; nil for a cartesian sweep.
func (s Sweep) Zipped() [][]string {
	var out [][]string
	for _, ax := range s.axes() {
		if len(ax) > 1 {
			keys := make([]string, len(ax))
			for i, k := range ax {
				keys[i] = k.Key
			}
			out = append(out, keys)
		}
	}
	return out
}

// Zipped lists the groups of the point's swept keys that move together.
func (p Point) Zipped() [][]string { return p.keys.Zipped() }

// Keys merges the scenario's sweep: block with params (ParseParam's
// axes, one after another): a param replaces the keys of the same name
// and takes the place of the first axis it takes a key from (the other
// keys of a zip: group it takes one from stay together); other params
// are added after the block's axes.
func (sc *Scenario) Keys(params []SweepKey) Sweep {
	axes := sc.Sweep.axes()
	for _, p := range Sweep(params).axes() {
		at := -1
		for ai, ax := range axes {
			kept := slices.DeleteFunc(slices.Clone(ax), func(k SweepKey) bool {
				return slices.ContainsFunc(p, func(pk SweepKey) bool { return pk.Key == k.Key })
			})
			if len(kept) < len(ax) && at < 0 {
				at = ai
			}
			axes[ai] = kept
		}
		if at < 0 {
			at = len(axes)
		}
		axes = slices.Insert(axes, at, p)
		axes = slices.DeleteFunc(axes, func(ax Sweep) bool { return len(ax) == 0 })
	}
	return joinAxes(axes)
}

// Points expands the sweep (the scenario's sweep: block and params) into
// the cartesian product of its axes, the first axis varying slowest. A
// scenario without swept keys is one point. Every point is loaded and
// checked; all problems are reported at once.
func (sc *Scenario) Points(params []SweepKey) ([]Point, error) {
	return sc.expand(sc.Keys(params))
}

// CountPoints is the number of points of the cartesian product of the
// sweep keys' axes, counted before any is built; beyond MaxPoints it is
// refused at the key that crosses the limit.
func (sc *Scenario) CountPoints(keys Sweep) (int, error) {
	total := 1
	for _, ax := range keys.axes() {
		for _, k := range ax[1:] {
			if len(k.Values) != len(ax[0].Values) { // ParseParam and the decoder refuse this; a bug if it comes here
				return 0, Problems{k.problem(sc, zipLengthMsg(ax[0], len(k.Values)))}
			}
		}
		k := ax[0]
		total *= len(k.Values)
		if total > MaxPoints {
			p := k.problem(sc, fmt.Sprintf("the sweep has more than %d points (the most natsim runs)", MaxPoints))
			p.Value = fmt.Sprintf("%d values, %d points so far", len(k.Values), total)
			return 0, Problems{p}
		}
	}
	return total, nil
}

func (sc *Scenario) expand(keys Sweep) ([]Point, error) {
	total, err := sc.CountPoints(keys)
	if err != nil {
		return nil, err
	}
	// Each point is built from a copy of the document without its sweep
	// block, so that the work and memory grow with the points and not with
	// the points times the values listed.
	base := cloneNode(sc.root)
	for i := 0; i+1 < len(base.Content); i += 2 {
		if base.Content[i].Value == "sweep" {
			base.Content = slices.Delete(base.Content, i, i+2)
			break
		}
	}
	points := make([]Point, 0, total)
	var probs Problems
	axes := keys.axes()
	idx := make([]int, len(axes))
	for range total {
		tree := cloneNode(base)
		origin := map[*yaml.Node]string{}
		p := Point{keys: keys}
		bad := false
		for ai, ax := range axes {
			for _, k := range ax {
				bad = sc.setPointValue(&p, k, idx[ai], tree, origin, &probs) || bad
			}
		}
		if !bad {
			s, ps := build(sc.File, tree, origin, nil)
			probs = append(probs, ps...) // the same problem at many points is reported once, below
			if s != nil {
				s.Description = sc.Description
				s.root, s.nodes = nil, nil // only the base scenario expands, resolves and refuses
				p.Scenario = s
			}
		}
		points = append(points, p)
		for ai := len(axes) - 1; ai >= 0; ai-- { // odometer: last axis fastest
			idx[ai]++
			if idx[ai] < len(axes[ai][0].Values) {
				break
			}
			idx[ai] = 0
		}
	}
	if len(probs) > 0 {
		return nil, dedupe(probs)
	}
	return points, nil
}

// setPointValue sets key k to its value i in a point's tree; it reports
// whether that failed (the problem added to probs).
func (sc *Scenario) setPointValue(p *Point, k SweepKey, i int, tree *yaml.Node, origin map[*yaml.Node]string, probs *Problems) (bad bool) {
	text := k.Values[i]
	p.Values = append(p.Values, Value{Key: k.Key, Value: text})
	val, err := k.node(i)
	if err != nil {
		*probs = append(*probs, Problem{Flag: k.flag, Field: k.Key, Msg: "value is not valid YAML", Value: strconv.Quote(text)})
		return true
	}
	if k.flag != "" {
		markOrigin(val, k.flag, origin)
	}
	if err := setKey(tree, k.Key, val); err != nil {
		*probs = append(*probs, k.problem(sc, err.Error()))
		return true
	}
	return false
}

func dedupe(ps Problems) Problems {
	seen := map[string]bool{}
	var out Problems
	for _, p := range ps {
		if !seen[p.String()] {
			seen[p.String()] = true
			out = append(out, p)
		}
	}
	return out
}

// node returns the YAML node of value i: the sweep block's own node (so
// that problems point at it in the file) or the flag's parsed text.
func (k SweepKey) node(i int) (*yaml.Node, error) {
	if k.flag == "" && i < len(k.nodes) {
		return k.nodes[i], nil
	}
	return parseValue(k.Values[i])
}

func (k SweepKey) problem(sc *Scenario, msg string) Problem {
	if k.flag != "" {
		return Problem{Flag: k.flag, Field: k.Key, Msg: msg}
	}
	return Problem{File: sc.File, Line: k.line, Col: k.col, Field: cmp.Or(k.field, "sweep."+k.Key), Msg: msg}
}

// MarshalYAML writes a duration as Go writes it (350s is 5m50s).
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalYAML writes a distribution in the form it is read.
func (d Dist) MarshalYAML() (any, error) {
	return d.node(func(v Duration) string { return time.Duration(v).String() }, time.Duration(d.A).String()), nil
}

// MarshalYAML writes a count in the form it is read.
func (c Count) MarshalYAML() (any, error) {
	return Dist(c).node(func(v Duration) string { return strconv.FormatInt(int64(v), 10) }, int64(c.A)), nil
}

// node is d in the form it is read, its values written by show; fixed
// is what a fixed value is written as.
func (d Dist) node(show func(Duration) string, fixed any) any {
	switch d.Kind {
	case "exponential":
		return map[string]string{"exponential": show(d.A)}
	case "uniform":
		return map[string][]string{"uniform": {show(d.A), show(d.B)}}
	case "lognormal":
		return map[string]map[string]any{"lognormal": {"median": show(d.A), "sigma": d.Shape}}
	case "pareto":
		return map[string]map[string]any{"pareto": {"scale": show(d.A), "shape": d.Shape}}
	case "choice":
		return choiceNode(d, show)
	}
	return fixed
}

// choiceNode writes {choice: [V...], weights: [W...]} (weights only if
// written), the values shown by show.
func choiceNode(d Dist, show func(Duration) string) *yaml.Node {
	vals := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range d.Values {
		vals.Content = append(vals.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: show(v)})
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle,
		Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "choice"}, vals}}
	if d.Weights != nil {
		ws := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, w := range d.Weights {
			ws.Content = append(ws.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(w, 'g', -1, 64)})
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "weights"}, ws)
	}
	return m
}

// MarshalYAML writes the sweep block as KEY: [VALUES], with the axes
// from the first zipped one on under `zip:` (a mapping for one axis, a
// list of mappings for several), so that reading it back gives the same
// keys in the same order.
func (s Sweep) MarshalYAML() (any, error) {
	axes := s.axes()
	z := slices.IndexFunc(axes, func(ax Sweep) bool { return len(ax) > 1 })
	if z < 0 {
		z = len(axes)
	}
	top, err := keysNode(slices.Concat(axes[:z]...))
	if err != nil || z == len(axes) {
		return top, err
	}
	var zip *yaml.Node
	if z == len(axes)-1 {
		zip, err = keysNode(axes[z])
	} else {
		zip = &yaml.Node{Kind: yaml.SequenceNode}
		for _, ax := range axes[z:] {
			m, err := keysNode(ax)
			if err != nil {
				return nil, err
			}
			zip.Content = append(zip.Content, m)
		}
	}
	top.Content = append(top.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "zip"}, zip)
	return top, err
}

// keysNode is a mapping of KEY: [VALUES].
func keysNode(keys Sweep) (*yaml.Node, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range keys {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, v := range k.Values {
			n, err := parseValue(v)
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, n)
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k.Key}, seq)
	}
	return m, nil
}
