// Package outfile writes output files whole or not at all: the content
// goes to a temporary file in the same directory, which is renamed over
// the target only once it is complete, so that a reader (or an
// interrupted run) never sees a half-written file.
package outfile
