package scenarios

import (
	"strconv"
	"strings"
	"testing"
)

// TestNamesArePlain: a scenario name becomes part of a folder name, so
// anything but a plain name is refused where it is written.
func TestNamesArePlain(t *testing.T) {
	const doc = "name: %s\nduration: 1h\npath: [{name: b, preset: rfc-minimum}]\nclients: [{name: c, count: 1}]\n"
	for _, tc := range []struct {
		yaml, want string // want "" means accepted
	}{
		{"grpc-behind-nat_2.v1", ""},
		{"A", ""},
		{`"../../../../escape"`, `fuzz.yaml:1:7: name: must not start with '.' (got "../../../../escape")`},
		{"a/b", `fuzz.yaml:1:7: name: may hold only letters, digits, '.', '_' and '-' ('/' at byte 1) (got "a/b")`},
		{`"a\nb"`, `fuzz.yaml:1:7: name: may hold only letters, digits, '.', '_' and '-' ('\n' at byte 1) (got "a\nb")`},
		{`"a\0b"`, `(got "a\x00b")`},
		{`"a b"`, `(got "a b")`},
		{".hidden", `name: must not start with '.'`},
		{`""`, "fuzz.yaml:1:7: name: is required"},
		{strings.Repeat("x", MaxNameLen), ""},
		{strings.Repeat("x", MaxNameLen+1), "name: is longer than 100 bytes (got " + strconv.Quote(strings.Repeat("x", MaxNameLen+1)) + ")"},
	} {
		_, err := Parse("fuzz.yaml", []byte(strings.Replace(doc, "%s", tc.yaml, 1)), nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("name %s: %v", tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("name %s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// --set is checked the same way, and names the flag.
	_, err := Load("aws-nat-gateway-grpc.yaml", []string{"name=a/../../b"})
	if err == nil || !strings.HasPrefix(err.Error(), "--set name=a/../../b: name: may hold only") {
		t.Errorf("--set name: %v", err)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"plain-name.v2":         "plain-name.v2",
		"../../../../escape":    "_._.._.._.._escape",
		"a/b":                   "a_b",
		"a\x00b\nc":             "a_b_c",
		"":                      "scenario",
		strings.Repeat("é", 80): strings.Repeat("_", MaxNameLen),
	} {
		got := SafeName(in)
		if got != want || NameProblem(got) != "" {
			t.Errorf("SafeName(%q) = %q (%s), want %q", in, got, NameProblem(got), want)
		}
	}
}
