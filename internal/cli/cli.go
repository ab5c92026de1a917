package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/kernel"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// command is a row of the command table: natsim NAME.
type command struct {
	name     string
	synopsis string // the arguments in short, for natsim --help
	purpose  string // one line, for natsim --help and the command's help
	usage    string // the arguments in full, for the command's help
	note     string // more for the command's help, or ""
	run      func(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error
}

// commands is the command table, in the order of natsim --help. A new
// command is a file with its function and a row here.
var commands = []command{
	{name: "run", synopsis: "FILE [flags]", purpose: "run a scenario and print its results",
		usage: "FILE [--set K=V]... [--seed N] [--replications N] [--json] [--out DIR] [--timeseries] [--charts]",
		note:  runNote, run: cmdRun},
	{name: "sweep", synopsis: "FILE [flags]", purpose: "run a scenario over swept values; CSV, JSON, charts, report",
		usage: "FILE [--param K=V1,V2,...]... [--set K=V]... [--replications N] [--jobs N] [--out DIR] [--charts] [--report]",
		run:   cmdSweep},
	{name: "plot", synopsis: "DIR --chart NAME", purpose: "draw one chart from a sweep's output",
		usage: "DIR|sweep.json --chart NAME [--out FILE.png|.svg|.pdf]", run: cmdPlot},
	{name: "init", synopsis: "NAME | --list", purpose: "print a commented starter scenario to edit",
		usage: "NAME | --list", note: initNote, run: cmdInit},
	{name: "check", synopsis: "FILE [flags]", purpose: "validate a scenario without running it",
		usage: "FILE [--set K=V]...", run: cmdCheck},
	{name: "explain", synopsis: "FILE --group G --client N", purpose: "tell one connection's life in a run, step by step",
		usage: "FILE (--group G --client N | --first-break [--group G]) [--set K=V]... [--seed N] [--max-memory SIZE] [--max-events N]",
		note:  explainNote, run: cmdExplain},
	{name: "presets", synopsis: "[NAME]", purpose: "list the middlebox presets, or show one in full with its sources",
		usage: "[NAME] [--notes] [--json]", note: presetsNote, run: cmdPresets},
	{name: "validate", synopsis: "[--full]", purpose: "hold the simulator against closed-form results",
		usage: "[--full] [--markdown] [--jobs N]", run: cmdValidate},
	{name: "bench", synopsis: "[--clients N]", purpose: "measure speed and memory on the reference workload",
		usage: "[--clients N] [--duration D] [--busy] [--json] [--quiet]", run: cmdBench},
	{name: "kernel-check", synopsis: "FILE...", purpose: "hold the simulator against a real Linux NAT (root)",
		usage: "FILE... [--middlebox NAME] [--time-scale F] [--flows N] [--keep-logs DIR] | kernel-check --cleanup",
		run:   cmdKernelCheck},
}

const helpIntro = `natsim simulates NAT and middlebox connection tables traversed by
long-lived connections: will they survive, and what is the cheapest
keepalive that keeps them alive?

Usage:
`

const helpOutro = `
Run 'natsim COMMAND --help' for a command's flags. Scenario format:
docs/scenario-format.md; the model and its metrics: docs/model.md.
`

// writeHelp prints natsim --help, from the command table.
func writeHelp(w io.Writer) {
	io.WriteString(w, helpIntro)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  natsim %s\t%s\n", strings.TrimSpace(c.name+" "+c.synopsis), c.purpose)
	}
	fmt.Fprintf(tw, "  natsim --version\tprint the version\n")
	tw.Flush()
	io.WriteString(w, helpOutro)
}

// signals interrupt natsim: the first cancels the context, a second quits
// at once.
var signals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// Main is natsim with its arguments and output streams: it runs the
// command until it ends or a signal interrupts it, prints its error, and
// returns the exit status. After a first signal the command finishes up
// (a sweep writes the points done); a second one makes Main return at
// once, with the output folders being written removed.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, signals...)
	defer stop()
	seen := make(chan os.Signal, 2) // the same signals, counted
	signal.Notify(seen, signals...)
	defer signal.Stop(seen)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	var err error
wait:
	for n := 1; ; n++ {
		select {
		case err = <-done:
			break wait
		case <-seen:
			if n == 2 { // quit at once, leaving no half-built folder
				outdir.AbortAll()
				return exitCode(errInterrupted)
			}
		}
	}
	var es exitStatus
	if err != nil && !errors.Is(err, errShown) && !errors.As(err, &es) {
		fmt.Fprintln(stderr, "natsim: "+strings.ReplaceAll(err.Error(), "\n", "\nnatsim: "))
	}
	return exitCode(err)
}

// run runs the command in args; tests call it. A write to stdout that
// fails (a full disk, say) fails the command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	out := &checkedWriter{w: stdout}
	err := dispatch(ctx, args, out, stderr)
	if (err == nil || errors.Is(err, errShown)) && out.err != nil {
		err = fmt.Errorf("writing the output: %w", out.err)
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		writeHelp(stderr)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "--version", "version":
		fmt.Fprintln(stdout, "natsim", sim.Version)
		return nil
	case "-h", "--help", "help":
		writeHelp(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, c.flags(stdout), args[1:], stdout, stderr)
		}
	}
	return usagef("unknown command %q", args[0])
}

// exitStatus is the exit status of a natsim run again in a user
// namespace, which has printed its own messages.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + " (see natsim --help)" }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errShown is returned when the message was already printed (help).
var errShown = errors.New("shown")

// errInterrupted is a command stopped by a signal: exit status 130. A
// sweep has written the points done by then.
var errInterrupted = errors.New("interrupted")

// exitCode maps a command's error to natsim's exit status; it is the only
// place that does.
func exitCode(err error) int {
	var es exitStatus
	if errors.As(err, &es) {
		return int(es) // 0 when the re-run succeeded
	}
	var ue usageError
	var ps scenarios.Problems
	var missing *kernel.MissingError
	var badOut *outdir.BadError
	switch {
	case err == nil || errors.Is(err, errShown):
		return 0
	case errors.As(err, &ue), errors.As(err, &ps), errors.As(err, &missing), errors.As(err, &badOut):
		return 2
	case errors.Is(err, errInterrupted):
		return 130
	default:
		return 1
	}
}
