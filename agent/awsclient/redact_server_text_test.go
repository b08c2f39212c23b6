package awsclient_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/logging"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/send"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// sendersLog sends one record, with token as the environment's session
// token, to a server that fails the call with the error type typ and the
// message quote makes of the request's X-Amz-Security-Token, and returns
// the sender's log (as agent.go wires the sender).
func sendersLog(t *testing.T, token, typ string, quote func(tokenHeader string) string) string {
	t.Helper()
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAENVEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envSecretKeyDoNotLeak/0123456789")
	t.Setenv("AWS_SESSION_TOKEN", token)
	srv := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, quote(r.Header.Get("X-Amz-Security-Token")))
	})
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
	c := mustNew(t, cfg)
	var logs syncbuf.Buffer
	log := slog.New(logging.NewHandler(logging.NewWriterOutput(&logs), slog.LevelInfo))
	s := send.NewKinesis(c.Kinesis, "s", send.Options{Logger: log, Region: c.Region(), FastCodec: true,
		Endpoint: c.Endpoint("kinesis"), Redact: c.Redact, Backoff: send.NewBackoff(time.Millisecond, time.Millisecond)})
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	ch := &record.Chunk{}
	ch.Track(1, func(*record.Chunk) {})
	bl.Add([]byte("line\n"), ch)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = s.Send(ctx, bl.Flush(time.Now()))
	return logs.String()
}

func TestSenderLogMasksTheSessionTokenQuotedByAServer(t *testing.T) {
	const token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN0123456789abcdef"
	out := sendersLog(t, token, "InvalidSignatureException", func(tok string) string {
		return "The request signature we calculated does not match ...\nThe Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:" +
			tok + "\n'"
	})
	if strings.Contains(out, token) {
		t.Errorf("session token in the agent log:\n%s", out)
	}
}

// A front end that quotes the request percent-encoded (a proxy's error
// page, a presigned-URL style echo): a real session token is base64 with
// '/', '+' and '=', so its encoded form is not the token and Redact's
// exact match missed it. From a review.
func TestTheSendersLogMasksAPercentEncodedSessionToken(t *testing.T) {
	const token = "IQoJb3JpZ2luX2Vj/EXAMPLE+SESSION/TOKEN0123456789abcdef=="
	out := sendersLog(t, token, "ValidationException", func(tok string) string {
		return "no such path /echo/" + url.QueryEscape(tok) // (no field name: masked as the known token only)
	})
	if strings.Contains(out, url.QueryEscape(token)) {
		t.Errorf("percent-encoded session token in the agent log:\n%s", out)
	}
}
