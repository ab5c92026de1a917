// Command natsim simulates NAT and other middlebox connection tables
// traversed by long-lived connections, and reports how often they break,
// how long breaks go unnoticed and what keepalives cost.
//
// The command line is package internal/cli; main only exits with the
// status that cli.Main returns (0 ok, 1 failure, 2 bad input or usage,
// 130 interrupted).
package main

import (
	"context"
	"os"

	"github.com/natsim/natsim/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
