package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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
	usage    string // the arguments and every flag, for the command's help
	note     string // more for the command's help, or ""
	examples []example
	run      func(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error
}

// example is a command line of a command's help, with what it does. Two
// per command; a test parses each with the command's flags.
type example struct{ what, line string }

// commands is the command table, in the order of natsim --help. A new
// command is a file with its function and a row here. It is filled by
// init because the commands' help and messages read it.
var commands []command

func init() { commands = commandTable() }

func commandTable() []command {
	return []command{
		{name: "run", synopsis: "FILE [flags]", purpose: "run a scenario and print its results",
			usage: "FILE [--set K=V]... [--target METRIC<=X]... [--seed N] [--replications N] [--sample R [--salt S]] [--json] [--out DIR [--timeseries] [--charts] [--force]] " +
				"[--timing] [--verbose] [--jobs N] [--quiet] [--max-memory SIZE] [--max-events N]",
			note: runNote, run: cmdRun, examples: []example{
				{"the Azure example as written, as a table", "natsim run scenarios/azure-lb-linux-default-keepalive.yaml"},
				{"five replications with a bigger table, as JSON, with the run's files and charts",
					"natsim run scenarios/lru-cyclic-collapse.yaml --set path.small-nat.capacity=12000 --replications 5 --json --out lru --charts"},
			}},
		{name: "sweep", synopsis: "FILE [flags]", purpose: "run a scenario over swept values; CSV, JSON, charts, report",
			usage: "FILE [--param K=V1,V2,...]... [--set K=V]... [--target METRIC<=X]... [--seed N] [--replications N] [--sample R [--salt S]] [--out DIR] [--force] " +
				"[--charts] [--format png|svg|pdf] [--report] [--shard I/N|env [--shards N]] [--jobs N] [--quiet] [--max-memory SIZE] [--max-events N]",
			note: sweepNote, run: cmdSweep, examples: []example{
				{"the sweep: block of the file, with charts and report.md", "natsim sweep scenarios/cellular-cgnat-push.yaml --report"},
				{"a sweep of the command line's own: six keepalive idle times from 1m to 10m, log-spaced",
					"natsim sweep scenarios/azure-lb-linux-default-keepalive.yaml --param clients.svc.keepalive.idle=1m..10m:log6 --out azure-idle --charts"},
			}},
		{name: "advise", synopsis: "FILE [flags]", purpose: "find the cheapest keepalive setting that meets the target",
			usage: "FILE [--tune KEY=A..B] [--target METRIC<=X]... [--cost METRIC] [--compare tcp,app,server-app] [--budget N|DURATION] " +
				"[--set K=V]... [--seed N] [--sample R [--salt S]] [--json] [--out DIR [--force]] [--timing] [--jobs N] [--quiet] [--max-memory SIZE] [--max-events N]",
			note: adviseNote, run: cmdAdvise, examples: []example{
				{"the app heartbeat for cellular and home users that breaks at most 1 in 1000 client-hours",
					"natsim advise scenarios/mobile-users-cellular-and-home.yaml"},
				{"TCP keepalive, app and server heartbeats compared, minimising radio wake-ups",
					"natsim advise scenarios/tcp-vs-app-keepalive-4min.yaml --compare tcp,app,server-app --cost keepalive_packets_per_client_hour"},
			}},
		{name: "merge", synopsis: "--out DIR SHARD_DIR...", purpose: "put the shards of a sweep together into the sweep's files",
			usage: "--out DIR [--force] SHARD_DIR...", note: mergeNote, run: cmdMerge, examples: []example{
				{"merge the shards of an array job", "natsim merge --out azure/merged azure/shard-0 azure/shard-1 azure/shard-2"},
				{"the same with the shell's glob, replacing an older merge", "natsim merge --out azure/merged --force azure/shard-*"},
			}},
		{name: "status", synopsis: "SHARD_DIR...", purpose: "list the finished, failed and missing runs of a sharded sweep",
			usage: "SHARD_DIR...", note: statusNote, run: cmdStatus, examples: []example{
				{"where the shards of an array job stand, and what to run again", "natsim status azure/shard-*"},
				{"one shard's folder", "natsim status azure/shard-2"},
			}},
		{name: "jobs", synopsis: "FILE --engine E --shards N --out DIR", purpose: "write the job files that run a sweep on Slurm, Kubernetes or AWS Batch",
			usage: "FILE --engine slurm|kubernetes|aws-batch --shards N --out DIR [--param K=V1,V2,...]... [--set K=V]... [--seed N] [--replications N] " +
				"[--name NAME] [--cpus N] [--memory SIZE] [--natsim PATH] [--partition P] [--data DIR] [--image IMAGE] [--namespace NS] [--claim PVC] " +
				"[--parallelism N] [--queue Q] [--efs FS-ID] [--force] [--max-memory SIZE] [--max-events N]",
			note: jobsNote, run: cmdJobs, examples: []example{
				{"a Slurm array of 8 tasks of 4 CPUs each, its merge and submit.sh", "natsim jobs scenarios/cellular-cgnat-push.yaml --engine slurm --shards 8 --cpus 4 --out cgnat-jobs"},
				{"a Kubernetes Indexed Job of 16 pods, 4 at once, and its merge Job",
					"natsim jobs scenarios/aws-nat-gateway-grpc.yaml --engine kubernetes --shards 16 --parallelism 4 --image registry.example/natsim:1 --out grpc-k8s"},
			}},
		{name: "plot", synopsis: "DIR --chart NAME", purpose: "draw one chart from a sweep's output",
			usage: "DIR|DIR/sweep.json --chart NAME [--out FILE.png|.svg|.pdf]", run: cmdPlot, examples: []example{
				{"add breaks-vs.png to the folder a sweep wrote", "natsim plot azure-idle --chart breaks-vs"},
				{"one chart as SVG elsewhere, its data beside it as CSV", "natsim plot azure-idle/sweep.json --chart tradeoff --out tradeoff.svg"},
			}},
		{name: "init", synopsis: "NAME | --list", purpose: "print a commented starter scenario to edit",
			usage: "NAME | --list", note: initNote, run: cmdInit, examples: []example{
				{"the starters and the question each asks", "natsim init --list"},
				{"a NAT gateway starter, written to a file to edit", "natsim init nat-gateway > my.yaml"},
			}},
		{name: "check", synopsis: "FILE [flags]", purpose: "validate a scenario without running it",
			usage: "FILE|- [--param K=V1,V2,...]... [--set K=V]... [--target METRIC<=X]... [--seed N] [--replications N] [--sample R [--salt S]] [--max-memory SIZE] [--max-events N]",
			note:  checkNote, run: cmdCheck, examples: []example{
				{"check a file and every point of its sweep", "natsim check scenarios/aws-nat-gateway-grpc.yaml"},
				{"check a starter from standard input, with a sweep of the command line's",
					"natsim init nat-gateway | natsim check - --param path.natgw.capacity=10000,55000"},
			}},
		{name: "explain", synopsis: "FILE --group G --client N", purpose: "tell one connection's life in a run, step by step",
			usage: "FILE (--group G --client N | --first-break [--group G]) [--set K=V]... [--seed N] [--max-memory SIZE] [--max-events N]",
			note:  explainNote, run: cmdExplain, examples: []example{
				{"the life of client 17 of group grpc", "natsim explain scenarios/aws-nat-gateway-grpc.yaml --group grpc --client 17"},
				{"the first client that broke, with another seed", "natsim explain scenarios/azure-lb-linux-default-keepalive.yaml --first-break --seed 2"},
			}},
		{name: "presets", synopsis: "[NAME]", purpose: "list the middlebox presets, or show one in full with its sources",
			usage: "[NAME] [--notes] [--json]", note: presetsNote, run: cmdPresets, examples: []example{
				{"the table of every preset", "natsim presets"},
				{"one preset in full: every field, its sources and its note", "natsim presets aws-alb"},
			}},
		{name: "validate", synopsis: "[--full]", purpose: "hold the simulator against closed-form results",
			usage: "[--full] [--markdown] [--jobs N] [--quiet]", run: cmdValidate, examples: []example{
				{"the short suite (about a minute)", "natsim validate"},
				{"the full suite, as the Markdown tables of VALIDATION.md", "natsim validate --full --markdown"},
			}},
		{name: "bench", synopsis: "[--clients N]", purpose: "measure speed and memory on the reference workload",
			usage: "[--clients N] [--duration D] [--busy | --adaptive | --households [--no-home]] [--radio PRESET] [--sample R] [--sampling [--salts N]] [--json] [--quiet] [--max-memory SIZE]", run: cmdBench, examples: []example{
				{"the reference workload with an LTE radio on every client", "natsim bench --radio lte"},
				{"--sample's accuracy: each workload at a million clients in full and sampled at 0.01 with three salts", "natsim bench --sampling --clients 1000000 --sample 0.01 --salts 3"},
			}},
		{name: "kernel-check", synopsis: "FILE...", purpose: "hold the simulator against a real Linux NAT (root)",
			usage: "FILE... [--middlebox NAME] [--time-scale F] [--flows N] [--keep-logs DIR] | kernel-check --cleanup",
			run:   cmdKernelCheck, examples: []example{
				{"a real conntrack table against the simulated one (as root)", "natsim kernel-check scenarios/linux-conntrack-early-drop.yaml --flows 12 --keep-logs logs"},
				{"remove the namespaces of kernel-checks that were killed", "natsim kernel-check --cleanup"},
			}},
	}
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
		return usageError{msg: "no command given"}
	}
	switch args[0] {
	case "--version", "version":
		fmt.Fprintln(stdout, "natsim", sim.Version)
		return nil
	case "-h", "--help", "help":
		writeHelp(stdout)
		return nil
	}
	c, ok := commandNamed(args[0])
	if !ok {
		return unknownCommand(args[0])
	}
	err := c.run(ctx, c.flags(stdout), args[1:], stdout, stderr)
	if ue, ok := err.(usageError); ok && ue.cmd == "" {
		ue.cmd = c.name
		return ue
	}
	return err
}

// unknownCommand names the command meant, if one is close, or natsim run
// when the first argument is a scenario file.
func unknownCommand(name string) error {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	if hint := scenarios.DidYouMean(name, names); hint != "" {
		return usagef("unknown command %q%s", name, hint)
	}
	if ext := filepath.Ext(name); ext == ".yaml" || ext == ".yml" {
		return usagef("unknown command %q (to run a scenario: natsim run %s)", name, name)
	}
	return usagef("unknown command %q", name)
}

// exitStatus is the exit status of a natsim run again in a user
// namespace, which has printed its own messages.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a mistake in the command line: exit status 2. Its
// message points to the help of the command, once dispatch knows it.
type usageError struct {
	msg string
	cmd string // the command whose help to see, or "" for natsim --help
}

func (e usageError) Error() string {
	see := "natsim --help"
	if e.cmd != "" {
		see = "natsim " + e.cmd + " --help"
	}
	return e.msg + " (see " + see + ")"
}

func usagef(format string, args ...any) error { return usageError{msg: fmt.Sprintf(format, args...)} }

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
	var badPieces badShards
	switch {
	case err == nil || errors.Is(err, errShown):
		return 0
	case errors.As(err, &ue), errors.As(err, &ps), errors.As(err, &missing), errors.As(err, &badOut), errors.As(err, &badPieces):
		return 2
	case errors.Is(err, errInterrupted):
		return 130
	default:
		return 1
	}
}
