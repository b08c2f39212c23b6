package awsclient_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/logging"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/send"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

func TestSenderLogMasksTheSessionTokenQuotedByAServer(t *testing.T) {
	isolateEnv(t)
	const token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN0123456789abcdef"
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAENVEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envSecretKeyDoNotLeak/0123456789")
	t.Setenv("AWS_SESSION_TOKEN", token)
	srv := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		msg := "The request signature we calculated does not match ...\nThe Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:" +
			r.Header.Get("X-Amz-Security-Token") + "\n'"
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":"InvalidSignatureException","message":%q}`, msg)
	})
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
	c := mustNew(t, cfg)
	var logs syncbuf.Buffer
	log := slog.New(logging.NewHandler(logging.NewWriterOutput(&logs), slog.LevelInfo))
	s := send.NewKinesis(c.Kinesis, "s", send.Options{Logger: log, Region: c.Region(), FastCodec: true,
		Endpoint: c.Endpoint("kinesis"), Redact: c.Redact, Backoff: send.NewBackoff(time.Millisecond, time.Millisecond)}) // as agent.go
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	ch := &record.Chunk{}
	ch.Track(1, func(*record.Chunk) {})
	bl.Add([]byte("line\n"), ch)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = s.Send(ctx, bl.Flush(time.Now()))
	if out := logs.String(); strings.Contains(out, token) {
		t.Errorf("session token in the agent log:\n%s", out)
	}
}
