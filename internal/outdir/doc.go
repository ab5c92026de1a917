// Package outdir writes an output folder as a whole: a set of files that
// agree with each other (a sweep's CSV, JSON, time series, charts and
// report) appears complete or not at all, and a reader can tell.
//
// The contract, for a folder DIR in PARENT:
//
//   - Create checks DIR before any work: bad input (a file, a dangling
//     symbolic link, a NUL, an unwritable parent, a non-empty folder that
//     is not natsim's output of the same scenario, without Force) is a
//     *BadError. It takes an exclusive lock, PARENT/.DIR.lock (flock), so
//     that a second writer of DIR fails at once, and makes a fresh
//     temporary folder PARENT/.DIR.natsim-tmp-PID beside DIR.
//   - The caller writes every file into Dir(), the temporary folder.
//   - Commit writes manifest.json last (format version, scenario, and
//     every file with its size and SHA-256), fsyncs every file, the
//     folder and PARENT, and renames the folder into place: on Linux by
//     exchanging it with the old DIR in one step (renameat2
//     RENAME_EXCHANGE), elsewhere by moving the old one aside first. The
//     old folder is then removed.
//   - Abort (or a crash, or a full disk) leaves DIR as it was; a crash
//     leaves at most a hidden temporary folder beside it, which the next
//     Create for DIR (or for any folder in PARENT whose writer is gone)
//     removes.
//   - Verify is what every reader calls: it refuses a folder without a
//     manifest, with a file missing, changed or not listed.
//
// Costs: Commit reads every file once (hash and fsync together); the
// rename is constant time. Only regular files are written, no subfolders.
package outdir
