package prefetch

import "unsafe"

// Line hints that the cache line holding *p will be read soon.
func Line[T any](p *T) { line(unsafe.Pointer(p)) }
