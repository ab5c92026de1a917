package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/validate"
)

// errFailed is a validation with failing checks: exit status 1.
var errFailed = errors.New("validation failed")

func cmdValidate(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	full := fs.Bool("full", false, "the full-size suite (several minutes) instead of the short one")
	markdown := fs.Bool("markdown", false, "print the tables as Markdown (as in VALIDATION.md)")
	jobs := jobsFlag(fs, "runs")
	quiet := quietFlag(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	size := validate.Short
	if *full {
		size = validate.Full
	}
	limit, _ := memoryLimit("")
	batch.TuneGC(limit, len(validate.Jobs(size)), *jobs)
	prog := newProgress(stderr, *quiet, jobSpans(validate.Jobs(size)))
	checks, err := validate.Run(ctx, size, *jobs, prog)
	prog.done()
	if ctx.Err() != nil {
		return fmt.Errorf("%w: no result", errInterrupted)
	}
	if err != nil {
		return err
	}
	write := validate.WriteTable
	if *markdown {
		write = validate.WriteMarkdown
	}
	if err := write(stdout, checks); err != nil {
		return err
	}
	if n := validate.Failed(checks); n > 0 {
		return fmt.Errorf("%w: %d of %d checks", errFailed, n, len(checks))
	}
	return nil
}
