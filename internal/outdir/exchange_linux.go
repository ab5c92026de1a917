package outdir

import "golang.org/x/sys/unix"

// exchange swaps two folders in one step (renameat2 RENAME_EXCHANGE), so
// that there is no moment without a folder at either name.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
