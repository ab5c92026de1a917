package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/scenarios"
)

func cmdPresets(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	notes := fs.Bool("notes", false, "also print each preset's note (its assumptions)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "preset\ttcp est.\ttransitory\tudp\tudp stream\tcapacity\twhen full\tunknown out/in\tport kept\tsource")
	for _, p := range scenarios.Presets() {
		m := p.Middlebox
		capacity := strconv.Itoa(*m.Capacity)
		if *m.Capacity == 0 {
			capacity = "unlimited"
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%v\t%s\t%s\t%s/%s\t%v\t%s\n", p.Name,
			time.Duration(*m.Timeouts.TCPEstablished), time.Duration(*m.Timeouts.TCPTransitory),
			time.Duration(*m.Timeouts.UDP), time.Duration(*m.Timeouts.UDPStream), capacity, *m.WhenFull,
			*m.UnknownOutbound, *m.UnknownInbound, *m.PortPreservation, p.Source)
		if *notes {
			fmt.Fprintf(tw, "\t  note: %s\n", p.Note)
		}
	}
	return tw.Flush()
}
