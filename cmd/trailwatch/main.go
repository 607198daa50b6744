// Command trailwatch answers, from AWS CloudTrail logs, who really did
// something, whether it was allowed, and whether someone should be woken up.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/trailwatch/trailwatch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	if filepath.Base(os.Args[0]) == "bootstrap" {
		// AWS Lambda's custom runtime runs the binary as bootstrap, without
		// arguments: deploy/template.yaml sets them in TRAILWATCH_ARGS.
		args = append([]string{"lambda"}, strings.Fields(os.Getenv("TRAILWATCH_ARGS"))...)
	}
	code := cli.Execute(ctx, args, cli.StdStreams())
	stop()
	os.Exit(code)
}
