package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/guard"
	"github.com/natsim/natsim/internal/sysres"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/scenarios"
)

// flags makes the command's flag set; its help, from the command table,
// goes to stdout.
func (c command) flags(stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() { c.writeHelp(stdout, fs) }
	return fs
}

// writeHelp prints natsim NAME --help: the purpose, the usage with every
// flag, the note, two examples and the flags.
func (c command) writeHelp(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "%s.\n\nUsage:\n", capitalize(c.purpose))
	for _, line := range wrapUsage("natsim "+c.name+" "+c.usage, 78) {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if c.note != "" {
		fmt.Fprintf(w, "\n%s\n", c.note)
	}
	if len(c.examples) > 0 {
		fmt.Fprint(w, "\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  # %s\n  %s\n", e.what, e.line)
		}
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// wrapUsage breaks a usage line into lines of at most width characters
// (the first; the others are indented by 4), only at spaces outside
// brackets and parentheses, so that "[--out DIR]" stays whole.
func wrapUsage(usage string, width int) []string {
	var words []string
	depth, start := 0, 0
	for i, r := range usage {
		switch r {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case ' ':
			if depth == 0 {
				words = append(words, usage[start:i])
				start = i + 1
			}
		}
	}
	words = append(words, usage[start:])
	lines := []string{words[0]}
	for _, word := range words[1:] {
		last := &lines[len(lines)-1]
		if len(*last)+1+len(word) > width {
			lines = append(lines, "    "+word)
		} else {
			*last += " " + word
		}
	}
	return lines
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// oneOrMore, as parseFlags' nargs, takes any number of arguments but none.
const oneOrMore = -1

// parseFlags parses args and checks that nargs arguments (or oneOrMore)
// remain and that --jobs, if the command has it, is at least 1; --help
// prints the usage and stops the command.
func parseFlags(fs *pflag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	usage := "natsim " + fs.Name()
	what := "arguments"
	if c, ok := commandNamed(fs.Name()); ok {
		usage += " " + c.synopsis
		what = strings.Fields(c.synopsis)[0]
	}
	switch got := strings.Join(fs.Args(), " "); {
	case nargs != 0 && fs.NArg() == 0:
		return usagef("missing %s: %s", what, usage)
	case nargs == 0 && fs.NArg() > 0:
		return usagef("natsim %s takes no arguments (got %s)", fs.Name(), got)
	case nargs > 0 && fs.NArg() > nargs:
		return usagef("too many arguments: %s (got %s)", usage, got)
	}
	if jobs, err := fs.GetInt("jobs"); err == nil && jobs < 1 {
		return usagef("--jobs must be at least 1 (got %d)", jobs)
	}
	return nil
}

// commandNamed finds a row of the command table.
func commandNamed(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// flagError says what was wrong with a flag in natsim's words (pflag's
// speak of strconv); --help, which pflag has printed, stops the command.
func flagError(fs *pflag.FlagSet, err error) error {
	var unknown *pflag.NotExistError
	var invalid *pflag.InvalidValueError
	var noValue *pflag.ValueRequiredError
	switch {
	case errors.Is(err, pflag.ErrHelp):
		return errShown
	case errors.As(err, &unknown):
		name := "--" + unknown.GetSpecifiedName()
		if group := unknown.GetSpecifiedShortnames(); group != "" { // -seed: a long flag with one dash?
			name = "-" + group
		}
		return usagef("unknown flag %s%s", name, scenarios.DidYouMean("--"+strings.TrimLeft(name, "-"), flagNames(fs)))
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return usagef("--%s must be %s (got %q)", f.Name, valueKind(f.Value.Type()), invalid.GetValue())
	case errors.As(err, &noValue):
		f := noValue.GetFlag()
		return usagef("--%s needs a value (%s)", f.Name, valueKind(f.Value.Type()))
	}
	return usageError{msg: err.Error()}
}

// flagNames are the command's flags as they are typed, for "did you mean".
func flagNames(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, "--"+f.Name)
		}
	})
	return names
}

// valueKind says what a flag of a pflag type takes.
func valueKind(typ string) string {
	switch typ {
	case "int":
		return "a whole number"
	case "uint64":
		return "a whole number, 0 or more"
	case "float64":
		return "a number"
	case "duration":
		return "a duration with a unit, such as 30s, 4m or 2h"
	case "bool":
		return "true or false"
	}
	return "a " + typ
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
	targets      []string  // --target flags, for the commands that take them
	sample       float64   // --sample, for the commands that take it
	salt         uint64    // --salt
}

// registerSample adds --sample and --salt to the commands that run a
// scenario's clients (run, sweep, advise) and to check, which gives the
// sampled run's estimates: they set sampling.fraction and sampling.salt.
func (l *loadFlags) registerSample(fs *pflag.FlagSet) {
	fs.Float64Var(&l.sample, "sample", 0, "simulate this fraction of each group's clients, chosen by hash, with shared capacities scaled to match (sets sampling.fraction; see docs/sampling.md)")
	fs.Uint64Var(&l.salt, "salt", 0, "which clients --sample chooses: each salt is an independent sample (sets sampling.salt)")
}

// registerTarget adds --target to the commands that judge a target.
func (l *loadFlags) registerTarget(fs *pflag.FlagSet) {
	fs.StringArrayVar(&l.targets, "target", nil, "set or override a limit of the target: METRIC<=X, e.g. breaks_per_1000_client_hours<=1, or confidence=C (repeatable)")
}

func (l *loadFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&l.sets, "set", nil, "override a field: KEY=VALUE, e.g. path.natgw.capacity=40000 (repeatable)")
	fs.Uint64Var(&l.seed, "seed", 0, "random seed (overrides the scenario's)")
	fs.IntVar(&l.replications, "replications", 0, "independent replications (overrides the scenario's)")
	fs.StringVar(&l.maxMemory, "max-memory", "", "refuse scenarios estimated to need more memory than this, e.g. 8GiB (default 75% of this machine or its cgroup)")
	fs.Float64Var(&l.maxEvents, "max-events", guard.DefaultMaxEvents, "refuse runs estimated to process more events than this (about an hour each at 1e11)")
}

// stdinFile is the FILE that names standard input, and stdinName its
// name in messages.
const (
	stdinFile = "-"
	stdinName = "<stdin>"
)

// stdin is where FILE - is read from; tests replace it.
var stdin io.Reader = os.Stdin

// override is a flag that sets a field: --set, --seed, --replications,
// --sample, --salt or --target.
type override struct {
	flag string // as typed: "--set K=V", "--seed N"
	set  string // KEY=VALUE
}

// overrides lists the flags that set fields, in the order they apply.
func (l *loadFlags) overrides(fs *pflag.FlagSet) []override {
	var out []override
	for _, kv := range l.sets {
		out = append(out, override{"--set " + kv, kv})
	}
	if fs.Changed("seed") {
		s := strconv.FormatUint(l.seed, 10)
		out = append(out, override{"--seed " + s, "seed=" + s})
	}
	if fs.Changed("replications") {
		r := strconv.Itoa(l.replications)
		out = append(out, override{"--replications " + r, "replications=" + r})
	}
	if fs.Lookup("sample") != nil && fs.Changed("sample") {
		r := strconv.FormatFloat(l.sample, 'g', -1, 64)
		out = append(out, override{"--sample " + r, "sampling.fraction=" + r})
	}
	if fs.Lookup("salt") != nil && fs.Changed("salt") {
		s := strconv.FormatUint(l.salt, 10)
		out = append(out, override{"--salt " + s, "sampling.salt=" + s})
	}
	for _, f := range l.targets {
		if key, value, err := target.FlagSet(f); err == nil { // load has refused the others
			out = append(out, override{"--target " + f, key + "=" + value})
		}
	}
	return out
}

// load reads the scenario (from standard input if file is -) with the
// flags' overrides applied and checks that it fits in memory.
func (l *loadFlags) load(fs *pflag.FlagSet, file string) (*scenarios.Scenario, error) {
	var bad []error
	for _, f := range l.targets {
		if _, _, err := target.FlagSet(f); err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		return nil, usagef("%v", errors.Join(bad...))
	}
	var sets []string
	for _, o := range l.overrides(fs) {
		sets = append(sets, o.set)
	}
	var sc *scenarios.Scenario
	var err error
	if file == stdinFile {
		sc, err = scenarios.Read(stdinName, stdin, sets)
	} else {
		sc, err = scenarios.Load(file, sets)
	}
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

// paramFlag registers --param, the keys to sweep beside the file's
// sweep: block.
func paramFlag(fs *pflag.FlagSet) *[]string {
	return fs.StringArray("param", nil, "sweep a field: KEY=V1,V2,... or KEY=A..B:log10 or KEY=A..B:lin6; keys joined by ';' move together (repeatable; replaces the file's sweep of those keys)")
}

// sweepPoints loads the scenario named by the command's argument with
// the --param flags' keys, refuses a flag that sets a swept key, expands
// every point and holds them against the limits on up to workers
// workers (check and sweep alike). It returns the workers to use.
func (lf *loadFlags) sweepPoints(fs *pflag.FlagSet, params []string, workers int) (*scenarios.Scenario, scenarios.Sweep, []scenarios.Point, int, error) {
	keys, err := sweepKeys(params)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	sc, err := lf.load(fs, fs.Arg(0))
	if err != nil {
		return nil, nil, nil, 0, err
	}
	if err := lf.sweptOverrides(fs, sc, params, keys); err != nil {
		return nil, nil, nil, 0, err
	}
	points, err := sc.Points(keys)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	lf.warn(sc.PointWarnings(points))
	if workers, err = lf.plan(sc, points, workers); err != nil {
		return nil, nil, nil, 0, err
	}
	return sc, keys, points, workers, nil
}

// warn prints warnings (scenarios.Scenario.Warnings) on stderr, one a
// line: what is legal but probably a mistake, so never silenced.
func (lf *loadFlags) warn(msgs []string) {
	for _, m := range msgs {
		fmt.Fprintln(lf.stderr, m)
	}
}

// sweepKeys reads the --param flags; every bad one is reported at once.
func sweepKeys(params []string) (scenarios.Sweep, error) {
	var keys scenarios.Sweep
	var probs scenarios.Problems
	for _, p := range params {
		k, err := scenarios.ParseParam(p)
		if err != nil {
			probs = append(probs, err.(scenarios.Problems)...)
			continue
		}
		keys = append(keys, k...)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return keys, nil
}

// sweptOverrides refuses a flag that sets a field the sweep varies (the
// file's sweep: block or a --param): at every point the swept value would
// replace it, and the flag would be silently ignored. A key also overlaps
// its parts and the groups that hold it (path.nat and path.nat.capacity).
func (l *loadFlags) sweptOverrides(fs *pflag.FlagSet, sc *scenarios.Scenario, params []string, keys scenarios.Sweep) error {
	var probs scenarios.Problems
	for _, o := range l.overrides(fs) {
		key, _, _ := strings.Cut(o.set, "=")
		for _, k := range sc.Keys(keys) {
			if !overlaps(key, k.Key) {
				continue
			}
			by := "the sweep: block of " + sc.File
			if i := slices.IndexFunc(keys, func(p scenarios.SweepKey) bool { return p.Key == k.Key }); i >= 0 {
				by = "--param " + params[i]
			}
			probs = append(probs, scenarios.Problem{Flag: o.flag, Msg: fmt.Sprintf(
				"%s also varies %s, whose values would replace this one at every point: give one or the other", by, k.Key)})
		}
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}

// overlaps reports whether two keys name the same field, or one holds
// the other.
func overlaps(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")
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
