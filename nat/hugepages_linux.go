package nat

import (
	"syscall"
	"unsafe"
)

// hugePages advises the kernel to back the array under s with
// transparent huge pages (MADV_HUGEPAGE, then MADV_COLLAPSE for pages
// already touched): a million clients' entries are read at random, and
// with 4 KiB pages nearly every read also misses the TLB. Advice only:
// refused where huge pages are off, it changes nothing but speed. (The
// engine's arrays get the same from internal/prefetch, which nat, on the
// standard library alone, does not import.)
func hugePages[T any](s []T) {
	if cap(s) == 0 {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s))
	size := uintptr(cap(s)) * unsafe.Sizeof(*unsafe.SliceData(s))
	skip := -uintptr(base) & (2<<20 - 1) // to the first 2 MiB boundary
	if size < skip {
		return
	}
	whole := (size - skip) &^ (2<<20 - 1)
	if whole == 0 {
		return
	}
	mem := unsafe.Slice((*byte)(unsafe.Add(base, skip)), whole)
	_ = syscall.Madvise(mem, 14) // MADV_HUGEPAGE
	_ = syscall.Madvise(mem, 25) // MADV_COLLAPSE
}
