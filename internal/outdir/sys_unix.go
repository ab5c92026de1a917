//go:build unix

package outdir

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

var errBusy = errors.New("locked")

// lock is an exclusive flock on a lock file beside the output folder.
type lock struct {
	f    *os.File
	path string
}

// tryLock takes the lock at path without waiting: errBusy, saying which
// process holds it, if another has it.
func tryLock(path string) (*lock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			holder, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w by process %s", errBusy, strings.TrimSpace(string(holder)))
			}
			return nil, err
		}
		// The holder before us may have removed the file after we opened
		// it: the lock is only ours if the name still leads to our file.
		var held, named unix.Stat_t
		if unix.Fstat(int(f.Fd()), &held) == nil && unix.Stat(path, &named) == nil && held.Ino == named.Ino && held.Dev == named.Dev {
			f.Truncate(0)
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			return &lock{f: f, path: path}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%w: the lock file keeps changing", errBusy)
}

// release removes the lock file and unlocks it.
func (l *lock) release() {
	if l == nil {
		return
	}
	os.Remove(l.path)
	l.f.Close()
}

// alive reports whether a process of this id exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
