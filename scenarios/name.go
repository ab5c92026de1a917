package scenarios

import (
	"fmt"
	"strconv"
)

// MaxNameLen is the longest scenario name: the name becomes part of a
// folder name (natsim-out/NAME-TIMESTAMP), so it is kept well below a file
// system's 255 bytes.
const MaxNameLen = 100

// NameProblem says what is wrong with a scenario name, or "" when it is a
// plain name: letters, digits, '.', '_' and '-', not starting with '.',
// at most MaxNameLen bytes. Anything else (a '/', "..", a space, a
// newline or a NUL) could make the default output folder a path
// elsewhere, or an unreadable one.
func NameProblem(name string) string {
	switch {
	case name == "":
		return "is required"
	case len(name) > MaxNameLen:
		return fmt.Sprintf("is longer than %d bytes", MaxNameLen)
	case name[0] == '.':
		return "must not start with '.'"
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Sprintf("may hold only letters, digits, '.', '_' and '-' (%q at byte %d)", rune(name[i]), i)
		}
	}
	return ""
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// SafeName returns name with every byte that NameProblem refuses replaced
// by '_', leading dots replaced too, and cut to MaxNameLen: a name that
// is safe as one path element, whatever it was given.
func SafeName(name string) string {
	b := []byte(name)
	if len(b) > MaxNameLen {
		b = b[:MaxNameLen]
	}
	for i, c := range b {
		if !nameByte(c) || c == '.' && i == 0 {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "scenario"
	}
	return string(b)
}

// quotedName shows a name in a message, cut if it is long.
func quotedName(name string) string {
	if len(name) > 2*MaxNameLen {
		return strconv.Quote(name[:2*MaxNameLen]) + "..."
	}
	return strconv.Quote(name)
}

// DidYouMean is " (did you mean "X"?)" for the known name closest to
// name, if one is close (as the scenario errors suggest), else "": for
// the command line's names, such as a group given to natsim explain.
func DidYouMean(name string, known []string) string { return didYouMean(name, known) }
