package scenarios

import (
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// resolvedHeader opens every resolved scenario. It names no file, so
// that resolving a resolved scenario gives the same bytes.
const resolvedHeader = `# Resolved by natsim: the scenario as given (presets named, --set values
# and --param sweeps included) with every default written out. natsim
# sweep (or run) on this file reproduces the results beside it.
`

// ResolvedYAML is the scenario as given, after --set, with the sweep of
// points (the file's sweep: block and the --param keys) and every field
// that the file left out and that has a default written with the value
// it took: loading it gives the same runs, and resolving it again gives
// the same bytes. Presets stay named, so that a swept preset still
// applies. A default that differs between the points (sample_every when
// duration is swept, a keepalive setting when its type is) is left out,
// so that each point takes its own. points are sc.Points' result.
func (sc *Scenario) ResolvedYAML(points []Point) ([]byte, error) {
	var f File
	d := &decoder{file: sc.File, nodes: map[string]*yaml.Node{}}
	d.decode(sc.root, "", reflect.ValueOf(&f).Elem()) // a fresh copy as given: filling it leaves sc alone
	if len(points) > 0 {
		f.Sweep = points[0].keys
	}
	swept := map[string]bool{}
	for _, k := range f.Sweep {
		swept[k.Key] = true
	}
	defaults := defaultsOf(sc)
	for _, p := range points {
		at := defaultsOf(p.Scenario)
		pairs(reflect.ValueOf(&defaults).Elem(), reflect.ValueOf(&at).Elem(), "", func(path string, here, there reflect.Value) {
			// A swept key is set at every point, whatever the file says.
			if !here.IsNil() && !swept[path] && (!there.IsValid() || !reflect.DeepEqual(here.Interface(), there.Interface())) {
				here.SetZero()
			}
		})
	}
	fill(reflect.ValueOf(&f).Elem(), reflect.ValueOf(defaults))
	out, err := yaml.Marshal(&f)
	return append([]byte(resolvedHeader), out...), err
}

// defaultsOf is every field of sc that has a default, with the value it
// took in sc's run, whether the file gave it or not.
func defaultsOf(sc *Scenario) File {
	cfg := &sc.Config
	f := File{
		Seed:         &cfg.Seed,
		Warmup:       ptr(Duration(cfg.Warmup)),
		Replications: &sc.Replications,
		Network:      NetworkSpec{RTT: ptr(Duration(cfg.Network.RTT)), Loss: &cfg.Network.Loss},
	}
	if cfg.SampleEvery > 0 { // duration/DefaultSamples is 0 for a duration under 200ns, which the loader refuses
		f.SampleEvery = ptr(Duration(cfg.SampleEvery))
	}
	for _, g := range cfg.Groups {
		f.Clients = append(f.Clients, groupDefaults(g))
	}
	return f
}

func groupDefaults(g sim.Group) GroupSpec {
	out := GroupSpec{
		Name:        g.Name,
		Protocol:    ptr(protocols[g.Proto]),
		StartDelay:  ptr(Duration(g.StartDelay)),
		StartSpread: ptr(Duration(g.StartSpread)),
		// Bytes apply only where the file gives the direction: fill
		// creates no traffic.
		Traffic: TrafficSpec{Up: &MessagesSpec{Bytes: ptr(g.Up.Bytes)}, Down: &MessagesSpec{Bytes: ptr(g.Down.Bytes)}},
		Reconnect: ReconnectSpec{
			Backoff:          ptr(Duration(g.Reconnect.Backoff)),
			MaxBackoff:       ptr(Duration(g.Reconnect.MaxBackoff)),
			HandshakePackets: ptr(g.Reconnect.HandshakePackets),
			HandshakeBytes:   ptr(g.Reconnect.HandshakeBytes),
		},
		RetransmitTimeout: ptr(Duration(g.RetransmitTimeout)),
	}
	if g.Proto == nat.UDP {
		out.UDPRebinding = ptr(g.UDPRebinding.String())
	}
	if p := g.PingPolicy; p != nil {
		out.Server = &ServerSpec{MinPingInterval: ptr(Duration(p.MinInterval)), MaxPingStrikes: ptr(p.MaxStrikes)}
	}
	kind := g.Keepalive.Type.Kind()
	out.Keepalive.Type = ptr(kind.Name)
	v := reflect.ValueOf(&out.Keepalive).Elem()
	_, index := fieldsOf(v.Type())
	for _, f := range kind.Fields {
		if f.Applies != nil && !f.Applies(g.Keepalive) {
			continue
		}
		var x any
		switch {
		case f.Choice != nil:
			x = ptr(f.Choices[*f.Choice(&g.Keepalive)])
		case f.Duration != nil:
			x = ptr(Duration(*f.Duration(&g.Keepalive)))
		case f.Count != nil:
			x = ptr(*f.Count(&g.Keepalive))
		case f.Flag != nil:
			x = ptr(*f.Flag(&g.Keepalive))
		}
		v.Field(index[f.Name]).Set(reflect.ValueOf(x))
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// fill sets every field of dst that is nil to src's at the same path,
// through nested structs and list items of the same name; it creates no
// optional group of fields (traffic.up, session) that dst lacks.
func fill(dst, src reflect.Value) {
	pairs(dst, src, "", func(_ string, d, s reflect.Value) {
		if d.IsNil() && s.IsValid() {
			d.Set(s)
		}
	})
}

// pairs calls leaf for every single-value field of struct a that is
// optional (a pointer), with the path of its key and b's field at that
// path (the zero Value where b has no value there: a nil field, or no
// such group of fields or list item). Groups of fields that a lacks (a
// nil pointer) are skipped, as is the sweep.
func pairs(a, b reflect.Value, path string, leaf func(path string, a, b reflect.Value)) {
	names, index := fieldsOf(a.Type())
	for _, n := range names {
		fa, fb, fp := a.Field(index[n]), reflect.Value{}, join(path, n)
		if b.IsValid() {
			fb = b.Field(index[n])
		}
		switch t := fa.Type(); {
		case t == sweepType, t == boxNamesType, t == pathsType, t == tuneKeysType, t == rangeType: // a group's path and what advise tunes have no default
		case t.Kind() == reflect.Pointer && isLeaf(t):
			if fb.IsValid() && fb.IsNil() {
				fb = reflect.Value{}
			}
			leaf(fp, fa, fb)
		case t.Kind() == reflect.Pointer:
			if fa.IsNil() {
				continue
			}
			if fb.IsValid() {
				fb = reflect.Indirect(fb) // the zero Value for nil
			}
			pairs(fa.Elem(), fb, fp, leaf)
		case t.Kind() == reflect.Struct:
			pairs(fa, fb, fp, leaf)
		case t.Kind() == reflect.Slice:
			for i := range fa.Len() {
				item := fa.Index(i)
				name := item.FieldByName("Name").String()
				pairs(item, itemNamed(fb, name), join(fp, name), leaf)
			}
		}
	}
}

// itemNamed returns the item of list v with that name, or the zero Value.
func itemNamed(v reflect.Value, name string) reflect.Value {
	if v.IsValid() {
		for i := range v.Len() {
			if v.Index(i).FieldByName("Name").String() == name {
				return v.Index(i)
			}
		}
	}
	return reflect.Value{}
}
