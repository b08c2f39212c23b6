// Package agent wires the configured flows, the checkpoint store, the AWS
// clients and the metrics together and runs them until shutdown.
package agent

import (
	"context"
	"errors"
	"log/slog"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// Options are the process-level settings that do not come from agent.json.
type Options struct {
	Logger  *slog.Logger
	Version string
}

// Run runs the agent until ctx is cancelled (graceful shutdown, bounded by
// cfg.ShutdownTimeout) or a fatal error occurs.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	return errors.New("agent: not wired yet")
}
