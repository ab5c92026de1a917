package scenarios

import (
	_ "embed"
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Preset is a named, complete middlebox with the source of its figures.
type Preset struct {
	Name      string        `yaml:"name"`
	Source    string        `yaml:"source"`
	Note      string        `yaml:"note"`
	Middlebox MiddleboxSpec `yaml:"middlebox"`
}

//go:embed presets/middleboxes.yaml
var presetsYAML []byte

// Presets returns the middlebox presets in their documented order.
func Presets() []Preset { return presets }

var presets, presetsErr = loadPresets()

func loadPresets() ([]Preset, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(presetsYAML, &root); err != nil {
		return nil, err
	}
	d := &decoder{file: "presets/middleboxes.yaml", nodes: map[string]*yaml.Node{}}
	var ps []Preset
	d.decode(root.Content[0], "", reflect.ValueOf(&ps).Elem())
	if len(d.probs) > 0 {
		return nil, d.probs
	}
	return ps, nil
}

func findPreset(name string) (Preset, bool) {
	for _, p := range presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

func presetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// applyPreset fills every field of m that the file left out from p.
func applyPreset(m *MiddleboxSpec, p Preset) {
	fill(reflect.ValueOf(m).Elem(), reflect.ValueOf(p.Middlebox))
}

func init() {
	if presetsErr != nil {
		panic(fmt.Sprintf("scenarios: bad embedded presets: %v", presetsErr))
	}
}
