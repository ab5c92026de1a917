package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxAliasValues bounds the values that aliases add to a document, so
// that nested aliases (a "billion laughs") cannot take the memory.
const maxAliasValues = 100000

// aliasUse is how an alias was written, for messages about its copy.
type aliasUse struct {
	name      string // the anchor's name
	line, col int    // where the anchored value is written
}

func (a aliasUse) describe(value string) string {
	return fmt.Sprintf("*%s, an alias to %s at %d:%d", a.name, value, a.line, a.col)
}

// unalias returns a copy of the document tree in which every alias is
// replaced by a copy of its anchor's value and every merge key (<<) is
// resolved as the YAML merge key type says: the mapping gets the merged
// mappings' keys that it does not give itself, an earlier mapping of a
// list winning over a later one. The decoder then sees plain values,
// checked like any other. Each alias's copy is placed at the alias, the
// values inside it where they are written; via maps the copies to the
// aliases, so that a value that does not fit says it came from one.
func unalias(file string, root *yaml.Node) (*yaml.Node, map[*yaml.Node]aliasUse, Problems) {
	u := &unaliaser{file: file, via: map[*yaml.Node]aliasUse{}, open: map[*yaml.Node]bool{}}
	out := u.copy(root, false)
	return out, u.via, u.probs
}

type unaliaser struct {
	file   string
	via    map[*yaml.Node]aliasUse
	open   map[*yaml.Node]bool // the nodes being copied: an alias to one is a cycle
	added  int                 // values copied through aliases
	probs  Problems
	tooBig bool
}

func (u *unaliaser) fail(n *yaml.Node, msg, value string) {
	u.probs = append(u.probs, Problem{File: u.file, Line: n.Line, Col: n.Column, Msg: msg, Value: value})
}

// copy copies n; inAlias counts the values it adds against the bound.
func (u *unaliaser) copy(n *yaml.Node, inAlias bool) *yaml.Node {
	if inAlias {
		if u.added++; u.added > maxAliasValues {
			if !u.tooBig {
				u.tooBig = true
				u.fail(n, fmt.Sprintf("aliases add more than %d values to the file, the most natsim takes", maxAliasValues), "")
			}
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		}
	}
	if n.Kind == yaml.AliasNode {
		return u.alias(n)
	}
	u.open[n] = true
	defer delete(u.open, n)
	c := *n
	c.Anchor = ""
	c.Content = nil
	if n.Kind == yaml.MappingNode {
		c.Content = u.mapping(n, inAlias)
		return &c
	}
	for _, k := range n.Content {
		c.Content = append(c.Content, u.copy(k, inAlias))
	}
	return &c
}

// alias copies the value an alias names, placed at the alias.
func (u *unaliaser) alias(n *yaml.Node) *yaml.Node {
	target := n.Alias
	if target == nil || u.open[target] {
		u.fail(n, fmt.Sprintf("alias *%s is inside the value it names (&%s), which would repeat forever", n.Value, n.Value), "")
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
	c := u.copy(target, true)
	c.Line, c.Column = n.Line, n.Column
	u.via[c] = aliasUse{name: n.Value, line: target.Line, col: target.Column}
	return c
}

// mapping copies a mapping's pairs, resolving its merge keys.
func (u *unaliaser) mapping(n *yaml.Node, inAlias bool) []*yaml.Node {
	own := map[string]bool{} // keys the mapping gives itself win over merged ones
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !isMerge(k) {
			own[k.Value] = true
		}
	}
	merged := map[string]bool{}
	var out []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMerge(k) {
			out = append(out, u.copy(k, inAlias), u.copy(v, inAlias))
			continue
		}
		before := len(u.probs)
		val := u.copy(v, inAlias)
		if len(u.probs) > before {
			continue // a broken alias, reported
		}
		sources := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			sources = val.Content
		}
		for _, src := range sources {
			if src.Kind != yaml.MappingNode {
				u.fail(src, "a merge key (<<) takes a mapping, an alias to one, or a list of them", u.shown(src))
				continue
			}
			for j := 0; j+1 < len(src.Content); j += 2 {
				mk := src.Content[j].Value
				if own[mk] || merged[mk] {
					continue
				}
				merged[mk] = true
				out = append(out, src.Content[j], src.Content[j+1])
			}
		}
	}
	return out
}

// isMerge tells a merge key (a plain <<) from a quoted "<<".
func isMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" }

// shown is how a node is quoted, saying which alias it came from.
func (u *unaliaser) shown(n *yaml.Node) string {
	if a, ok := u.via[n]; ok {
		return a.describe(shown(n))
	}
	return shown(n)
}

var unknownAnchor = regexp.MustCompile(`unknown anchor '(.*)' referenced`)

// anchorProblem explains yaml's "unknown anchor" error, which has no
// position: it finds the alias in the text and says whether its anchor
// comes later (an anchor must come before its aliases) or is not there.
func anchorProblem(file string, data []byte, err error) (Problem, bool) {
	m := unknownAnchor.FindStringSubmatch(err.Error())
	if m == nil {
		return Problem{}, false
	}
	name := m[1]
	p := Problem{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("alias *%s names no anchor: define it first with &%s", name, name)}
	text := string(data)
	use := findMark(text, "*"+name)
	if use >= 0 {
		p.Line, p.Col = position(text, use)
	}
	if def := findMark(text, "&"+name); def > use && use >= 0 {
		l, c := position(text, def)
		p.Msg = fmt.Sprintf("alias *%s comes before its anchor &%s at %d:%d; an anchor must come first", name, name, l, c)
	} else if names := anchorNames(text); len(names) > 0 {
		p.Msg += didYouMean(name, names) + "; anchors: " + strings.Join(names, ", ")
	}
	return p, true
}

// findMark finds *NAME or &NAME as a whole token in text, or -1.
func findMark(text, mark string) int {
	for from := 0; ; {
		i := strings.Index(text[from:], mark)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(mark)
		before := i == 0 || strings.ContainsRune(" \t\n[{,:-", rune(text[i-1]))
		after := end == len(text) || strings.ContainsRune(" \t\r\n]},", rune(text[end]))
		if before && after {
			return i
		}
		from = i + 1
	}
}

var anchorDef = regexp.MustCompile(`(?:^|[\s\[{,:-])&([^\s\[\]{},]+)`)

// anchorNames lists the anchors defined in text, in order, once each.
func anchorNames(text string) []string {
	var out []string
	for _, m := range anchorDef.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// position is the 1-based line and column of byte offset i.
func position(text string, i int) (line, col int) {
	line = 1 + strings.Count(text[:i], "\n")
	return line, i - strings.LastIndexByte(text[:i], '\n')
}
