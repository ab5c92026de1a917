package kernel

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// RunLab builds the plan's lab, drives every flow at once through it and
// returns what each client saw. The lab is removed whatever happens;
// logDir, if set, receives the lab's commands and its final conntrack
// table.
func RunLab(ctx context.Context, p *Plan, logDir string) ([]Seen, error) {
	if m := Missing(); len(m) > 0 {
		return nil, &MissingError{Missing: m}
	}
	if NeedsUserns() {
		return nil, &MissingError{Missing: []string{"root in this process: run natsim kernel-check, which enters a user namespace by itself, or run as root"}}
	}
	id := LabID(labCount.next())
	l, err := NewLab(id, p.Box)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	events, err := l.WatchNew(ctx)
	if err != nil {
		return nil, err
	}
	seen := make([]Seen, len(p.Flows))
	errs := make([]error, len(p.Flows))
	var wg sync.WaitGroup
	for i, f := range p.Flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen[i], errs[i] = runFlow(ctx, l, f, p.Window)
		}()
	}
	wg.Wait()
	// An entry made more than once for a flow (its own server port) that
	// survived was re-created on the way: on the same port a remap, on a
	// new one (which the server followed) a rebinding.
	made := events.stop()
	for i, f := range p.Flows {
		if seen[i].Alive {
			seen[i].Remapped, seen[i].Rebound = recreated(made[f.Port])
		}
	}
	if logDir != "" {
		err := os.WriteFile(filepath.Join(logDir, "lab-"+id+".log"), []byte(l.Log()+"\n# conntrack -L at the end\n"+l.Conntrack()), 0o644)
		if err != nil {
			errs = append(errs, fmt.Errorf("--keep-logs: %w", err))
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return seen, nil
}

// labCount numbers the labs of one process, so that their names differ.
var labCount counter

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) next() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

// MissingError says what the machine lacks to build a lab.
type MissingError struct{ Missing []string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("kernel-check cannot build its lab here:\n  - %s", joinLines(e.Missing))
}
