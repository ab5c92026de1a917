package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/scenarios"
)

const presetsNote = `Without NAME: a table of every preset, with a legend. With NAME: every field
with what it means, each source (title, publisher, URL, date read) and the
note. --json: every preset, every field and its sources. The same in
docs/presets.md.`

// width is the widest line natsim presets prints.
const width = 100

func cmdPresets(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	notes := fs.Bool("notes", false, "also print each preset's note (its assumptions) under the table")
	asJSON := fs.Bool("json", false, "print every preset, every field and its sources, as JSON")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	switch {
	case fs.NArg() > 1:
		return usagef("natsim presets takes at most one preset name, got %d: %s", fs.NArg(), strings.Join(fs.Args(), " "))
	case fs.NArg() == 1:
		p, suggestion, ok := scenarios.FindPreset(fs.Arg(0))
		if !ok {
			msg := fmt.Sprintf("unknown preset %q", fs.Arg(0))
			if suggestion != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", suggestion)
			}
			return usagef("%s; run natsim presets for the list", msg)
		}
		if *asJSON {
			return writeJSON(stdout, presetJSONOf(p))
		}
		writePreset(stdout, p)
		return nil
	case *asJSON:
		var all []presetJSON
		for _, p := range scenarios.Presets() {
			all = append(all, presetJSONOf(p))
		}
		return writeJSON(stdout, all)
	}
	writePresetTable(stdout, scenarios.Presets())
	if *notes {
		fmt.Fprintln(stdout, "\nNotes (assumptions beyond the sources):")
		for _, p := range scenarios.Presets() {
			writeWrapped(stdout, "  ", p.Name+": "+p.Note, "      ")
		}
	}
	return nil
}

// writePresetTable prints one line per preset, at most width columns,
// with a legend for every abbreviation under it.
func writePresetTable(w io.Writer, ps []scenarios.Preset) {
	// Columns are two spaces apart but the four timeouts, one apart: the
	// padding is 1 and the other cells end with a space.
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(cells ...string) {
		for i, c := range cells {
			if i == 0 || i >= 4 && i < len(cells)-1 {
				c += " "
			}
			cells[i] = c
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	row("", "tcp", "tcp", "udp", "udp", "", "when", "unknown", "port", "refresh", "on")
	row("preset", "est", "tr", "", "st", "capacity", "full", "out/in", "kept", "by", "expiry")
	for _, p := range ps {
		m := p.Middlebox
		t := m.Timeouts
		name := p.Name
		if secondHand(p) {
			name += "*"
		}
		row(name, shortDur(t.TCPEstablished), shortDur(t.TCPTransitory), shortDur(t.UDP), shortDur(t.UDPStream),
			capacityText(int(m.Capacity.A)), *m.WhenFull, *m.UnknownOutbound+"/"+*m.UnknownInbound,
			yesNo(*m.PortPreservation), refreshedBy(m), *m.OnExpire)
	}
	tw.Flush()
	fmt.Fprint(w, presetLegend)
}

const presetLegend = `
tcp est, tr     idle timeouts of a TCP entry: established; transitory (in its handshake or
                after a FIN). s, m, h: seconds, minutes, hours
udp, udp st     idle timeouts of a UDP entry: until a reply; stream (with a reply, older
                than 2 s)
when full       what a new entry meets in a full table: lru evicts the least recently used
                entry; refuse turns the new one away; early-drop drops an unconfirmed entry,
                else refuses
unknown out/in  a packet with no entry: outbound, create a new entry or drop the packet;
                inbound, drop it or answer the server with reset (RST)
port kept       a re-created entry gets the flow's external port again
refresh by      what refreshes an entry besides outbound packets: in = inbound packets,
                ka = TCP keepalive probes and their ACKs. Without ka (aws-alb) only data
                holds a connection: TCP keepalive cannot
on expiry       silent: the entry vanishes; reset: the box sends RST to both ends
*               some figures are second-hand: seen only quoted by a third party

One preset in full, every field and its sources (title, publisher, URL): natsim presets NAME.
`

// refreshedBy is the table's "refresh by": what refreshes an entry
// besides outbound packets.
func refreshedBy(m scenarios.MiddleboxSpec) string {
	var by []string
	if *m.RefreshInbound {
		by = append(by, "in")
	}
	if *m.RefreshOnKeepalive {
		by = append(by, "ka")
	}
	if len(by) == 0 {
		return "-"
	}
	return strings.Join(by, ",")
}

func secondHand(p scenarios.Preset) bool {
	for _, s := range p.Sources {
		if s.SecondHand {
			return true
		}
	}
	return false
}

// shortDur writes a timeout in its largest exact units: 350s, 4m, 2h4m,
// 120h.
func shortDur(dist *scenarios.Dist) string {
	d := time.Duration(dist.A) // presets' timeouts are fixed
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if d < time.Hour && d%time.Minute != 0 {
		s = strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	}
	return s
}

func capacityText(n int) string {
	if n == 0 {
		return "unlimited"
	}
	return thousands(n)
}

// thousands writes n with commas between thousands: 262,144.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writePreset prints one preset in full: every field with what its value
// means, the sources, and the note.
func writePreset(w io.Writer, p scenarios.Preset) {
	m := p.Middlebox
	t := m.Timeouts
	writeWrapped(w, "", fmt.Sprintf("Preset %s. In a scenario: `preset: %s` in a path item; a field written there overrides the preset's.", p.Name, p.Name), "")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(field, value, meaning string) { fmt.Fprintf(tw, "  %s\t%s\t%s\n", field, value, meaning) }
	capacity := int(m.Capacity.A) // presets' capacities are fixed
	row("capacity", strconv.Itoa(capacity), map[bool]string{true: "entries: unlimited", false: "entries (" + thousands(capacity) + ")"}[capacity == 0])
	row("when_full", *m.WhenFull, fieldMeaning["when_full "+*m.WhenFull])
	row("timeouts.tcp_established", shortDur(t.TCPEstablished), "TCP entry, established")
	row("timeouts.tcp_transitory", shortDur(t.TCPTransitory), "TCP entry in its handshake or after a FIN")
	row("timeouts.udp", shortDur(t.UDP), "UDP entry until a reply")
	row("timeouts.udp_stream", shortDur(t.UDPStream), "UDP entry with a reply, older than 2 s")
	row("refresh_inbound", strconv.FormatBool(*m.RefreshInbound), fieldMeaning["refresh_inbound "+strconv.FormatBool(*m.RefreshInbound)])
	row("refresh_on_keepalive", strconv.FormatBool(*m.RefreshOnKeepalive), fieldMeaning["refresh_on_keepalive "+strconv.FormatBool(*m.RefreshOnKeepalive)])
	row("on_expire", *m.OnExpire, fieldMeaning["on_expire "+*m.OnExpire])
	row("unknown_outbound", *m.UnknownOutbound, fieldMeaning["unknown_outbound "+*m.UnknownOutbound])
	row("unknown_inbound", *m.UnknownInbound, fieldMeaning["unknown_inbound "+*m.UnknownInbound])
	row("port_preservation", strconv.FormatBool(*m.PortPreservation), fieldMeaning["port_preservation "+strconv.FormatBool(*m.PortPreservation)])
	tw.Flush()
	for i, s := range p.Sources {
		kind := s.Kind
		if s.SecondHand {
			kind += ", second-hand: seen only quoted by a third party"
		}
		fmt.Fprintf(w, "\nSource %d of %d (%s)\n", i+1, len(p.Sources), kind)
		writeWrapped(w, "  title      ", s.Title, "             ")
		writeWrapped(w, "  publisher  ", s.Publisher, "             ")
		if s.URL != "" {
			url := s.URL
			if url == scenarios.NotRecorded {
				url = "not recorded: the title names the document"
			}
			writeWrapped(w, "  url        ", url, "             ")
		}
		if s.DOI != "" {
			fmt.Fprintf(w, "  doi        %s\n", s.DOI)
		}
		if s.Published != "" {
			fmt.Fprintf(w, "  published  %s\n", s.Published)
		}
		if s.Read != "" {
			read := s.Read
			if read == scenarios.NotRecorded {
				read = "not recorded; the figures were gathered by " + scenarios.Gathered + ": check the current page"
			}
			writeWrapped(w, "  read       ", read, "             ")
		}
		writeWrapped(w, "  figures    ", s.Figures, "             ")
	}
	fmt.Fprintln(w, "\nNote (what was assumed beyond the sources)")
	writeWrapped(w, "  ", p.Note, "  ")
}

// fieldMeaning says what a field's value does, by "field value".
var fieldMeaning = map[string]string{
	"when_full lru":              "a new entry evicts the least recently used one",
	"when_full refuse":           "a new entry is turned away",
	"when_full early-drop":       "a new entry drops an unconfirmed one, else is turned away",
	"refresh_inbound true":       "inbound packets refresh an entry (outbound ones always do)",
	"refresh_inbound false":      "only outbound packets refresh an entry",
	"refresh_on_keepalive true":  "TCP keepalive probes and their ACKs refresh an entry",
	"refresh_on_keepalive false": "keepalive probes do not refresh: only data holds a connection",
	"on_expire silent":           "an expired entry vanishes without a packet",
	"on_expire reset":            "the box sends RST to both ends at expiry",
	"unknown_outbound create":    "an outbound packet with no entry makes a new one",
	"unknown_outbound drop":      "an outbound packet with no entry is dropped",
	"unknown_inbound drop":       "an inbound packet with no entry is dropped",
	"unknown_inbound reset":      "an inbound packet with no entry is answered with RST",
	"port_preservation true":     "a re-created entry gets the flow's external port again",
	"port_preservation false":    "a re-created entry gets a new external port",
}

// writeWrapped prints first+text wrapped at width, continuation lines
// starting with indent.
func writeWrapped(w io.Writer, first, text, indent string) {
	line := first
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	fmt.Fprintln(w, line)
}

// presetJSON is a preset as natsim presets --json prints it: durations
// in seconds, capacity 0 for unlimited.
type presetJSON struct {
	Name      string             `json:"name"`
	Middlebox middleboxJSON      `json:"middlebox"`
	Sources   []scenarios.Source `json:"sources"`
	Note      string             `json:"note"`
}

type middleboxJSON struct {
	Capacity           int     `json:"capacity"` // entries; 0 is unlimited
	WhenFull           string  `json:"when_full"`
	TCPEstablishedS    float64 `json:"tcp_established_s"`
	TCPTransitoryS     float64 `json:"tcp_transitory_s"`
	UDPS               float64 `json:"udp_s"`
	UDPStreamS         float64 `json:"udp_stream_s"`
	RefreshInbound     bool    `json:"refresh_inbound"`
	RefreshOnKeepalive bool    `json:"refresh_on_keepalive"`
	OnExpire           string  `json:"on_expire"`
	UnknownOutbound    string  `json:"unknown_outbound"`
	UnknownInbound     string  `json:"unknown_inbound"`
	PortPreservation   bool    `json:"port_preservation"`
}

func presetJSONOf(p scenarios.Preset) presetJSON {
	m := p.Middlebox
	secs := func(d *scenarios.Dist) float64 { return time.Duration(d.A).Seconds() } // presets' timeouts are fixed
	return presetJSON{Name: p.Name, Sources: p.Sources, Note: p.Note, Middlebox: middleboxJSON{
		Capacity: int(m.Capacity.A), WhenFull: *m.WhenFull,
		TCPEstablishedS: secs(m.Timeouts.TCPEstablished), TCPTransitoryS: secs(m.Timeouts.TCPTransitory),
		UDPS: secs(m.Timeouts.UDP), UDPStreamS: secs(m.Timeouts.UDPStream),
		RefreshInbound: *m.RefreshInbound, RefreshOnKeepalive: *m.RefreshOnKeepalive, OnExpire: *m.OnExpire,
		UnknownOutbound: *m.UnknownOutbound, UnknownInbound: *m.UnknownInbound, PortPreservation: *m.PortPreservation,
	}}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
