package outdir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/natsim/natsim/internal/crashpoint"
)

// BadError is an output folder that cannot be used: bad input, found
// before any work is done.
type BadError struct {
	Path string
	Msg  string
}

func (e *BadError) Error() string {
	return fmt.Sprintf("output folder %s: %s", strconv.Quote(e.Path), e.Msg)
}

func bad(path, format string, args ...any) error {
	return &BadError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Options say which existing folder Create may replace.
type Options struct {
	Scenario string // the scenario written; an output folder of the same scenario is replaced
	Force    bool   // replace any folder of plain files (never one holding folders)
	Unique   bool   // the path is a default: if it is taken, use PATH-2, PATH-3, ...
	Keep     bool   // start from the existing folder's files (which must verify): an update
}

// Writer is an output folder being built.
type Writer struct {
	Path string // where the folder will be, as given (with a -N suffix if Unique made one)

	abs  string // Path made absolute, symbolic links followed
	tmp  string // the temporary folder beside it, where files are written
	lock *lock
	opts Options
	done bool
}

// live holds the writers not yet committed or aborted, for AbortAll.
var (
	liveMu sync.Mutex
	live   = map[*Writer]bool{}
)

const (
	tmpMark  = ".natsim-tmp-"
	lockMark = ".lock"
)

// Create checks path, locks it, removes what crashed writers left beside
// it and makes the temporary folder to write into (see the package
// comment). Its errors other than *BadError are failures of the system.
func Create(path string, o Options) (*Writer, error) {
	if path == "" || strings.ContainsRune(path, 0) {
		return nil, bad(path, "not a usable folder name")
	}
	abs, err := resolve(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, bad(path, "cannot create its parent folder: %v", unwrap(err))
	}
	for i := 1; ; i++ {
		suffix := ""
		if i > 1 {
			suffix = "-" + strconv.Itoa(i)
		}
		w, err := create(path+suffix, abs+suffix, o)
		if o.Unique && errors.Is(err, errTaken) && i < 1000 {
			continue
		}
		return w, err
	}
}

var errTaken = errors.New("taken")

func create(path, abs string, o Options) (*Writer, error) {
	parent, base := filepath.Split(abs)
	l, err := tryLock(filepath.Join(parent, "."+base+lockMark))
	if errors.Is(err, errBusy) {
		if o.Unique {
			return nil, errTaken
		}
		return nil, bad(path, "another natsim is writing this folder (%v); wait for it or choose another --out", err)
	}
	if err != nil {
		return nil, bad(path, "cannot write in %s: %v", parent, unwrap(err))
	}
	w := &Writer{Path: path, abs: abs, lock: l, opts: o, tmp: filepath.Join(parent, "."+base+tmpMark+strconv.Itoa(os.Getpid()))}
	if err := w.check(); err != nil {
		l.release()
		return nil, err
	}
	cleanLeftovers(parent, base)
	os.RemoveAll(w.tmp)
	if err := os.Mkdir(w.tmp, 0o755); err != nil {
		l.release()
		return nil, bad(path, "cannot write in %s: %v", parent, unwrap(err))
	}
	if o.Keep {
		if err := w.keep(); err != nil {
			w.Abort()
			return nil, err
		}
	}
	liveMu.Lock()
	live[w] = true
	liveMu.Unlock()
	crashpoint.Here("outdir.created")
	return w, nil
}

// resolve follows a symbolic link at path (a link to a folder is written
// through) and refuses paths natsim must not replace.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", bad(path, "%v", err)
	}
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return "", bad(path, "is a symbolic link to nothing (%v)", unwrap(err))
		}
		abs = target
	}
	wd, _ := os.Getwd()
	if abs == wd || strings.HasPrefix(wd, abs+string(filepath.Separator)) || filepath.Dir(abs) == abs {
		return "", bad(path, "is the current folder or one above it; natsim writes a folder of its own: name one inside")
	}
	return abs, nil
}

// check decides whether the folder at w.Path may be replaced.
func (w *Writer) check() error {
	fi, err := os.Lstat(w.abs)
	switch {
	case os.IsNotExist(err):
		if w.opts.Keep {
			return bad(w.Path, "no such folder")
		}
		return nil
	case err != nil:
		return bad(w.Path, "%v", unwrap(err))
	case !fi.IsDir():
		return bad(w.Path, "is a file, not a folder")
	case w.opts.Unique:
		return errTaken
	}
	if err := writable(w.abs); err != nil {
		return bad(w.Path, "is not writable: %v", unwrap(err))
	}
	des, err := os.ReadDir(w.abs)
	if err != nil {
		return bad(w.Path, "%v", unwrap(err))
	}
	if len(des) == 0 {
		return nil
	}
	m, verr := Verify(w.abs)
	switch {
	case verr == nil && m.Scenario == w.opts.Scenario:
		return nil
	case w.opts.Keep:
		return bad(w.Path, "%v", verr)
	case !w.opts.Force && verr == nil:
		return bad(w.Path, "holds natsim's output of scenario %s, not %s; choose another --out, or add --force to replace it", m.Scenario, w.opts.Scenario)
	case !w.opts.Force:
		return bad(w.Path, "is not empty and not a complete natsim output folder; choose another --out, or add --force to replace it")
	}
	for _, de := range des {
		if de.IsDir() {
			return bad(w.Path, "holds folders (%s); natsim replaces only a folder of plain files, even with --force", de.Name())
		}
	}
	return nil
}

// keep links the existing folder's files into the temporary one.
func (w *Writer) keep() error {
	m, err := Verify(w.abs)
	if err != nil {
		return bad(w.Path, "%v", err)
	}
	for _, f := range m.Files {
		from, to := filepath.Join(w.abs, f.Name), filepath.Join(w.tmp, f.Name)
		if err := os.Link(from, to); err != nil {
			if err := copyFile(from, to); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// Dir is the folder to write the files into.
func (w *Writer) Dir() string { return w.tmp }

// Write calls fill with the folder to write the files into, then
// commits them. On an error (a full disk, say) the old folder, if any, is
// left as it was, and the error says so.
func (w *Writer) Write(fill func(dir string) error) error {
	if err := fill(w.tmp); err != nil {
		w.Abort()
		return fmt.Errorf("writing %s: %w (the folder is left as it was)", w.Path, err)
	}
	return w.Commit()
}

// Commit writes the manifest and puts the folder in place (see the
// package comment). On an error the old folder, if any, is left as it
// was and the temporary one is removed.
func (w *Writer) Commit() error {
	liveMu.Lock()
	defer liveMu.Unlock()
	if w.done {
		return errors.New("outdir: committed or aborted already")
	}
	err := w.commit()
	if err != nil {
		os.RemoveAll(w.tmp)
		err = fmt.Errorf("writing %s: %w (the folder is left as it was)", w.Path, err)
	}
	w.finish()
	return err
}

func (w *Writer) commit() error {
	if err := writeManifest(w.tmp, w.opts.Scenario); err != nil {
		return err
	}
	crashpoint.Here("outdir.manifest")
	if err := syncDir(w.tmp); err != nil {
		return err
	}
	parent := filepath.Dir(w.abs)
	if _, err := os.Lstat(w.abs); err == nil {
		if err := exchange(w.tmp, w.abs); err == nil {
			crashpoint.Here("outdir.exchanged")
			// w.tmp now holds the old folder.
		} else if err := os.Rename(w.abs, w.tmp+".old"); err != nil {
			return err
		} else if err := os.Rename(w.tmp, w.abs); err != nil {
			os.Rename(w.tmp+".old", w.abs)
			return err
		} else {
			w.tmp += ".old"
		}
	} else if err := os.Rename(w.tmp, w.abs); err != nil {
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	os.RemoveAll(w.tmp) // the old folder
	crashpoint.Here("outdir.committed")
	return nil
}

// Abort removes the temporary folder and the lock; the old folder, if
// any, is left as it was. It does nothing after Commit.
func (w *Writer) Abort() {
	liveMu.Lock()
	defer liveMu.Unlock()
	if w.done {
		return
	}
	os.RemoveAll(w.tmp)
	w.finish()
}

func (w *Writer) finish() {
	w.done = true
	w.lock.release()
	delete(live, w)
}

// AbortAll aborts every writer of this process not yet committed, for a
// process about to exit at once (a second Ctrl-C). A commit under way is
// finished first.
func AbortAll() {
	liveMu.Lock()
	ws := make([]*Writer, 0, len(live))
	for w := range live {
		ws = append(ws, w)
	}
	liveMu.Unlock()
	for _, w := range ws {
		w.Abort()
	}
}

// cleanLeftovers removes the temporary folders that crashed writers left
// in parent: those of base (whose lock this process holds), and those of
// other folders whose writer is gone and whose lock is free.
func cleanLeftovers(parent, base string) {
	des, _ := os.ReadDir(parent)
	for _, de := range des {
		name := de.Name()
		i := strings.LastIndex(name, tmpMark)
		if !strings.HasPrefix(name, ".") || i < 0 {
			continue
		}
		owner, pid := name[1:i], strings.TrimSuffix(name[i+len(tmpMark):], ".old")
		if owner == base {
			os.RemoveAll(filepath.Join(parent, name))
			continue
		}
		if n, err := strconv.Atoi(pid); err != nil || alive(n) {
			continue
		}
		if l, err := tryLock(filepath.Join(parent, "."+owner+lockMark)); err == nil {
			os.RemoveAll(filepath.Join(parent, name))
			l.release()
		}
	}
}

// Writable checks that dir can be written in, creating it if needed: an
// output folder for files written one by one (a chart, logs).
func Writable(dir string) error {
	if dir == "" || strings.ContainsRune(dir, 0) {
		return bad(dir, "not a usable folder name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return bad(dir, "cannot create it: %v", unwrap(err))
	}
	if err := writable(dir); err != nil {
		return bad(dir, "is not writable: %v", unwrap(err))
	}
	return nil
}

// probePrefix starts the name of writable's probe file. A natsim killed
// between creating and removing it leaves it in a complete output folder,
// which Verify therefore ignores.
const probePrefix = ".natsim-probe-"

// writable tries to create a file in dir: unlike permission bits, this
// also finds a read-only file system and works for root.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, probePrefix+"*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Lock takes the exclusive lock PARENT/.BASE.lock of a folder that is
// written in place rather than through a Writer (a sweep shard, which
// adds one file per finished run), so that a second writer fails at
// once. The returned function releases it.
func Lock(path string) (release func(), err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	parent, base := filepath.Split(abs)
	l, err := tryLock(filepath.Join(parent, "."+base+lockMark))
	if errors.Is(err, errBusy) {
		return nil, bad(path, "another natsim is writing this folder (%v); wait for it or choose another --out", err)
	}
	if err != nil {
		return nil, bad(path, "cannot write in %s: %v", parent, unwrap(err))
	}
	return l.release, nil
}
