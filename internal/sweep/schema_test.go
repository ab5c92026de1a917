package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/internal/verdict"
	"github.com/natsim/natsim/sim"
)

var update = flag.Bool("update", false, "rewrite docs/result.schema.json from the result types")

// schemaFile is the published JSON Schema of result.json (natsim run
// --json) and sweep.json.
const schemaFile = "../../docs/result.schema.json"

// TestSchemaIsUpToDate: docs/result.schema.json is generated from the
// types that write the files (sim.Result and Result), so that it cannot
// drift from them; go test -update rewrites it.
func TestSchemaIsUpToDate(t *testing.T) {
	got := generateSchema()
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the result types (go test ./internal/sweep -run Schema -update rewrites it)", schemaFile)
	}
}

// TestOutputsMatchTheSchema validates against the published schema the
// result of every example in every variant (the bench goldens, which are
// what natsim run --json writes for them), a result with replications
// (ci95 blocks), a sweep.json just written, and the chart fixture; and
// checks that the validator refuses what the schema forbids.
func TestOutputsMatchTheSchema(t *testing.T) {
	schema := loadSchema(t)
	files, _ := filepath.Glob("../bench/testdata/examples/*/*.json")
	files = append(files, "../bench/testdata/reference.json", "../bench/testdata/busy.json",
		"../review/testdata/sweep/sweep.json")
	if len(files) < 30 {
		t.Fatalf("only %d result files found", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.validate(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	pts, keys := points(t, 100, "50,120")
	res, err := Run(context.Background(), pts, keys, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sweepJSON, runJSON bytes.Buffer
	if err := res.writeJSON(&sweepJSON); err != nil {
		t.Fatal(err)
	}
	if err := res.Points[0].Result.WriteJSON(&runJSON); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(runJSON.String(), `"ci95"`) {
		t.Fatal("a result of two replications has no ci95 block")
	}
	// A run's result with its verdict, against a target of every limit.
	cfg := &pts[0].Scenario.Config
	var runs []*sim.RunResult
	for rep := range 2 {
		run, err := sim.Run(cfg, rep, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
	}
	var tgt target.Target
	for _, m := range target.Metrics {
		tgt.Set(m, 0.5)
	}
	tgt.Confidence = 0.9
	v := verdict.Of(cfg, tgt, runs)
	var verdictJSON bytes.Buffer
	if err := (verdict.Result{Result: sim.Aggregate(cfg, runs), Verdict: &v}).WriteJSON(&verdictJSON); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"sweep.json": sweepJSON.Bytes(), "result.json": runJSON.Bytes(), "result.json with a verdict": verdictJSON.Bytes()} {
		if err := schema.validate(data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, c := range []struct{ from, to, want string }{
		{`"lost_up":`, `"lost_upp":`, `no field "lost_up"`},
		{`"lost_up":`, `"extra": 1, "lost_up":`, `unknown field "extra"`},
		{`"name": "small-nat"`, `"name": 3`, `want string`},
		{`"natsim_version"`, `"version"`, "matches none"},
	} {
		bad := strings.Replace(sweepJSON.String(), c.from, c.to, 1)
		if err := schema.validate([]byte(bad)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: got %v, want an error with %q", c.from, c.to, err, c.want)
		}
	}
}

// generateSchema writes the JSON Schema of sim.Result and Result: an
// object per struct type (its JSON fields in order, those without
// omitempty or omitzero required, no others allowed), a number per float64.
func generateSchema() []byte {
	g := &schemaGen{defs: map[string]ordered{}}
	result := g.ref(reflect.TypeFor[verdict.Result]())
	sweep := g.ref(reflect.TypeFor[Result]())
	var defs ordered
	for _, name := range g.order {
		defs = append(defs, kv{name, g.defs[name]})
	}
	root := ordered{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", "https://github.com/natsim/natsim/docs/result.schema.json"},
		{"title", "natsim results"},
		{"description", "result.json (natsim run --json, natsim run --out) or sweep.json (natsim sweep): docs/model.md, section 9. " +
			"Generated from the Go types by go test ./internal/sweep -run Schema -update."},
		{"oneOf", []any{result, sweep}},
		{"$defs", defs},
	}
	data, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(data, '\n')
}

// defNames names the definitions of types whose Go names collide or say
// little; others are named after their type.
var defNames = map[reflect.Type]string{
	reflect.TypeFor[verdict.Result](): "result",
	reflect.TypeFor[sim.Result]():     "point_result",
	reflect.TypeFor[Result]():         "sweep",
	reflect.TypeFor[Point]():          "point",
	reflect.TypeFor[Key]():            "key",
}

type schemaGen struct {
	defs  map[string]ordered
	order []string
}

func (g *schemaGen) ref(t reflect.Type) ordered {
	name, ok := defNames[t]
	if !ok {
		name = t.Name()
	}
	if _, done := g.defs[name]; !done {
		g.defs[name] = nil // being built: a recursive type refers to it
		g.order = append(g.order, name)
		g.defs[name] = g.object(t)
	}
	return ordered{{"$ref", "#/$defs/" + name}}
}

func (g *schemaGen) object(t reflect.Type) ordered {
	var props ordered
	required := []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" { // an embedded struct: its fields are the object's
			inner := g.object(indirect(f.Type))
			props = append(props, inner[1].v.(ordered)...)
			required = append(required, inner[2].v.([]string)...)
			continue
		}
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		props = append(props, kv{name, g.of(f.Type)})
		if opts != "omitempty" && opts != "omitzero" {
			required = append(required, name)
		}
	}
	return ordered{{"type", "object"}, {"properties", props}, {"required", required}, {"additionalProperties", false}}
}

// indirect is t, or what t points to.
func indirect(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

func (g *schemaGen) of(t reflect.Type) any {
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.Float64:
		return ordered{{"type", "number"}}
	case reflect.Int, reflect.Uint64:
		return ordered{{"type", "integer"}, {"minimum", 0}}
	case reflect.String:
		return ordered{{"type", "string"}}
	case reflect.Bool:
		return ordered{{"type", "boolean"}}
	case reflect.Slice:
		return ordered{{"type", "array"}, {"items", g.of(t.Elem())}}
	case reflect.Map: // a point's values: seconds, numbers or text
		return ordered{{"type", "object"}, {"additionalProperties", ordered{{"type", []string{"number", "string"}}}}}
	case reflect.Struct:
		return g.ref(t)
	}
	panic("schema: no JSON type for " + t.String())
}

// ordered is a JSON object that keeps its members' order.
type ordered []kv

type kv struct {
	k string
	v any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		v, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// schema is a strict validator of the keywords the generated schema uses;
// a keyword it does not know is an error, not ignored, so that the
// schema cannot say more than the test checks.
type schema struct{ root map[string]any }

func loadSchema(t *testing.T) *schema {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	return &schema{root}
}

func (s *schema) validate(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return s.check(s.root, v, "$")
}

var known = []string{"$schema", "$id", "title", "description", "$defs", "$ref", "type", "properties", "required",
	"additionalProperties", "items", "oneOf", "minimum"}

func (s *schema) check(sc map[string]any, v any, at string) error {
	for k := range sc {
		if !slices.Contains(known, k) {
			return fmt.Errorf("schema keyword %q is not checked by this test", k)
		}
	}
	if ref, ok := sc["$ref"].(string); ok {
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		def, found := s.root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok || !found {
			return fmt.Errorf("%s: no definition %s", at, ref)
		}
		return s.check(def, v, at)
	}
	if alts, ok := sc["oneOf"].([]any); ok {
		var matched int
		var errs []string
		for _, a := range alts {
			if err := s.check(a.(map[string]any), v, at); err != nil {
				errs = append(errs, err.Error())
			} else {
				matched++
			}
		}
		if matched != 1 {
			return fmt.Errorf("%s matches %d of oneOf's schemas, not one (matches none: %s)", at, matched, strings.Join(errs, "; "))
		}
	}
	if typ, ok := sc["type"]; ok {
		types, ok := typ.([]any)
		if !ok {
			types = []any{typ}
		}
		if !slices.ContainsFunc(types, func(t any) bool { return hasType(v, t.(string)) }) {
			return fmt.Errorf("%s: want %v, got %v", at, typ, v)
		}
	}
	if min, ok := sc["minimum"].(float64); ok && v.(float64) < min {
		return fmt.Errorf("%s: %v is below %v", at, v, min)
	}
	if items, ok := sc["items"].(map[string]any); ok {
		for i, x := range v.([]any) {
			if err := s.check(items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return nil
	}
	props, _ := sc["properties"].(map[string]any)
	for _, r := range asSlice(sc["required"]) {
		if _, ok := obj[r.(string)]; !ok {
			return fmt.Errorf("%s: no field %q", at, r)
		}
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names) // the first error is the same each time
	for _, k := range names {
		sub, ok := props[k].(map[string]any)
		if !ok {
			switch extra := sc["additionalProperties"].(type) {
			case bool:
				if !extra {
					return fmt.Errorf("%s: unknown field %q", at, k)
				}
				continue
			case map[string]any:
				sub = extra
			default:
				continue
			}
		}
		if err := s.check(sub, obj[k], at+"."+k); err != nil {
			return err
		}
	}
	return nil
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func hasType(v any, t string) bool {
	switch x := v.(type) {
	case map[string]any:
		return t == "object"
	case []any:
		return t == "array"
	case string:
		return t == "string"
	case bool:
		return t == "boolean"
	case float64:
		return t == "number" || t == "integer" && x == math.Trunc(x)
	}
	return false
}
