package cli

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/scenarios"
)

// starters are the commented scenarios that natsim init writes, one per
// question; each opens with a "# Starter: " line that --list shows.
//
//go:embed starters/*.yaml
var starters embed.FS

const initNote = `The starter is a scenario to edit: its comments explain each field and
point to docs/scenario-format.md and docs/presets.md.`

func cmdInit(ctx context.Context, flags *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	list := flags.Bool("list", false, "list the starters and the question each asks")
	if err := flags.Parse(args); err != nil { // NAME or --list: parseFlags' count does not fit
		return flagError(flags, err)
	}
	names, err := starterNames()
	if err != nil {
		return err
	}
	if *list {
		if flags.NArg() != 0 {
			return usagef("natsim init --list takes no argument, got %s", strings.Join(flags.Args(), " "))
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, n := range names {
			text, _ := fs.ReadFile(starters, "starters/"+n+".yaml")
			fmt.Fprintf(tw, "%s\t%s\n", n, starterTitle(string(text)))
		}
		return tw.Flush()
	}
	if flags.NArg() != 1 {
		return usagef("natsim init takes a starter's name (%s) or --list", strings.Join(names, ", "))
	}
	name := flags.Arg(0)
	text, err := fs.ReadFile(starters, "starters/"+name+".yaml")
	if err != nil {
		return usagef("no starter %q%s; the starters are %s", name, scenarios.DidYouMean(name, names), strings.Join(names, ", "))
	}
	_, err = stdout.Write(text)
	return err
}

// starterNames lists the starters, in name order.
func starterNames() ([]string, error) {
	files, err := fs.Glob(starters, "starters/*.yaml")
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(path.Base(f), ".yaml")
	}
	return names, nil
}

// starterTitle is the text of a starter's "# Starter: " line.
func starterTitle(text string) string {
	first, _, _ := strings.Cut(text, "\n")
	return strings.TrimPrefix(first, "# Starter: ")
}
