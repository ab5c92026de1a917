package scenarios

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/sim"
)

// Advise is the resolved advise: block: what natsim advise tunes, over
// which range, against which cost, with which margin. Tune is empty when
// the file has no advise: block.
type Advise struct {
	Tune   []string      // keys set to one value, each a duration field
	Lo, Hi time.Duration // the range searched, Lo < Hi
	Cost   target.Cost
	// MarginFraction (of the cliff) or MarginSpan is kept below the cliff
	// on top of the uncertainty the scenario declares; both 0: none.
	MarginFraction float64
	MarginSpan     time.Duration
}

// tuneKeys decodes advise.tune: one key, or a list of keys.
func (d *decoder) tuneKeys(n *yaml.Node, path string, out *TuneKeys) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	if len(items) == 0 {
		d.fail(n, path, "expected a key, or a list of keys tied to one value", shown(n))
		return
	}
	for i, item := range items {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" || item.Value == "" {
			d.fail(item, path, "expected a key such as clients.app.keepalive.interval", shown(item))
			return
		}
		d.nodes[fmt.Sprintf("%s[%d]", path, i)] = item
		*out = append(*out, item.Value)
	}
}

// tuneRange decodes advise.range: [A, B], two durations.
func (d *decoder) tuneRange(n *yaml.Node, path string, out *TuneRange) {
	if lo, hi, ok := d.durationPair(n, path, "expected [A, B], two durations such as [30s, 30m]"); ok {
		*out = TuneRange{Duration(lo), Duration(hi)}
	}
}

// margin decodes advise.margin: a percentage (5%) or a duration (15s).
func (d *decoder) margin(n *yaml.Node, path string, out *MarginSpec) {
	if n.Kind == yaml.ScalarNode {
		if f, pct, err := percent(n.Value); pct {
			if err != nil || !(f >= 0 && f < 1) {
				d.fail(n, path, "a fraction must be a percentage from 0% to below 100%", shown(n))
				return
			}
			out.Fraction = f
			return
		}
	}
	if dur, ok := d.duration(n, path); ok {
		if dur < 0 {
			d.fail(n, path, "must be >= 0", shown(n))
			return
		}
		out.Span = Duration(dur)
	}
}

// advise resolves the advise: block; the keys are checked against the
// document (they must name duration fields that the scenario has).
func (r *resolver) advise(spec *AdviseSpec) Advise {
	a := Advise{Cost: target.Costs[0]}
	if spec == nil {
		return a
	}
	root := r.d.nodes[""]
	if len(spec.Tune) == 0 {
		r.bad("advise.tune", "is required: the key to tune, such as clients.app.keepalive.interval", "")
	}
	for i, key := range spec.Tune {
		if msg := TuneKeyProblem(root, key); msg != "" {
			r.bad(fmt.Sprintf("advise.tune[%d]", i), msg, strconv.Quote(key))
		}
	}
	a.Tune = spec.Tune
	a.Lo, a.Hi = dur(&spec.Range.Lo), dur(&spec.Range.Hi)
	switch {
	case a.Lo == 0 && a.Hi == 0:
		r.bad("advise.range", "is required: [A, B], the durations to search between", "")
	case a.Lo <= 0 || a.Lo >= a.Hi:
		r.bad("advise.range", "needs 0 < A < B", fmt.Sprintf("[%v, %v]", a.Lo, a.Hi))
	}
	if spec.Cost != nil {
		c, ok := target.CostNamed(*spec.Cost)
		if !ok {
			r.bad("advise.cost", unknownMsg("cost", *spec.Cost, target.CostNames()), strconv.Quote(*spec.Cost))
		}
		a.Cost = c
	}
	if spec.Margin != nil {
		a.MarginFraction, a.MarginSpan = spec.Margin.Fraction, dur(&spec.Margin.Span)
	}
	return a
}

// TuneKeyProblem says what is wrong with key as a key to tune in the
// document root, or "" when it names a duration field that can be set.
func TuneKeyProblem(root *yaml.Node, key string) string {
	if err := setKey(cloneNode(root), key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "1s"}); err != nil {
		return err.Error()
	}
	if t := leafType(key); t != durationType {
		return "is not a duration (it takes a " + kindName(t.Kind()) + "): advise tunes a duration"
	}
	return ""
}

// leafType is the type of the field key names (setKey has checked it).
func leafType(key string) reflect.Type {
	t := reflect.TypeFor[File]()
	for _, seg := range strings.Split(key, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice {
			t = t.Elem() // seg names an item
			continue
		}
		_, index := fieldsOf(t)
		t = t.Field(index[seg]).Type
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// ParseTune reads a --tune flag, KEY=A..B or K1;K2=A..B (keys tied to one
// value), into the keys and range; the keys are checked by SetTune.
func ParseTune(text string) (keys []string, lo, hi time.Duration, err error) {
	flag := "--tune " + text
	k, rng, ok := strings.Cut(text, "=")
	a, b, isRange := strings.Cut(rng, "..")
	if !ok || !isRange || k == "" {
		return nil, 0, 0, Problems{{Flag: flag, Msg: "expected KEY=A..B such as clients.app.keepalive.interval=30s..30m (keys tied to one value joined by ';')"}}
	}
	lo, errA := time.ParseDuration(strings.TrimSpace(a))
	hi, errB := time.ParseDuration(strings.TrimSpace(b))
	switch {
	case errA != nil || errB != nil:
		return nil, 0, 0, Problems{{Flag: flag, Msg: "A and B must be durations such as 30s or 30m"}}
	case lo <= 0 || lo >= hi:
		return nil, 0, 0, Problems{{Flag: flag, Msg: "needs 0 < A < B", Value: fmt.Sprintf("[%v, %v]", lo, hi)}}
	}
	for _, key := range strings.Split(k, ";") {
		keys = append(keys, strings.TrimSpace(key))
	}
	return keys, lo, hi, nil
}

// SetTune replaces the advise block's keys and range with a --tune
// flag's (as typed in flag), after checking the keys.
func (sc *Scenario) SetTune(flag string, keys []string, lo, hi time.Duration) error {
	var probs Problems
	for _, key := range keys {
		if msg := TuneKeyProblem(sc.root, key); msg != "" {
			probs = append(probs, Problem{Flag: flag, Field: key, Msg: msg})
		}
	}
	if len(probs) > 0 {
		return probs
	}
	sc.Advise.Tune, sc.Advise.Lo, sc.Advise.Hi = keys, lo, hi
	return nil
}

// At is the scenario with every key of Advise.Tune set to v (the file's
// sweep: block left out): one value of advise's search. A value the
// scenario refuses (an interval below its jitter) is a Problem naming
// the key and value.
func (sc *Scenario) At(v time.Duration) (*Scenario, error) {
	return sc.with(func(root *yaml.Node, origin map[*yaml.Node]string) Problems {
		for _, k := range sc.Advise.Tune {
			flag := "advise at " + k + "=" + v.String()
			val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.String()}
			origin[val] = flag
			if err := setKey(root, k, val); err != nil {
				return Problems{{Flag: flag, Field: k, Msg: err.Error()}}
			}
		}
		return nil
	})
}

// with is sc's document, without its sweep: block, after edit, built
// again; the target and advise of sc (which flags may have changed) are
// kept. Its root stays, so that ResolvedYAML writes it.
func (sc *Scenario) with(edit func(root *yaml.Node, origin map[*yaml.Node]string) Problems) (*Scenario, error) {
	root := cloneNode(sc.root)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sweep" {
			root.Content = slices.Delete(root.Content, i, i+2)
			break
		}
	}
	origin := maps.Clone(sc.origin)
	if probs := edit(root, origin); len(probs) > 0 {
		return nil, probs
	}
	s, probs := build(sc.File, root, origin, nil)
	if len(probs) > 0 {
		return nil, probs
	}
	s.Description, s.Replications, s.Target, s.Advise = sc.Description, sc.Replications, sc.Target, sc.Advise
	return s, nil
}

// TunedField is, for each keepalive type that advise --compare knows,
// the field of a group's keepalive that it tunes.
var TunedField = map[string]string{"tcp": "idle", "app": "interval", "server-app": "interval"}

// CompareNames lists what advise --compare takes: the tuned types of
// TunedField and the adaptive presets, which have nothing to tune.
func CompareNames() []string {
	return append(slices.Sorted(maps.Keys(TunedField)), sim.AdaptivePresetNames()...)
}

// Retyped is the scenario with every group's keepalive of type kind
// (tcp, app or server-app), and Advise.Tune the field of it that sets how
// often it speaks (TunedField) in every group. Settings of the file's
// keepalive are kept when the two types take the same fields (app and
// server-app); otherwise the new type starts from its defaults, and an
// app heartbeat's required fields from AppDefaults.
//
// kind may also name an adaptive preset (mars, courier, eas, composite):
// then every group's keepalive is that preset with its own parameters,
// the ping and pong sizes and pong timeout of the file's app or
// server-app heartbeat kept (they are the same app's), and Advise.Tune
// is empty: the algorithm sets its own interval.
func (sc *Scenario) Retyped(kind string) (*Scenario, error) {
	k, ok := sim.KeepaliveKindNamed(kind)
	field, tunable := TunedField[kind]
	adaptive := slices.Contains(sim.AdaptivePresetNames(), kind)
	if !adaptive && (!ok || !tunable) {
		return nil, Problems{{Flag: "--compare " + kind, Msg: "unknown keepalive type; --compare takes " + strings.Join(CompareNames(), ", ") + " or adaptive (all the presets)"}}
	}
	var keys []string
	s, err := sc.with(func(root *yaml.Node, _ map[*yaml.Node]string) Problems {
		for _, item := range mapGet(root, "clients").Content {
			name, _ := itemName(item)
			ka := mapGet(item, "keepalive")
			old := "none"
			if ka == nil {
				ka = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				mapSet(item, "keepalive", ka)
			} else if t := mapGet(ka, "type"); t != nil {
				old = t.Value
			}
			if adaptive {
				retypeAdaptive(ka, old, kind)
				continue
			}
			if was, _ := sim.KeepaliveKindNamed(old); was == nil || !sameFields(was, k) {
				ka.Content = nil
				for _, f := range k.Fields {
					if v, ok := AppDefaults[f.Name]; ok && f.Required {
						mapSet(ka, f.Name, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
					}
				}
			}
			mapSet(ka, "type", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kind})
			keys = append(keys, "clients."+name+".keepalive."+field)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.Advise.Tune = keys
	return s, nil
}

// retypeAdaptive makes the keepalive node ka (of type old) the adaptive
// preset: an app or server-app heartbeat's ping and pong sizes and pong
// timeout are kept, as the adaptive fields that mean the same.
func retypeAdaptive(ka *yaml.Node, old, preset string) {
	keep := map[string]string{"request_bytes": "request_bytes", "response_bytes": "response_bytes", "timeout": "ack_timeout"}
	var kept []*yaml.Node
	if old == "app" || old == "server-app" {
		for i := 0; i+1 < len(ka.Content); i += 2 {
			if to, ok := keep[ka.Content[i].Value]; ok {
				kept = append(kept, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: to}, ka.Content[i+1])
			}
		}
	}
	ka.Content = nil
	mapSet(ka, "type", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "adaptive"})
	mapSet(ka, "preset", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: preset})
	ka.Content = append(ka.Content, kept...)
}

// AppDefaults are the required fields of an app or server-app heartbeat
// that --compare fills in for a group whose file keepalive is of another
// type: the interval (then tuned), a 10 s pong timeout and 40-byte pings
// and pongs (a small WebSocket or MQTT ping with TCP/IP headers).
var AppDefaults = map[string]string{"interval": "1m", "timeout": "10s", "request_bytes": "40", "response_bytes": "40"}

// sameFields reports whether two keepalive types take the same fields.
func sameFields(a, b *sim.KeepaliveKind) bool {
	return slices.EqualFunc(a.Fields, b.Fields, func(x, y sim.KeepaliveField) bool { return x.Name == y.Name })
}

// MarshalYAML writes the range as it is read, [A, B].
func (r TuneRange) MarshalYAML() (any, error) {
	return []string{time.Duration(r.Lo).String(), time.Duration(r.Hi).String()}, nil
}

// MarshalYAML writes the margin as it is read: 5% or 15s.
func (m MarginSpec) MarshalYAML() (any, error) {
	if m.Fraction > 0 {
		return strconv.FormatFloat(100*m.Fraction, 'g', -1, 64) + "%", nil
	}
	return time.Duration(m.Span).String(), nil
}
