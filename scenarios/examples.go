package scenarios

import "embed"

// Examples holds the example scenarios of this directory, built into the
// binary so that a command that uses one (natsim bench --busy) works from
// any directory.
//
//go:embed *.yaml
var Examples embed.FS
