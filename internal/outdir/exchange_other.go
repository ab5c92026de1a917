//go:build !linux

package outdir

import "errors"

// exchange is not available here: Commit moves the old folder aside
// first.
func exchange(a, b string) error { return errors.New("no atomic exchange") }
