//go:build !linux

package kernel

import (
	"context"
	"io"
	"runtime"
)

// Missing says that kernel-check needs Linux.
func Missing() []string {
	return []string{"Linux: kernel-check builds its NAT from Linux namespaces (this is " + runtime.GOOS + ")"}
}

// RunLab fails: there is no Linux kernel to check against.
func RunLab(ctx context.Context, p *Plan, logDir string) ([]Seen, error) {
	return nil, &MissingError{Missing: Missing()}
}

// MissingError says what the machine lacks to build a lab.
type MissingError struct{ Missing []string }

func (e *MissingError) Error() string {
	return "kernel-check cannot build its lab here:\n  - " + joinLines(e.Missing)
}

// NeedsUserns is false: there are no labs to build off Linux.
func NeedsUserns() bool { return false }

// RunInUserns fails off Linux.
func RunInUserns(args []string, stdout, stderr io.Writer) (int, error) {
	return 0, &MissingError{Missing: Missing()}
}

// Cleanup has nothing to remove off Linux.
func Cleanup(w io.Writer) (int, error) { return 0, nil }
