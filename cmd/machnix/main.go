// Command machnix makes Python environments reproducible with Nix.
//
// See README.md for the subcommands and their exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/machnix/machnix/internal/startheap"
)

func main() {
	startheap.Set(12 << 20)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
