// Package crashpoint kills the process at a named point, for tests that
// check what a crash (kill -9, a power cut) leaves behind. It does
// nothing unless NATSIM_CRASH_AT=NAME or NAME:N (the N-th time NAME is
// reached, from 1) is in the environment.
package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

var (
	once  sync.Once
	name  string
	nth   int
	mu    sync.Mutex
	count int
)

// Here kills the process with SIGKILL if this is the point, and the time,
// that NATSIM_CRASH_AT names.
func Here(point string) {
	once.Do(func() {
		spec := os.Getenv("NATSIM_CRASH_AT")
		name, nth = spec, 1
		if n, c, ok := strings.Cut(spec, ":"); ok {
			name = n
			nth, _ = strconv.Atoi(c)
		}
	})
	if name == "" || point != name {
		return
	}
	mu.Lock()
	count++
	hit := count == nth
	mu.Unlock()
	if hit {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Kill() // SIGKILL on unix
		}
		select {} // the signal is on its way
	}
}
