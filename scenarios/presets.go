package scenarios

import (
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Preset is a named, complete middlebox with the sources of its figures.
type Preset struct {
	Name    string   `yaml:"name"`
	Sources []Source `yaml:"sources"` // the first is the main one
	Note    string   `yaml:"note"`    // what was assumed beyond the sources
	// Household marks a home gateway: one household's box, sized for a
	// few devices, so that a shared box of this preset crossed by a
	// population is probably a mistake (Warnings).
	Household bool          `yaml:"household,omitempty"`
	Middlebox MiddleboxSpec `yaml:"middlebox"`
}

// Source is one document a preset's figures come from. Name is a short
// key for it (the presets file's lists are addressed by name).
type Source struct {
	Name       string `yaml:"name" json:"name"`
	Kind       string `yaml:"kind" json:"kind"`               // doc, src or study (SourceKinds)
	SecondHand bool   `yaml:"second_hand" json:"second_hand"` // seen only quoted by a third party
	Title      string `yaml:"title" json:"title"`
	Publisher  string `yaml:"publisher" json:"publisher"` // or the authors and venue of a study
	URL        string `yaml:"url" json:"url"`             // https://..., or NotRecorded
	DOI        string `yaml:"doi,omitempty" json:"doi,omitempty"`
	Published  string `yaml:"published,omitempty" json:"published,omitempty"` // a fixed document's date
	Read       string `yaml:"read,omitempty" json:"read,omitempty"`           // a living page: the date read, or NotRecorded
	Figures    string `yaml:"figures" json:"figures"`                         // what the preset takes from it
}

// NotRecorded stands for a URL or date that was not written down when
// the figures were gathered: the document is named by title instead.
const NotRecorded = "not recorded"

// SourceKinds are the kinds of source, with what they mean.
var SourceKinds = []struct{ Kind, Meaning string }{
	{"doc", "vendor or standards documentation"},
	{"src", "read in source code"},
	{"study", "a published measurement"},
}

// Gathered is the date by which the presets' figures were gathered; the
// date each page was read was not recorded.
const Gathered = "2026-11-21"

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
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.checkSources(), p.checkFixed())
	}
	return ps, errors.Join(errs...)
}

// checkFixed holds a preset to fixed values: a preset describes one
// device, and tools that print presets read one value per setting.
func (p Preset) checkFixed() error {
	m := p.Middlebox
	for _, d := range []*Dist{(*Dist)(m.Capacity), m.Timeouts.TCPEstablished, m.Timeouts.TCPTransitory, m.Timeouts.UDP, m.Timeouts.UDPStream} {
		if _, ok := d.Fixed(); d != nil && !ok {
			return fmt.Errorf("preset %s: capacity and timeouts must be fixed values", p.Name)
		}
	}
	if m.Instances != nil {
		return fmt.Errorf("preset %s: instances belongs to the scenario, not the preset", p.Name)
	}
	return nil
}

// checkSources holds a preset's sources to the presets file's rules:
// at least one; each with a known kind, a title, a publisher, what it
// gives, and a URL (https) or DOI, or the URL marked as not recorded.
func (p Preset) checkSources() error {
	if len(p.Sources) == 0 {
		return fmt.Errorf("preset %s: no source", p.Name)
	}
	var errs []error
	for _, s := range p.Sources {
		bad := func(msg string) { errs = append(errs, fmt.Errorf("preset %s, source %s: %s", p.Name, s.Name, msg)) }
		if !slices.ContainsFunc(SourceKinds, func(k struct{ Kind, Meaning string }) bool { return k.Kind == s.Kind }) {
			bad(fmt.Sprintf("kind must be doc, src or study (got %q)", s.Kind))
		}
		if s.Title == "" || s.Publisher == "" || s.Figures == "" {
			bad("needs a title, a publisher and the figures taken from it")
		}
		switch {
		case s.URL == "" && s.DOI == "":
			bad(`needs a url or a doi, or url: "` + NotRecorded + `"`)
		case s.URL != "" && s.URL != NotRecorded && !strings.HasPrefix(s.URL, "https://"):
			bad(fmt.Sprintf("url must start with https:// or be %q (got %q)", NotRecorded, s.URL))
		}
	}
	return errors.Join(errs...)
}

// FindPreset returns the preset called name, or the closest name to
// suggest (or "") when there is none.
func FindPreset(name string) (p Preset, suggestion string, ok bool) {
	if p, ok := findPreset(name); ok {
		return p, "", true
	}
	return Preset{}, closest(name, presetNames()), false
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
