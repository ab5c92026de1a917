package prefetch

import (
	"syscall"
	"unsafe"
)

// HugePages asks the kernel to back the array under s (to its capacity)
// with transparent huge pages: madvise MADV_HUGEPAGE for the pages not
// yet touched, then MADV_COLLAPSE for those that are. A big run's
// accesses land at random across arrays of hundreds of megabytes, and
// with 4 KiB pages nearly each one also misses the TLB; with 2 MiB pages
// it mostly does not. It is advice: a kernel without transparent huge
// pages, or set to never, refuses it, and nothing changes but speed.
func HugePages[T any](s []T) {
	const huge = 2 << 20
	if cap(s) == 0 {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s))
	start := uintptr(base)
	end := start + uintptr(cap(s))*unsafe.Sizeof(*unsafe.SliceData(s))
	lo, hi := (start+huge-1)&^(huge-1), end&^(huge-1)
	if hi <= lo {
		return // no whole huge page inside
	}
	mem := unsafe.Slice((*byte)(unsafe.Add(base, lo-start)), hi-lo)
	_ = syscall.Madvise(mem, madvHugePage)
	_ = syscall.Madvise(mem, madvCollapse)
}

// The advice values of Linux's mman-common.h (syscall has the first only
// on some architectures, and neither for every kernel).
const (
	madvHugePage = 14
	madvCollapse = 25
)
