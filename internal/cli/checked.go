package cli

import "io"

// checkedWriter remembers the first error of the writes through it, so
// that output printed with fmt.Fprint*, whose errors go unchecked, still
// fails the command when it does not arrive.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.err = err
	return n, err
}
