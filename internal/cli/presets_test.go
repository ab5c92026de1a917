package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsim/natsim/scenarios"
)

func TestPresetsGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		args []string
	}{
		{"presets.txt", []string{"presets"}},
		{"presets-aws-alb.txt", []string{"presets", "aws-alb"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			out, msg, code := natsim(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, msg)
			}
			golden(t, tc.file, out)
		})
	}
}

// TestPresetsFitIn100Columns holds the table, its notes, and every
// preset in full to 100 columns; a URL, which cannot be broken, may be
// longer.
func TestPresetsFitIn100Columns(t *testing.T) {
	runs := [][]string{{"presets"}, {"presets", "--notes"}}
	for _, p := range scenarios.Presets() {
		runs = append(runs, []string{"presets", p.Name})
	}
	for _, args := range runs {
		out, msg, code := natsim(t, args...)
		if code != 0 {
			t.Fatalf("natsim %v: exit %d: %s", args, code, msg)
		}
		for n, line := range strings.Split(out, "\n") {
			if len([]rune(line)) > width && !strings.HasPrefix(strings.TrimSpace(line), "url ") {
				t.Errorf("natsim %v, line %d is %d columns wide:\n%s", args, n+1, len([]rune(line)), line)
			}
		}
	}
}

// TestPresetSources: every preset cites a source with a title and a URL,
// a DOI, or its URL marked as not recorded; the AWS ALB preset cites the
// ALB documentation and linux-conntrack says when 262,144 holds.
func TestPresetSources(t *testing.T) {
	for _, p := range scenarios.Presets() {
		if len(p.Sources) == 0 {
			t.Errorf("%s: no source", p.Name)
		}
		for _, s := range p.Sources {
			if s.Title == "" || s.Publisher == "" {
				t.Errorf("%s, source %s: no title or publisher", p.Name, s.Name)
			}
			if !strings.HasPrefix(s.URL, "https://") && s.DOI == "" && s.URL != scenarios.NotRecorded {
				t.Errorf("%s, source %s: no URL or DOI, and not marked %q", p.Name, s.Name, scenarios.NotRecorded)
			}
		}
	}
	alb, _, _ := scenarios.FindPreset("aws-alb")
	if u := alb.Sources[0].URL; !strings.Contains(u, "/elasticloadbalancing/latest/application/") {
		t.Errorf("aws-alb's main source is %s, not the Application Load Balancer guide", u)
	}
	if f := alb.Sources[0].Figures; !strings.Contains(f, "60 s") || !strings.Contains(f, "keepalive") {
		t.Errorf("aws-alb's main source does not give the 60 s timeout and the keepalive rule: %s", f)
	}
	ct, _, _ := scenarios.FindPreset("linux-conntrack")
	if f := ct.Sources[0].Figures; !strings.Contains(f, "262,144") || !strings.Contains(f, "4 GiB") {
		t.Errorf("linux-conntrack does not say when 262,144 holds: %s", f)
	}
}

func TestPresetsUnknownName(t *testing.T) {
	_, msg, code := natsim(t, "presets", "aws-alv")
	if code != 2 || !strings.Contains(msg, `unknown preset "aws-alv" (did you mean "aws-alb"?)`) {
		t.Errorf("exit %d, message %q; want 2 and a suggestion of aws-alb", code, msg)
	}
	_, msg, code = natsim(t, "presets", "zzzzzzzz")
	if code != 2 || !strings.Contains(msg, `unknown preset "zzzzzzzz"`) || strings.Contains(msg, "did you mean") {
		t.Errorf("exit %d, message %q; want 2 and no suggestion", code, msg)
	}
	if _, _, code = natsim(t, "presets", "aws-alb", "aws-nlb"); code != 2 {
		t.Errorf("two names: exit %d, want 2", code)
	}
}

func TestPresetsJSON(t *testing.T) {
	out, msg, code := natsim(t, "presets", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var got []presetJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	ps := scenarios.Presets()
	if len(got) != len(ps) {
		t.Fatalf("%d presets in JSON, want %d", len(got), len(ps))
	}
	for i, p := range ps {
		if got[i].Name != p.Name || len(got[i].Sources) != len(p.Sources) || got[i].Sources[0].Title == "" {
			t.Errorf("JSON preset %d is %+v, want %s with its sources", i, got[i], p.Name)
		}
	}
	if alb := got[2]; alb.Name != "aws-alb" || alb.Middlebox.RefreshOnKeepalive || alb.Middlebox.TCPEstablishedS != 60 {
		t.Errorf("aws-alb in JSON: %+v", alb.Middlebox)
	}
	again, _, _ := natsim(t, "presets", "--json")
	if again != out {
		t.Error("two runs of presets --json differ")
	}
}

// TestPresetsDocCitesEverySource: docs/presets.md, written from the same
// presets file, gives every preset a section and every recorded source
// URL, so the two cannot drift apart silently.
func TestPresetsDocCitesEverySource(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("docs", "presets.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, p := range scenarios.Presets() {
		if !strings.Contains(doc, "### "+p.Name+"\n") {
			t.Errorf("docs/presets.md has no section for %s", p.Name)
		}
		for _, s := range p.Sources {
			if strings.HasPrefix(s.URL, "https://") && !strings.Contains(doc, "<"+s.URL+">") {
				t.Errorf("docs/presets.md does not give %s's source URL <%s>", p.Name, s.URL)
			}
		}
	}
}
