// Package cli is natsim's command line: one file per command, the command
// table that dispatches and prints the help, the flags several commands
// share, progress on stderr, and the mapping of errors to exit statuses.
//
// Main is the whole program: main.go only exits with its status. Every
// command takes a context that SIGINT, SIGTERM or SIGHUP cancel; long
// work (runs, sweeps, validation, the benchmark, kernel labs) stops when
// it is done, and the command returns an error wrapping errInterrupted,
// which exitCode alone turns into exit status 130. A second signal makes
// Main return at once, after removing the output folders not yet written
// (outdir.AbortAll).
//
// Exit statuses: 0 success, 1 failure (a validation or kernel-check that
// disagrees, an output that could not be written), 2 bad input (the
// command line, a scenario, an output folder, a missing tool), 130
// interrupted.
package cli
