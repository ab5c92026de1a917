package validate

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/natsim/natsim/internal/batch"
)

// Jobs lists the runs of a suite, in the order Run makes them.
func Jobs(sz Size) []batch.Job { return jobsOf(suite(sz), sz) }

func jobsOf(exps []*experiment, sz Size) []batch.Job {
	var jobs []batch.Job
	for _, e := range exps {
		for rep := range sz.Reps {
			jobs = append(jobs, batch.Job{Config: e.cfg, Replication: rep})
		}
	}
	return jobs
}

// Run runs the suite of the given size on workers and returns its checks
// in case order; once ctx is done it stops and returns ctx's error.
func Run(ctx context.Context, sz Size, workers int, obs batch.Observer) ([]Check, error) {
	exps := suite(sz)
	runs, err := batch.Run(ctx, jobsOf(exps, sz), workers, obs)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	var checks []Check
	for i, e := range exps {
		e.runs = runs[i*sz.Reps : (i+1)*sz.Reps]
		checks = append(checks, e.judge(e)...)
	}
	checks = append(checks, littleChecks(exps)...)
	sortByCase(checks)
	return checks, nil
}

func sortByCase(cs []Check) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Case < cs[j-1].Case; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// Failed counts the checks that did not pass.
func Failed(cs []Check) int {
	n := 0
	for _, c := range cs {
		if !c.Pass {
			n++
		}
	}
	return n
}

func verdict(c Check) string {
	if c.Pass {
		return "PASS"
	}
	return "FAIL"
}

func errPct(c Check) string {
	if c.Predicted == 0 {
		return fmt.Sprintf("%+.3g", c.Simulated-c.Predicted)
	}
	return fmt.Sprintf("%+.2f%%", 100*(c.Simulated-c.Predicted)/c.Predicted)
}

func g(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e9 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.5g", x)
}

// WriteTable prints the checks for a terminal, grouped by case.
func WriteTable(w io.Writer, cs []Check) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	last := 0
	for _, c := range cs {
		if c.Case != last {
			fmt.Fprintf(tw, "\n%d. %s\n", c.Case, c.Title)
			fmt.Fprintln(tw, "  quantity\tpredicted\tsimulated ± 95% CI\terror\ttolerance\tverdict")
			last = c.Case
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s ± %s\t%s\t±%s\t%s\n", c.Quantity, g(c.Predicted), g(c.Simulated), g(c.CI95), errPct(c), g(c.Tolerance), verdict(c))
	}
	fmt.Fprintf(tw, "\n%d checks, %d passed, %d failed\n", len(cs), len(cs)-Failed(cs), Failed(cs))
	return tw.Flush()
}

// WriteMarkdown prints the checks as the tables of VALIDATION.md, with
// each case's formula and source.
func WriteMarkdown(w io.Writer, cs []Check) error {
	var b strings.Builder
	last := 0
	for _, c := range cs {
		if c.Case != last {
			fmt.Fprintf(&b, "\n### %d. %s\n\nFormula: `%s`. Source: %s.\n\n", c.Case, c.Title, c.Formula, c.Source)
			b.WriteString("| quantity | predicted | simulated ± 95% CI | error | tolerance | verdict |\n|---|---|---|---|---|---|\n")
			last = c.Case
		}
		fmt.Fprintf(&b, "| %s | %s | %s ± %s | %s | ±%s (%s) | %s |\n", c.Quantity, g(c.Predicted), g(c.Simulated), g(c.CI95), errPct(c), g(c.Tolerance), c.Why, verdict(c))
	}
	fmt.Fprintf(&b, "\n%d checks, %d passed, %d failed.\n", len(cs), len(cs)-Failed(cs), Failed(cs))
	_, err := io.WriteString(w, b.String())
	return err
}
