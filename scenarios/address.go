package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// isLeaf reports whether a field of type t holds one value (a scalar, a
// duration or a distribution) rather than a group of fields or a list.
func isLeaf(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t == durationType || t == distType || t == countType || t == boxNamesType || t == tuneKeysType || t == rangeType || t == marginType || t == retryType || (t.Kind() != reflect.Struct && t.Kind() != reflect.Slice)
}

// settable lists the names of the fields of struct type t that a key may
// name (everything but the sweep block).
func settable(t reflect.Type) []string {
	names, index := fieldsOf(t)
	return slices.DeleteFunc(names, func(n string) bool { return t.Field(index[n]).Type == sweepType })
}

// setKey puts val at key (dots, list items by name) in the document's
// root mapping, creating intermediate mappings that the file left out.
// The key is checked against the scenario schema, so an unknown key fails
// with the keys that exist at that point.
func setKey(root *yaml.Node, key string, val *yaml.Node) error {
	segs := strings.Split(key, ".")
	t := reflect.TypeFor[File]()
	cur := root
	for i, seg := range segs {
		here := strings.Join(segs[:i], ".")
		if here == "" {
			here = "the top level"
		}
		last := i == len(segs)-1
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case isLeaf(t):
			return fmt.Errorf("%s is a single value; it has no field %q", here, seg)
		case t == pathsType:
			i, err := strconv.Atoi(seg)
			if cur.Kind != yaml.SequenceNode || err != nil || i < 0 || i >= len(cur.Content) {
				return fmt.Errorf("%s has no item %q; its items are numbered from 0 to %d", here, seg, len(cur.Content)-1)
			}
			if last {
				return fmt.Errorf("%s names a whole item; add one of its fields: %s", key, strings.Join(settable(t.Elem()), ", "))
			}
			cur, t = cur.Content[i], t.Elem()
		case t.Kind() == reflect.Slice:
			item := findItem(cur, seg)
			if item == nil {
				return fmt.Errorf("%s has no item named %q; items: %s", here, seg, strings.Join(itemNames(cur), ", "))
			}
			if last {
				return fmt.Errorf("%s names a whole item; add one of its fields: %s", key,
					strings.Join(settable(t.Elem()), ", "))
			}
			cur, t = item, t.Elem()
		default:
			names := settable(t)
			_, index := fieldsOf(t)
			fi, ok := index[seg]
			if !ok || !slices.Contains(names, seg) {
				return fmt.Errorf("unknown key: %s has no field %q%s; fields there: %s",
					here, seg, didYouMean(seg, names), strings.Join(names, ", "))
			}
			ft := t.Field(fi).Type
			if cur.Kind != yaml.MappingNode {
				return fmt.Errorf("%s is not a mapping in the file", here)
			}
			if last {
				if !isLeaf(ft) {
					sub := ft
					for sub.Kind() == reflect.Pointer || sub.Kind() == reflect.Slice {
						sub = sub.Elem()
					}
					return fmt.Errorf("%s is a group of fields; name one of them: %s", key, strings.Join(settable(sub), ", "))
				}
				mapSet(cur, seg, val)
				return nil
			}
			child := mapGet(cur, seg)
			if child == nil {
				if ft.Kind() == reflect.Slice {
					return fmt.Errorf("the file has no %s", join(strings.Join(segs[:i], "."), seg))
				}
				child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				mapSet(cur, seg, child)
			}
			cur, t = child, ft
		}
	}
	return nil
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mapSet(m *yaml.Node, key string, val *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = val
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, val)
}

func findItem(seq *yaml.Node, name string) *yaml.Node {
	if seq.Kind != yaml.SequenceNode {
		return nil
	}
	for _, item := range seq.Content {
		if n, ok := itemName(item); ok && n == name {
			return item
		}
	}
	return nil
}

func itemNames(seq *yaml.Node) []string {
	var names []string
	for _, item := range seq.Content {
		if n, ok := itemName(item); ok {
			names = append(names, n)
		}
	}
	return names
}

// parseValue reads a command-line value as YAML, so that `300s`, `true`,
// `[1s, 2s]` and `{exponential: 10m}` all work.
func parseValue(text string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	}
	n, _, probs := unalias("", doc.Content[0]) // a flag's value may hold its own anchors
	if len(probs) > 0 {
		return nil, fmt.Errorf("%s", probs[0].Msg)
	}
	return n, nil
}

// cloneNode deep-copies a node tree (aliases keep pointing into the copy's
// original anchors, which is what decoding needs).
func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	return &c
}

// markOrigin records every node of a flag's value as coming from it.
func markOrigin(n *yaml.Node, flag string, origin map[*yaml.Node]string) {
	origin[n] = flag
	for _, k := range n.Content {
		markOrigin(k, flag, origin)
	}
}
