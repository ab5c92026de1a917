package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The documentation a clone needs must be in the clone. These tests fail
// when any tracked file refers to a document outside the repository (the
// specifications natsim was first written from lived in a folder beside
// it), or when a Markdown link, or a mention of a docs/ page, leads
// nowhere.

// outsideRefs are references to the specification folder beside the
// repository. They are assembled from pieces so that this file does not
// match them itself.
var outsideRefs = []string{
	".." + "/shared",
	"shared/MODEL" + ".md",
	"shared/SCENARIO" + ".md",
	"shared/FACTS" + ".md",
	"shared/STYLE" + ".md",
}

// outsideNames matches the bare names of those specifications ("as
// MODEL section 8 says" written with the file name): none of them is a
// file of the repository, so a mention points outside it.
var outsideNames = regexp.MustCompile(`\b(MODEL|SCENARIO|FACTS|STYLE)\.md\b`)

// trackedFiles lists the repository's files: git's index when git is
// there, else every file under the root but hidden folders and natsim's
// default output folder.
func trackedFiles(t *testing.T) []string {
	t.Helper()
	if out, err := exec.Command("git", "ls-files", "-z").Output(); err == nil && len(out) > 0 {
		var files []string
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if _, err := os.Stat(f); err == nil { // deleted in the work tree but still indexed: skip
				files = append(files, filepath.ToSlash(f))
			}
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "natsim-out") {
				return filepath.SkipDir
			}
			return nil
		}
		files = append(files, filepath.ToSlash(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// textFiles returns the contents of the tracked text files by name.
func textFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range trackedFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(data, 0) >= 0 {
			continue // binary
		}
		out[f] = data
	}
	return out
}

func TestNoReferencesOutsideRepository(t *testing.T) {
	files := textFiles(t)
	for name, data := range files {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			bad := outsideNames.FindString(line)
			for _, ref := range outsideRefs {
				if strings.Contains(line, ref) {
					bad = ref
				}
			}
			if bad == "" {
				continue
			}
			t.Errorf("%s:%d refers to %q, outside the repository; point it into docs/: %s", name, n, bad, strings.TrimSpace(line))
		}
	}
}

// mdLink matches an inline Markdown link or image, [text](target) with
// an optional title; mdRef a reference definition, [label]: target.
var (
	mdLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	mdRef  = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	// docsMention is a path of a docs page in any file (a comment, a
	// message): docs/model.md and the like.
	docsMention = regexp.MustCompile(`\bdocs/[A-Za-z0-9_.-]+\.md\b`)
	scheme      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	inlineCode  = regexp.MustCompile("`[^`]*`")
)

func TestMarkdownLinksStayInside(t *testing.T) {
	files := textFiles(t)
	exists := func(p string) bool {
		_, err := os.Stat(filepath.FromSlash(p))
		return err == nil
	}
	anchors := map[string]map[string]bool{}
	for name, data := range files {
		if strings.HasSuffix(name, ".md") {
			anchors[name] = headingAnchors(data)
		}
	}
	for name, data := range files {
		if !strings.HasSuffix(name, ".md") {
			continue
		}
		inFence := false
		for n, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inFence = !inFence
				continue
			}
			if inFence {
				continue
			}
			line = inlineCode.ReplaceAllString(line, "")
			var targets []string
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				targets = append(targets, m[1])
			}
			if m := mdRef.FindStringSubmatch(line); m != nil {
				targets = append(targets, m[1])
			}
			for _, target := range targets {
				if scheme.MatchString(target) {
					continue // a URL
				}
				file, frag, _ := strings.Cut(target, "#")
				resolved := name
				if file != "" {
					if strings.HasPrefix(file, "/") {
						t.Errorf("%s:%d: link %q is absolute; make it relative to the file", name, n+1, target)
						continue
					}
					resolved = path.Clean(path.Join(path.Dir(name), file))
					if resolved == ".." || strings.HasPrefix(resolved, "../") {
						t.Errorf("%s:%d: link %q leads outside the repository", name, n+1, target)
						continue
					}
					if !exists(resolved) {
						t.Errorf("%s:%d: link %q leads to %s, which does not exist", name, n+1, target, resolved)
						continue
					}
				}
				if a, ok := anchors[resolved]; ok && frag != "" && !a[frag] {
					t.Errorf("%s:%d: link %q names a section #%s that %s does not have", name, n+1, target, frag, resolved)
				}
			}
		}
	}
	for name, data := range files {
		for _, m := range docsMention.FindAllString(string(data), -1) {
			if !exists(m) {
				t.Errorf("%s mentions %s, which does not exist", name, m)
			}
		}
	}
}

// headingAnchors returns the anchors GitHub gives a Markdown file's
// headings: lower case, punctuation other than '-' and '_' dropped,
// spaces made '-', and -1, -2, ... added to repeats.
func headingAnchors(data []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			out[slug+"-"+itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// TestReadmeListsEveryDocsPage: the README's list of the reference (the
// paragraph that begins "The reference is in") links every page of
// docs/, so that a new page is not found only by chance.
func TestReadmeListsEveryDocsPage(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, list, ok := bytes.Cut(readme, []byte("The reference is in"))
	if !ok {
		t.Fatal(`README.md has no paragraph beginning "The reference is in"`)
	}
	list, _, _ = bytes.Cut(list, []byte("\n\n"))
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if !bytes.Contains(list, []byte("]("+p+")")) {
			t.Errorf("README.md's list of the reference does not link %s", p)
		}
	}
}
