package outdir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// ManifestName is the manifest's file name in an output folder.
const ManifestName = "manifest.json"

// Format is the manifest format this package writes and reads.
const Format = "natsim-output/1"

// Manifest is manifest.json: what the folder holds.
type Manifest struct {
	Format   string `json:"format"`
	Scenario string `json:"scenario"`
	Files    []File `json:"files"` // sorted by name; the manifest itself is not listed
}

// File is one file of an output folder.
type File struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// hashFile returns a file's size and SHA-256, and fsyncs it on the way
// when sync is set.
func hashFile(path string, sync bool) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil && sync {
		err = f.Sync()
	}
	return File{Name: filepath.Base(path), Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// entries lists a folder's names other than the manifest, sorted; a
// subfolder or anything but a regular file is an error.
func entries(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		if de.Name() == ManifestName || strings.HasPrefix(de.Name(), probePrefix) {
			continue // a probe is left only by a natsim killed while testing the folder
		}
		if !de.Type().IsRegular() {
			return nil, fmt.Errorf("%s is not a plain file", filepath.Join(dir, de.Name()))
		}
		names = append(names, de.Name())
	}
	slices.Sort(names)
	return names, nil
}

// Verify checks that dir is a complete natsim output folder: its
// manifest is readable and of this format, and the files are exactly
// those it lists, with their sizes and hashes.
func Verify(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s: no %s: not a complete natsim output folder (written by an older natsim, interrupted, or not natsim's)", dir, ManifestName)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil || m.Format != Format {
		return nil, fmt.Errorf("%s: %s is not a natsim %s manifest", dir, ManifestName, Format)
	}
	names, err := entries(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var listed []string
	for _, f := range m.Files {
		listed = append(listed, f.Name)
	}
	if extra, missing := diff(names, listed), diff(listed, names); len(extra)+len(missing) > 0 {
		return nil, fmt.Errorf("%s: does not match its manifest: missing %v, not listed %v", dir, missing, extra)
	}
	for _, want := range m.Files {
		got, err := hashFile(filepath.Join(dir, want.Name), false)
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("%s: %s does not match its manifest (changed or half-written)", dir, want.Name)
		}
	}
	return &m, nil
}

// diff returns the names in a that are not in b.
func diff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// writeManifest hashes and fsyncs every file of dir and writes its
// manifest, fsynced too.
func writeManifest(dir, scenario string) error {
	names, err := entries(dir)
	if err != nil {
		return err
	}
	m := Manifest{Format: Format, Scenario: scenario, Files: []File{}}
	for _, n := range names {
		f, err := hashFile(filepath.Join(dir, n), true)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, f)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, ManifestName), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir fsyncs a folder, so that the names in it are on disk.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some file systems cannot sync a folder
		return err
	}
	return nil
}
