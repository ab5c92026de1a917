package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/guard"
	"github.com/natsim/natsim/internal/sysres"
	"github.com/natsim/natsim/scenarios"
)

// flags makes the command's flag set; its help, from the command table,
// goes to stdout.
func (c command) flags(stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: natsim %s %s\n\n%s.\n", c.name, c.usage, capitalize(c.purpose))
		if c.note != "" {
			fmt.Fprintf(stdout, "\n%s\n", c.note)
		}
		fmt.Fprint(stdout, "\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// oneOrMore, as parseFlags' nargs, takes any number of arguments but none.
const oneOrMore = -1

// parseFlags parses args and checks that nargs arguments (or oneOrMore)
// remain and that --jobs, if the command has it, is at least 1; --help
// prints the usage and stops the command.
func parseFlags(fs *pflag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) { // pflag has printed the usage
			return errShown
		}
		return usageError{err.Error()}
	}
	switch {
	case nargs == oneOrMore && fs.NArg() == 0:
		return usagef("natsim %s takes one or more arguments", fs.Name())
	case nargs != oneOrMore && fs.NArg() != nargs:
		return usagef("natsim %s takes %d argument(s), got %d: %s", fs.Name(), nargs, fs.NArg(), strings.Join(fs.Args(), " "))
	}
	if jobs, err := fs.GetInt("jobs"); err == nil && jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	return nil
}

// jobsFlag registers --jobs: how many of what run in parallel.
func jobsFlag(fs *pflag.FlagSet, what string) *int {
	return fs.Int("jobs", runtime.NumCPU(), what+" in parallel on this many workers (results do not depend on it)")
}

// quietFlag registers --quiet.
func quietFlag(fs *pflag.FlagSet) *bool { return fs.Bool("quiet", false, "no progress on stderr") }

// forceFlag registers --force, for the commands that write --out.
func forceFlag(fs *pflag.FlagSet) *bool {
	return fs.Bool("force", false, "replace --out even if it is not natsim's output of this scenario")
}

// loadFlags are the flags that shape which scenario is loaded.
type loadFlags struct {
	sets         []string
	seed         uint64
	replications int
	maxMemory    string
	maxEvents    float64
	stderr       io.Writer // where the estimates of a large run go
	limit        int64     // the memory limit in force, once loaded
}

func (l *loadFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&l.sets, "set", nil, "override a field: KEY=VALUE, e.g. path.natgw.capacity=40000 (repeatable)")
	fs.Uint64Var(&l.seed, "seed", 0, "random seed (overrides the scenario's)")
	fs.IntVar(&l.replications, "replications", 0, "independent replications (overrides the scenario's)")
	fs.StringVar(&l.maxMemory, "max-memory", "", "refuse scenarios estimated to need more memory than this, e.g. 8GiB (default 75% of this machine or its cgroup)")
	fs.Float64Var(&l.maxEvents, "max-events", guard.DefaultMaxEvents, "refuse runs estimated to process more events than this (about an hour each at 1e11)")
}

// load reads the scenario with the flags' overrides applied and checks
// that it fits in memory.
func (l *loadFlags) load(fs *pflag.FlagSet, file string) (*scenarios.Scenario, error) {
	sets := append([]string(nil), l.sets...)
	if fs.Changed("seed") {
		sets = append(sets, "seed="+strconv.FormatUint(l.seed, 10))
	}
	if fs.Changed("replications") {
		sets = append(sets, "replications="+strconv.Itoa(l.replications))
	}
	sc, err := scenarios.Load(file, sets)
	if err != nil {
		return nil, err
	}
	if l.limit, err = memoryLimit(l.maxMemory); err != nil {
		return nil, err
	}
	if !(l.maxEvents > 0) {
		return nil, usagef("--max-events must be positive (got %v)", l.maxEvents)
	}
	return sc, nil
}

// plan holds every point of sc against the memory limit and --max-events
// on up to jobs workers, and returns the workers to use (see guard.Plan).
func (l *loadFlags) plan(sc *scenarios.Scenario, points []scenarios.Point, jobs int) (int, error) {
	return guard.Plan(sc, points, jobs, guard.Limits{Memory: l.limit, MaxEvents: l.maxEvents}, l.stderr, false)
}

// memoryLimit parses --max-memory, or returns 75% of the memory of this
// machine or its cgroup.
func memoryLimit(text string) (int64, error) {
	if text == "" {
		return sysres.MemoryLimit() * 3 / 4, nil
	}
	n, err := sysres.ParseSize(text)
	if err != nil {
		return 0, usagef("--max-memory: %v", err)
	}
	return n, nil
}
