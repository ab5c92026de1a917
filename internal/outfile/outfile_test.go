package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	// A writer that fails half-way leaves the old content and no temp file.
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "two, half")
		return errors.New("interrupted")
	})
	if err == nil {
		t.Fatal("no error")
	}
	got, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(got) != "one" || len(entries) != 1 {
		t.Fatalf("content %q, %d files", got, len(entries))
	}
}
