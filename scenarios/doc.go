// Package scenarios reads natsim's scenario files (the format of
// docs/scenario-format.md): it decodes the YAML strictly, applies --set
// overrides, fills defaults and middlebox presets, validates, and
// produces a sim.Config. It is the only package that knows file syntax;
// it also holds the example scenarios and the presets table
// (presets/middleboxes.yaml, each preset with its source; docs/presets.md).
//
// Decoding walks go.yaml.in/yaml/v3's node tree against the File structs
// by reflection rather than using yaml's own struct decoding, so that
// every problem carries its file, line, column and field path, and all
// problems are reported at once (type Problems) instead of the first.
// Before decoding, aliases are replaced by copies of their anchors'
// values and merge keys (<<) resolved (alias.go), so the decoder sees
// plain values; copies are placed at the alias, and are bounded to
// 100,000 values in all.
//
// A sweep is the cartesian product of its axes: one key, or keys under
// zip: (or joined by ';' in one --param) that move together. Points are
// counted (CountPoints) before any is built, each built from a copy of
// the document without its sweep block: the cost is linear in the
// points.
//
// Field addressing (--set KEY=VALUE and the keys of sweep:) is dots with
// list items named by their name, checked against the same schema, so an
// unknown key fails with the keys that exist at that point.
//
// Defaults: seed 1, warmup 0, replications 1, sample_every duration/200,
// protocol tcp, keepalive none, TCP keepalive idle/interval/count from
// Linux (7200 s, 75 s, 9), app keepalive jitter 0 and misses 1, reconnect
// backoff 1 s, max_backoff max(1 m, backoff), handshake 3 packets 172 B,
// retransmit_timeout 924.6 s, network rtt 0 and loss 0.
package scenarios
