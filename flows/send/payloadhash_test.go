package send

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go/middleware"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/sink"
)

// verifySigV4 signs a copy of r the way AWS checks it (same signed
// headers, same time, the SHA-256 of the body as received) and compares
// the signature with the one r carries. It returns "" when they match.
func verifySigV4(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	_, signed, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return "no SignedHeaders in " + auth
	}
	signed, _, _ = strings.Cut(signed, ",")
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return err.Error()
	}
	cp, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	cp.ContentLength = r.ContentLength
	for _, h := range strings.Split(signed, ";") {
		if h != "host" && h != "content-length" {
			cp.Header.Set(h, r.Header.Get(h))
		}
	}
	// The service of the credential scope (.../<region>/<service>/aws4_request).
	if !strings.Contains(auth, "Credential=") {
		return "no Credential in " + auth
	}
	scope := strings.Split(strings.TrimSuffix(strings.SplitN(strings.SplitN(auth, "Credential=", 2)[1], ",", 2)[0], "/aws4_request"), "/")
	service := scope[len(scope)-1]
	sum := sha256.Sum256(body)
	creds, _ := kinesistest.Config().Credentials.Retrieve(context.Background())
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, cp, hex.EncodeToString(sum[:]), service, kinesistest.Region, at); err != nil {
		return err.Error()
	}
	if got := cp.Header.Get("Authorization"); got != auth {
		return fmt.Sprintf("signature does not match the body:\n sent %s\n want %s", auth, got)
	}
	return ""
}

// The payload hash the agent hands the signer (hashed from the pooled
// body, without the signer's copy) is the body's real hash: a service
// that checks SigV4 accepts every call, first attempts and retries alike,
// for PutRecords and PutRecordBatch.
func TestPooledBodyCallsCarryASignatureOfTheirBody(t *testing.T) {
	for _, dest := range []string{"kinesis", "firehose"} {
		t.Run(dest, func(t *testing.T) {
			s := sink.New(sink.Options{})
			var mu sync.Mutex
			var bad []string
			var seen int
			var fail500 = 2 // the first calls fail as a whole, so retries are signed too
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				seen++
				if msg := verifySigV4(r, body); msg != "" && len(bad) < 3 {
					bad = append(bad, msg)
				}
				failNow := fail500 > 0
				fail500--
				mu.Unlock()
				if failNow {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				s.ServeHTTP(w, r)
			}))
			defer srv.Close()
			probe := &hashProbe{}
			var snd Sender
			var lim batch.Limits
			if dest == "kinesis" {
				client := kinesis.NewFromConfig(kinesistest.Config(), func(o *kinesis.Options) {
					o.BaseEndpoint = aws.String(srv.URL)
					o.Retryer = RetryerNoQuota()
					o.APIOptions = append(o.APIOptions, probe.install)
				})
				snd = NewKinesis(client, "s", Options{FastCodec: true, Stats: flowstats.New("f", "s", false)})
				lim = batch.KinesisLimits(0, 0, 0)
			} else {
				client := firehose.NewFromConfig(kinesistest.Config(), func(o *firehose.Options) {
					o.BaseEndpoint = aws.String(srv.URL)
					o.Retryer = RetryerNoQuota()
					o.APIOptions = append(o.APIOptions, probe.install)
				})
				snd = NewFirehose(client, "s", Options{FastCodec: true, Stats: flowstats.New("f", "s", true)})
				lim = batch.FirehoseLimits(0, 0, 0)
			}
			const n = 1200
			recs := make([][]byte, n)
			for i := range recs {
				recs[i] = []byte(fmt.Sprintf("rec-%06d-%s\n", i, bytes.Repeat([]byte{'y'}, i%97)))
			}
			keys := batch.KeyRandom
			if dest == "firehose" {
				keys = batch.KeyNone
			}
			bl := batch.NewBuilder(batch.Options{Limits: lim, Keys: keys})
			sendAll(t, snd, batches(bl, recs, tracked(n)))
			mu.Lock()
			defer mu.Unlock()
			if len(bad) > 0 {
				t.Fatalf("%d calls, bad signatures: %v", seen, bad)
			}
			if got := s.Stats(); got.Records != n || seen < 5 {
				t.Fatalf("sink got %d records in %d requests, want %d in >= 5", got.Records, seen, n)
			}
			// The shortcut really applies: every attempt reached the SDK's
			// hashing with the hash already set (else the SDK hashes by
			// itself, correctly but with its copy, and the signature check
			// above cannot tell).
			if with, without := probe.counts(); with != seen || without != 0 {
				t.Fatalf("%d of %d attempts had the payload hash set before the SDK's hashing (%d had not)", with, seen, without)
			}
		})
	}
}

// hashProbe takes the place of the SDK's ComputePayloadHash (same ID, so
// the agent's middleware is still inserted before it), counts whether the
// hash was already set, and then runs the SDK's own step.
type hashProbe struct {
	mu            sync.Mutex
	with, without int
}

func (p *hashProbe) ID() string { return (*v4.ComputePayloadSHA256)(nil).ID() }

func (p *hashProbe) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
	middleware.FinalizeOutput, middleware.Metadata, error,
) {
	p.mu.Lock()
	if v4.GetPayloadHash(ctx) != "" {
		p.with++
	} else {
		p.without++
	}
	p.mu.Unlock()
	return (&v4.ComputePayloadSHA256{}).HandleFinalize(ctx, in, next)
}

func (p *hashProbe) install(s *middleware.Stack) error {
	_, err := s.Finalize.Swap(p.ID(), p)
	return err
}

func (p *hashProbe) counts() (with, without int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.with, p.without
}
