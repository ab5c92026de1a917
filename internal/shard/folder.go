package shard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/natsim/natsim/internal/crashpoint"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/sim"
)

// Format is the format of the shard folders this package writes and
// reads: of the manifest, the records and the completion marker.
const Format = "natsim-shard/1"

// The files of a shard folder.
const (
	ManifestName = "shard.json"
	ScenarioName = "scenario.yaml"
	DoneName     = "complete.json"
	recordPrefix = "run-"
)

// Manifest is shard.json: what the shard is and which runs it owns.
type Manifest struct {
	Format    string   `json:"format"`
	Version   string   `json:"natsim_version"`
	Name      string   `json:"scenario"`        // the scenario's name
	Hash      string   `json:"scenario_sha256"` // of Canonical
	Shard     Spec     `json:"shard"`
	Runs      []string `json:"runs"` // the IDs of the runs it owns, in the order it starts them
	Canonical string   `json:"canonical_scenario"`
}

// Record is run-ID.json: one finished run, or one that failed. It holds
// nothing of the shard or the process, so that the same run recorded
// by two shards gives the same bytes.
type Record struct {
	Format      string         `json:"format"`
	Hash        string         `json:"scenario_sha256"`
	Run         string         `json:"run"`
	Point       int            `json:"point"`
	Replication int            `json:"replication"`
	Seed        uint64         `json:"seed"`
	Error       string         `json:"error,omitempty"`  // why the run failed
	Result      *sim.RunResult `json:"result,omitempty"` // what it measured (sim.RunResult's JSON reads back equal)
}

// done is complete.json.
type done struct {
	Format string `json:"format"`
	Hash   string `json:"scenario_sha256"`
	Runs   int    `json:"runs"`
}

// Writer records the runs of one shard into its folder.
type Writer struct {
	Dir      string
	Recorded map[Run]bool // the runs found recorded when it was opened
	sweep    *Sweep
	release  func()
}

// Open prepares dir for shard spec of s, owning runs: a new folder, or
// the folder of an earlier attempt at the same shard, whose recorded runs
// it keeps (Recorded). A folder of another scenario or shard is refused
// unless force, which empties it; anything else in dir is refused
// (*outdir.BadError).
func Open(dir string, s *Sweep, spec Spec, runs []Run, force bool) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &outdir.BadError{Path: dir, Msg: err.Error()}
	}
	release, err := outdir.Lock(dir)
	if err != nil {
		return nil, err
	}
	w := &Writer{Dir: dir, sweep: s, release: release, Recorded: map[Run]bool{}}
	if err := w.prepare(spec, force); err != nil {
		release()
		return nil, err
	}
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID()
	}
	m := Manifest{Format: Format, Version: sim.Version, Name: s.Scenario.Config.Name, Hash: s.Hash,
		Shard: spec, Runs: ids, Canonical: string(s.YAML)}
	err = outfile.WriteBytes(filepath.Join(dir, ScenarioName), s.YAML)
	if err == nil {
		err = writeJSON(filepath.Join(dir, ManifestName), m)
	}
	if err != nil {
		release()
		return nil, err
	}
	return w, nil
}

// prepare checks what dir holds and loads the runs recorded there.
func (w *Writer) prepare(spec Spec, force bool) error {
	names, err := listNames(w.Dir)
	if err != nil || len(names) == 0 {
		return err
	}
	p, err := Read(w.Dir, w.sweep)
	if err != nil && !slices.Contains(names, ManifestName) {
		return &outdir.BadError{Path: w.Dir, Msg: "not empty and not a sweep shard's folder; choose another --out"}
	}
	if err == nil && p.Manifest.Hash == w.sweep.Hash && p.Manifest.Shard == spec {
		os.Remove(filepath.Join(w.Dir, DoneName)) // written again once every run is recorded
		for r, rec := range p.Records {
			if rec.Result != nil {
				w.Recorded[r] = true
			}
		}
		return nil
	}
	if !force {
		why := fmt.Sprint(err)
		if err == nil {
			why = fmt.Sprintf("it holds shard %s of scenario %s (sha256 %.12s), not shard %s of %s (sha256 %.12s)",
				p.Manifest.Shard, p.Manifest.Name, p.Manifest.Hash, spec, w.sweep.Scenario.Config.Name, w.sweep.Hash)
		}
		return &outdir.BadError{Path: w.Dir, Msg: why + "; use --force to replace it, or choose another --out"}
	}
	for _, n := range names {
		if n == ManifestName || n == ScenarioName || n == DoneName || isRecord(n) {
			if err := os.Remove(filepath.Join(w.Dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Record writes a finished run's record (or, with err, the failed
// run's), whole or not at all.
func (w *Writer) Record(r Run, res *sim.RunResult, runErr error) error {
	rec := Record{Format: Format, Hash: w.sweep.Hash, Run: r.ID(), Point: r.Point, Replication: r.Replication,
		Seed: w.sweep.Points[r.Point].Scenario.Config.Seed, Result: res}
	if runErr != nil {
		rec.Error, rec.Result = runErr.Error(), nil
	}
	if err := writeJSON(filepath.Join(w.Dir, recordName(r)), rec); err != nil {
		return err
	}
	crashpoint.Here("shard.recorded")
	return nil
}

// Complete writes the completion marker, last: every run the shard owns
// is recorded as finished.
func (w *Writer) Complete(runs int) error {
	return writeJSON(filepath.Join(w.Dir, DoneName), done{Format: Format, Hash: w.sweep.Hash, Runs: runs})
}

// Close releases the folder's lock.
func (w *Writer) Close() { w.release() }

func recordName(r Run) string { return recordPrefix + r.ID() + ".json" }

func isRecord(name string) bool {
	return strings.HasPrefix(name, recordPrefix) && strings.HasSuffix(name, ".json")
}

// writeJSON writes v as indented JSON, whole or not at all.
func writeJSON(path string, v any) error {
	return outfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// listNames lists a folder's names but the hidden ones (a record being
// written); a folder that does not exist has none.
func listNames(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var names []string
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), ".") {
			names = append(names, de.Name())
		}
	}
	return names, err
}

// Piece is what one shard folder holds.
type Piece struct {
	Dir      string
	Manifest Manifest
	Sweep    *Sweep
	Records  map[Run]Record
	Raw      map[Run][]byte // each record's bytes, for comparing duplicates
	Complete bool           // its completion marker is there
}

// Read reads a shard folder: its manifest, which must be of this
// Format, and every record in it. A record that is not whole, or not of
// this scenario, is an error that names it. known, if not nil, is a
// sweep already parsed (another shard's, or the writer's own): a folder
// whose canonical scenario is the same bytes reuses it rather than
// loading and expanding the scenario again.
func Read(dir string, known *Sweep) (*Piece, error) {
	var m Manifest
	if err := readJSON(filepath.Join(dir, ManifestName), &m); err != nil {
		return nil, fmt.Errorf("%s: not a sweep shard's folder (natsim sweep --shard writes %s): %w", dir, ManifestName, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s: shard format %q, not %q that natsim %s reads", dir, m.Format, Format, sim.Version)
	}
	s := known
	if s == nil || hashOf([]byte(m.Canonical)) != s.Hash {
		var err error
		if s, err = Parse([]byte(m.Canonical)); err != nil {
			return nil, fmt.Errorf("%s: its canonical scenario does not load: %w", dir, err)
		}
	}
	if s.Hash != m.Hash {
		return nil, fmt.Errorf("%s: %s: the canonical scenario does not match its sha256 (changed by hand?)", dir, ManifestName)
	}
	p := &Piece{Dir: dir, Manifest: m, Sweep: s, Records: map[Run]Record{}, Raw: map[Run][]byte{}}
	names, err := listNames(dir)
	if err != nil {
		return nil, err
	}
	valid := map[string]Run{}
	for _, r := range s.Runs() {
		valid[recordName(r)] = r
	}
	for _, n := range names {
		if !isRecord(n) {
			continue
		}
		path := filepath.Join(dir, n)
		r, ok := valid[n]
		if !ok {
			return nil, fmt.Errorf("%s: no run of the sweep has this name", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s: not a run record natsim %s reads: %w", path, sim.Version, err)
		}
		if rec.Format != Format || rec.Hash != m.Hash || rec.Run != r.ID() || rec.Point != r.Point || rec.Replication != r.Replication {
			return nil, fmt.Errorf("%s: the record is not of run %s of this scenario (sha256 %.12s)", path, r.ID(), m.Hash)
		}
		if (rec.Result == nil) == (rec.Error == "") {
			return nil, fmt.Errorf("%s: a record holds a result or an error, one of the two", path)
		}
		p.Records[r], p.Raw[r] = rec, data
	}
	var d done
	if err := readJSON(filepath.Join(dir, DoneName), &d); err == nil && d.Hash == m.Hash {
		p.Complete = true
	}
	return p, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
