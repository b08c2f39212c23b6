package awsclient_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/logging"
)

func TestStartupLineNamesTheCredentialSource(t *testing.T) {
	isolateEnv(t)
	var buf bytes.Buffer
	log := slog.New(logging.NewHandler(logging.NewWriterOutput(&buf), slog.LevelInfo))
	cfg := baseConfig()
	cfg.KinesisRegion = "eu-west-1"
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDBASE", baseSecret
	cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
	mustNew(t, cfg, awsclient.WithLogger(log))
	if !strings.Contains(buf.String(), "assume role arn:aws:iam::123456789012:role/agent") {
		t.Errorf("credential source not shown:\n%s", buf.String())
	}
}
