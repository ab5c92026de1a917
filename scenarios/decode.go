package scenarios

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/natsim/natsim/sim"
)

// Problem is one thing wrong with a scenario, located where it was written.
type Problem struct {
	File  string // the scenario file
	Line  int    // 1-based; 0 when the value came from a flag
	Col   int
	Flag  string // "--set KEY=VALUE" when the value came from a flag
	Field string // field path, in the addressing syntax
	Msg   string
	Value string // the offending value as written, if any
}

func (p Problem) String() string {
	where := fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	switch {
	case p.Flag != "":
		where = p.Flag
	case p.Line == 0:
		where = p.File // a problem with the file as a whole
	}
	var b strings.Builder
	b.WriteString(where)
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	if p.Value != "" {
		fmt.Fprintf(&b, " (got %s)", p.Value)
	}
	return b.String()
}

// Problems is every problem found in a scenario; it is the error type of
// bad input (natsim exits with status 2 on it).
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// decoder turns a YAML node tree into the File structs, strictly: every
// unknown key, wrong type or malformed value is a Problem, and decoding
// goes on so that all of them are reported at once.
type decoder struct {
	file   string
	origin map[*yaml.Node]string   // nodes set from the command line: the flag
	via    map[*yaml.Node]aliasUse // nodes copied from an alias's value
	nodes  map[string]*yaml.Node   // field path -> the node it was decoded from
	failed map[string]bool         // field paths already reported
	probs  Problems
}

func (d *decoder) fail(n *yaml.Node, field, msg string, value string) {
	if d.failed == nil {
		d.failed = map[string]bool{}
	}
	d.failed[field] = true
	if a, ok := d.via[n]; ok && value != "" {
		value = a.describe(value)
	}
	p := Problem{File: d.file, Line: n.Line, Col: n.Column, Field: field, Msg: msg, Value: value}
	if f, ok := d.origin[n]; ok {
		p.Line, p.Col, p.Flag = 0, 0, f
	}
	d.probs = append(d.probs, p)
}

// shown is how a node's value is quoted in messages.
func shown(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "?"
}

var (
	durationType = reflect.TypeFor[Duration]()
	distType     = reflect.TypeFor[Dist]()
	countType    = reflect.TypeFor[Count]()
	sweepType    = reflect.TypeFor[Sweep]()
	boxNamesType = reflect.TypeFor[BoxNames]()
	pathsType    = reflect.TypeFor[PathSpecs]()
	tuneKeysType = reflect.TypeFor[TuneKeys]()
	rangeType    = reflect.TypeFor[TuneRange]()
	marginType   = reflect.TypeFor[MarginSpec]()
	shareType    = reflect.TypeFor[Share]()
	retryType    = reflect.TypeFor[RetrySpec]()
)

func join(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "." + seg
}

func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	d.nodes[path] = n
	switch t := v.Type(); {
	case t == durationType:
		if dur, ok := d.duration(n, path); ok {
			v.SetInt(int64(dur))
		}
	case t == distType:
		d.dist(n, path, v.Addr().Interface().(*Dist), d.duration)
	case t == countType:
		d.dist(n, path, (*Dist)(v.Addr().Interface().(*Count)), d.count)
	case t == sweepType:
		d.sweep(n, path, v.Addr().Interface().(*Sweep))
	case t == boxNamesType:
		d.boxNames(n, path, v.Addr().Interface().(*BoxNames))
	case t == pathsType:
		d.paths(n, path, v)
	case t == tuneKeysType:
		d.tuneKeys(n, path, v.Addr().Interface().(*TuneKeys))
	case t == rangeType:
		d.tuneRange(n, path, v.Addr().Interface().(*TuneRange))
	case t == marginType:
		d.margin(n, path, v.Addr().Interface().(*MarginSpec))
	case t == shareType:
		d.share(n, path, v.Addr().Interface().(*Share))
	case t == retryType:
		d.retry(n, path, v.Addr().Interface().(*RetrySpec))
	case t.Kind() == reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			d.fail(n, path, "a value is missing", "")
			return
		}
		p := reflect.New(t.Elem())
		d.decode(n, path, p.Elem())
		v.Set(p)
	case t.Kind() == reflect.Struct:
		d.structure(n, path, v)
	case t.Kind() == reflect.Slice:
		d.namedList(n, path, v)
	default:
		d.scalar(n, path, v)
	}
}

func (d *decoder) scalar(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.fail(n, path, "expected a "+kindName(v.Kind()), shown(n))
		return
	}
	var err error
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
		return
	case reflect.Int:
		var x int64
		if x, err = strconv.ParseInt(n.Value, 0, 64); err == nil {
			v.SetInt(x)
			return
		}
	case reflect.Uint64:
		var x uint64
		if x, err = strconv.ParseUint(n.Value, 0, 64); err == nil {
			v.SetUint(x)
			return
		}
	case reflect.Float64:
		var x float64
		if x, err = strconv.ParseFloat(n.Value, 64); err == nil && n.Tag != "!!str" {
			v.SetFloat(x)
			return
		}
	case reflect.Bool:
		if n.Tag == "!!bool" {
			v.SetBool(n.Value == "true")
			return
		}
	}
	d.fail(n, path, "expected a "+kindName(v.Kind()), shown(n))
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Uint64:
		return "whole number"
	case reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean (true or false)"
	}
	return "string"
}

// fieldsOf maps a struct type's yaml names to field indices, in order.
func fieldsOf(t reflect.Type) (names []string, index map[string]int) {
	index = map[string]int{}
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			names = append(names, tag)
			index[tag] = i
		}
	}
	return names, index
}

func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping of fields", shown(n))
		return
	}
	names, index := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fp := join(path, k.Value)
		if seen[k.Value] {
			d.fail(k, fp, "given twice", "")
			continue
		}
		seen[k.Value] = true
		fi, ok := index[k.Value]
		if !ok {
			d.fail(k, fp, unknownMsg("field", k.Value, names), "")
			continue
		}
		d.decode(val, fp, v.Field(fi))
	}
}

// unknownMsg says a name is unknown and lists the ones that exist there,
// suggesting the closest.
func unknownMsg(what, name string, known []string) string {
	return "unknown " + what + didYouMean(name, known) + "; known: " + strings.Join(known, ", ")
}

// didYouMean suggests the known name closest to name, if one is close.
func didYouMean(name string, known []string) string {
	if best := closest(name, known); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// closest returns the known name within edit distance 2 of key, if any.
func closest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dd := editDistance(key, k); dd < bestD {
			best, bestD = k, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// itemName returns the `name` of a list item, if it has one.
func itemName(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode && n.Content[i+1].Value != "" {
			return n.Content[i+1].Value, true
		}
	}
	return "", false
}

// namedList decodes a list whose items are addressed by their names.
func (d *decoder) namedList(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list", shown(n))
		return
	}
	seen := map[string]bool{}
	for i, item := range n.Content {
		name, ok := itemName(item)
		seg := name
		if !ok {
			seg = fmt.Sprintf("[%d]", i)
			d.fail(item, join(path, seg), "every item needs a name", "")
		} else if seen[name] || strings.ContainsAny(name, ".=, ") {
			msg := "name used twice"
			if !seen[name] {
				msg = "a name may not contain '.', '=', ',' or spaces"
			}
			d.fail(item, join(path, seg), msg, strconv.Quote(name))
			seg = fmt.Sprintf("[%d]", i)
		}
		seen[name] = true
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(item, join(path, seg), elem)
		v.Set(reflect.Append(v, elem))
	}
}

// paths decodes a group's paths: a list of {via, weight}, each item at
// PATH.I (I from 0), the addressing of a list whose items have no name.
func (d *decoder) paths(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list of {via: [BOX...], weight: W}", shown(n))
		return
	}
	v.Set(reflect.MakeSlice(v.Type(), 0, len(n.Content)))
	for i, item := range n.Content {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(item, join(path, strconv.Itoa(i)), elem)
		v.Set(reflect.Append(v, elem))
	}
}

// boxNames decodes a group's path: a list of middlebox names, each item's
// node kept at PATH[I] so that the resolver can point at a bad name.
func (d *decoder) boxNames(n *yaml.Node, path string, out *BoxNames) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list of middlebox names, client side first, such as [home, cgnat]", shown(n))
		return
	}
	names := BoxNames{}
	for i, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" || item.Value == "" {
			d.fail(item, path, "expected a middlebox name", shown(item))
			return
		}
		d.nodes[fmt.Sprintf("%s[%d]", path, i)] = item
		names = append(names, item.Value)
	}
	*out = names
}

func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	if n.Kind == yaml.MappingNode {
		d.fail(n, path, "takes one duration such as 300s, not a distribution (distributions are for middlebox timeouts "+
			"and capacity, traffic intervals and session lifetime and think)", shown(n))
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.fail(n, path, "expected a duration such as 300s, 4m or 2h4m", shown(n))
		return 0, false
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		msg := "not a duration (write it with a unit, such as 300s, 4m or 2h4m)"
		if strings.Contains(err.Error(), "invalid duration") && validDurationSyntax(n.Value) {
			msg = tooLongMsg
		}
		d.fail(n, path, msg, shown(n))
		return 0, false
	}
	if dur > sim.MaxSpan || dur < -sim.MaxSpan {
		d.fail(n, path, tooLongMsg, shown(n))
		return 0, false
	}
	return dur, true
}

// tooLongMsg refuses a duration beyond sim.MaxSpan.
var tooLongMsg = "must be at most " + sim.MaxSpan.String() + " (100 years of simulated time)"

// validDurationSyntax tells a duration too long for time.ParseDuration
// (which says "invalid duration" for both) from a malformed one.
func validDurationSyntax(s string) bool {
	return durationSyntax.MatchString(s)
}

var durationSyntax = regexp.MustCompile(`^[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`)

// durationPair decodes [A, B], two durations; want says what is expected
// when n is not such a list.
func (d *decoder) durationPair(n *yaml.Node, path, want string) (a, b time.Duration, ok bool) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		d.fail(n, path, want, shown(n))
		return 0, 0, false
	}
	a, okA := d.duration(n.Content[0], path)
	b, okB := d.duration(n.Content[1], path)
	return a, b, okA && okB
}

// count decodes a whole number carried as a Duration (a Count's values).
func (d *decoder) count(n *yaml.Node, path string) (time.Duration, bool) {
	x, err := strconv.ParseInt(n.Value, 10, 64)
	if n.Kind != yaml.ScalarNode || err != nil {
		d.fail(n, path, "expected a whole number", shown(n))
		return 0, false
	}
	return time.Duration(x), true
}

// dist decodes a distribution: a value, a one-key mapping, or a choice
// with its weights. value reads one value (a duration, or a count).
func (d *decoder) dist(n *yaml.Node, path string, out *Dist, value func(*yaml.Node, string) (time.Duration, bool)) {
	if n.Kind == yaml.ScalarNode {
		if dur, ok := value(n, path); ok {
			*out = Dist{Kind: "constant", A: Duration(dur)}
		}
		return
	}
	kinds := []string{"exponential", "uniform", "lognormal", "pareto", "choice"}
	if n.Kind == yaml.MappingNode && len(n.Content) == 4 {
		if c, w := mapGet(n, "choice"), mapGet(n, "weights"); c != nil && w != nil {
			d.choice(c, w, path, out, value)
			return
		}
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		d.fail(n, path, "expected a value or one of {exponential: MEAN}, {uniform: [MIN, MAX]}, "+
			"{lognormal: {median: D, sigma: X}}, {pareto: {scale: D, shape: X}}, {choice: [V...], weights: [W...]}", shown(n))
		return
	}
	k, val := n.Content[0], n.Content[1]
	fp := join(path, k.Value)
	out.Kind = k.Value
	switch k.Value {
	case "choice":
		d.choice(val, nil, path, out, value)
	case "exponential":
		if dur, ok := value(val, fp); ok {
			out.A = Duration(dur)
		}
	case "uniform":
		if val.Kind != yaml.SequenceNode || len(val.Content) != 2 {
			d.fail(val, fp, "expected [MIN, MAX]", shown(val))
			return
		}
		a, okA := value(val.Content[0], fp)
		b, okB := value(val.Content[1], fp)
		if okA && okB {
			out.A, out.B = Duration(a), Duration(b)
		}
	case "lognormal", "pareto":
		first, second := "median", "sigma"
		if k.Value == "pareto" {
			first, second = "scale", "shape"
		}
		var params struct {
			A *Duration
			X *float64
		}
		if val.Kind != yaml.MappingNode {
			d.fail(val, fp, fmt.Sprintf("expected {%s: D, %s: X}", first, second), shown(val))
			return
		}
		for i := 0; i+1 < len(val.Content); i += 2 {
			pk, pv := val.Content[i], val.Content[i+1]
			switch pk.Value {
			case first:
				if dur, ok := value(pv, join(fp, first)); ok {
					a := Duration(dur)
					params.A = &a
				}
			case second:
				x := reflect.New(reflect.TypeFor[float64]()).Elem()
				before := len(d.probs)
				d.scalar(pv, join(fp, second), x)
				if len(d.probs) == before {
					f := x.Float()
					params.X = &f
				}
			default:
				d.fail(pk, join(fp, pk.Value), unknownMsg("parameter", pk.Value, []string{first, second}), "")
			}
		}
		if params.A == nil || params.X == nil {
			d.fail(val, fp, fmt.Sprintf("needs both %s and %s", first, second), "")
			return
		}
		out.A, out.Shape = *params.A, *params.X
	default:
		d.fail(k, fp, unknownMsg("distribution", k.Value, kinds), "")
	}
}

// choice decodes {choice: [V...], weights: [W...]} (weights nil: not
// written, equal).
func (d *decoder) choice(vals, weights *yaml.Node, path string, out *Dist, value func(*yaml.Node, string) (time.Duration, bool)) {
	out.Kind = "choice"
	fp := join(path, "choice")
	d.nodes[fp] = vals
	if vals.Kind != yaml.SequenceNode || len(vals.Content) == 0 {
		d.fail(vals, fp, "expected a list of values [V...]", shown(vals))
		return
	}
	for _, v := range vals.Content {
		if x, ok := value(v, fp); ok {
			out.Values = append(out.Values, Duration(x))
		}
	}
	if weights == nil {
		return
	}
	wp := join(path, "weights")
	d.nodes[wp] = weights
	if weights.Kind != yaml.SequenceNode || len(weights.Content) != len(vals.Content) {
		got := shown(weights)
		if weights.Kind == yaml.SequenceNode {
			got = fmt.Sprintf("a list of %d", len(weights.Content))
		}
		d.fail(weights, wp, fmt.Sprintf("expected a list of %d weights, one per value", len(vals.Content)), got)
		return
	}
	for _, w := range weights.Content {
		x := reflect.New(reflect.TypeFor[float64]()).Elem()
		d.scalar(w, wp, x)
		out.Weights = append(out.Weights, x.Float())
	}
}

// sweep decodes the `sweep:` block: KEY: [V1, V2, ...], and under
// `zip:` a mapping of keys that move together (one axis), or a list of
// such mappings (one axis each).
func (d *decoder) sweep(n *yaml.Node, path string, out *Sweep) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping of KEY: [VALUES]", shown(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Value != "zip" {
			d.sweepKeys(n.Content[i:i+2], path, false, out)
			continue
		}
		fp := join(path, "zip")
		switch {
		case val.Kind == yaml.MappingNode && len(val.Content) > 0:
			d.sweepKeys(val.Content, fp, true, out)
		case val.Kind == yaml.SequenceNode && len(val.Content) > 0:
			for j, ax := range val.Content {
				axp := fmt.Sprintf("%s[%d]", fp, j)
				if ax.Kind != yaml.MappingNode || len(ax.Content) == 0 {
					d.fail(ax, axp, "expected a mapping of KEY: [VALUES] (keys that move together)", shown(ax))
					continue
				}
				d.sweepKeys(ax.Content, axp, true, out)
			}
		default:
			d.fail(val, fp, "expected a mapping of KEY: [VALUES] (keys that move together: point i takes the i-th value of each) "+
				"or a list of such mappings", shown(val))
		}
	}
}

// sweepKeys decodes the KEY: [VALUES] pairs of content (a mapping's) into
// out; zip makes them one axis, every key with as many values as the
// first.
func (d *decoder) sweepKeys(content []*yaml.Node, path string, zip bool, out *Sweep) {
	var first *SweepKey
	for i := 0; i+1 < len(content); i += 2 {
		k, val := content[i], content[i+1]
		fp := join(path, k.Value)
		if slices.ContainsFunc(*out, func(s SweepKey) bool { return s.Key == k.Value }) {
			d.fail(k, fp, "given twice", "")
			continue
		}
		if k.Value == "zip" {
			d.fail(k, fp, "zip: goes directly under sweep:", "")
			continue
		}
		if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
			d.fail(val, fp, "expected a list of one or more values", shown(val))
			continue
		}
		sk := SweepKey{Key: k.Value, field: fp, line: k.Line, col: k.Column}
		for _, v := range val.Content {
			text, err := yaml.Marshal(v)
			if err != nil {
				d.fail(v, fp, "cannot use this value", shown(v))
				continue
			}
			d.nodes[fmt.Sprintf("%s[%d]", fp, len(sk.Values))] = v
			sk.Values = append(sk.Values, strings.TrimSpace(string(text)))
			sk.nodes = append(sk.nodes, v)
		}
		if zip && first != nil {
			if len(sk.Values) != len(first.Values) {
				d.fail(k, fp, zipLengthMsg(*first, len(sk.Values)), fmt.Sprintf("%d values", len(sk.Values)))
				continue
			}
			sk.zipped = true
		}
		*out = append(*out, sk)
		if zip && first == nil {
			first = &sk
		}
	}
}

// share decodes a fraction: a number, or a percentage such as "2.5%".
func (d *decoder) share(n *yaml.Node, path string, out *Share) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		if x, _, err := percent(n.Value); err == nil {
			*out = Share(x)
			return
		}
	}
	d.fail(n, path, "expected a fraction such as 0.025 or a percentage such as 2.5%", shown(n))
}

// percent reads "2.5%" as 0.025 (pct true), or text without the sign
// as a plain number.
func percent(text string) (x float64, pct bool, err error) {
	text, pct = strings.CutSuffix(text, "%")
	x, err = strconv.ParseFloat(strings.TrimSpace(text), 64)
	if pct {
		x /= 100
	}
	return x, pct, err
}

// retry decodes a retry rule: a name, or {attempts: N}.
func (d *decoder) retry(n *yaml.Node, path string, out *RetrySpec) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		out.Name = n.Value
		return
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "attempts":
		out.Name = "attempts"
		var x int
		d.decode(n.Content[1], path+".attempts", reflect.ValueOf(&x).Elem())
		out.Attempts = x
		return
	}
	d.fail(n, path, "expected none, go, urllib3, database-sql or {attempts: N}", shown(n))
}
