// Command api_caller writes airline-ticket prices from the Travelpayouts
// API as CSV lines into new files for the agent to ship. See
// docs/apicaller.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := app.Run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}
