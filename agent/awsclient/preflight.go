package awsclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/awserr"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/redact"
)

// PreflightError says why a destination could not be described.
type PreflightError struct {
	Kind        config.DestinationKind
	Destination string
	Region      string
	Endpoint    string
	// Code and Message are the AWS error code and message ("" when the call
	// failed before an answer, e.g. a network or credential error).
	Code    string
	Message string
	Err     error
	// DescribeDenied: these credentials may not describe the destination
	// (AccessDeniedException from Kinesis or Firehose, not from getting
	// credentials). Sending needs another permission, which this check
	// does not test: a least-privilege role with only PutRecords /
	// PutRecordBatch sends fine.
	DescribeDenied bool
}

func (e *PreflightError) Error() string {
	what := "kinesis stream"
	if e.Kind == config.Firehose {
		what = "firehose delivery stream"
	}
	detail := e.Message
	if e.Code != "" {
		detail = e.Code + ": " + e.Message
	}
	msg := fmt.Sprintf("%s %q (region %s, endpoint %s): %s", what, e.Destination, e.Region, e.Endpoint, detail)
	if e.DescribeDenied {
		describe, put := "kinesis:DescribeStreamSummary", "kinesis:PutRecords"
		if e.Kind == config.Firehose {
			describe, put = "firehose:DescribeDeliveryStream", "firehose:PutRecordBatch"
		}
		msg += fmt.Sprintf(" (this check needs %s; sending needs %s, which it does not test)", describe, put)
	}
	return msg
}

func (e *PreflightError) Unwrap() error { return e.Err }

// Preflight describes each distinct destination of flows once
// (DescribeStreamSummary / DescribeDeliveryStream) and returns one error
// per destination that could not be described, in flow order. Each names
// the stream, region, endpoint and the AWS error code and message.
func (c *Clients) Preflight(ctx context.Context, flows []config.Flow) []error {
	type key struct {
		kind config.DestinationKind
		name string
	}
	seen := map[key]bool{}
	var errs []error
	for i := range flows {
		f := &flows[i]
		k := key{f.Kind, f.Destination}
		if seen[k] {
			continue
		}
		seen[k] = true
		var err error
		svc := KinesisService
		switch f.Kind {
		case config.Firehose:
			svc = FirehoseService
			_, err = c.Firehose.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{
				DeliveryStreamName: &f.Destination,
			})
		default:
			_, err = c.Kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{
				StreamName: &f.Destination,
			})
		}
		if err != nil {
			errs = append(errs, c.preflightError(ctx, f, svc, err))
		}
	}
	return errs
}

func (c *Clients) preflightError(ctx context.Context, f *config.Flow, svc Service, err error) error {
	pe := &PreflightError{
		Kind: f.Kind, Destination: f.Destination,
		Region: c.regions[svc], Endpoint: c.endpoints[svc],
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		pe.Code, pe.Message = ae.ErrorCode(), ae.ErrorMessage()
		if pe.Message == "" {
			pe.Message = "(no message)"
		}
		// The SDK says "get identity: get credentials: ..." when the
		// error came from the credential provider (e.g. STS AssumeRole):
		// named with its call, HTTP status and the credential source.
		if awserr.FromCredentials(err) {
			pe.Code, pe.Message = awserr.Credentials(err, c.credentials)
		} else {
			pe.DescribeDenied = pe.Code == "AccessDeniedException"
		}
	} else {
		pe.Message = err.Error()
		if strings.Contains(c.credentials, defaultChain) && strings.Contains(pe.Message, "no EC2 IMDS role found") {
			// The chain found nothing (for the agent, or for the role it
			// assumes): the SDK names only its last source (the instance
			// profile); Java listed them all. (A source the chain found
			// that then failed, an assumed role's or web identity's STS
			// call, has its own error.)
			pe.Message += " (no credentials found: the default chain tried the environment (AWS_ACCESS_KEY_ID), " +
				"the shared files (~/.aws/credentials, ~/.aws/config; AWS_PROFILE), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), " +
				"the container endpoint and the EC2 instance profile: set awsAccessKeyId and awsSecretAccessKey in agent.json, " +
				"or give the instance, task or pod a role)"
		}
	}
	secrets := c.currentSecrets(ctx)
	pe.Message = redact.Secrets(pe.Message, secrets...)
	pe.Err = &redactedError{msg: redact.Secrets(err.Error(), secrets...), err: err}
	return pe
}

// currentSecrets are the secret strings that must never be shown: the
// agent.json secret key and the cached credentials' secret and token.
func (c *Clients) currentSecrets(ctx context.Context) []string {
	s := append(append([]string(nil), c.secrets...), c.ctoken.secrets()...)
	if c.AWS.Credentials != nil {
		// Normally cached by the call that just failed.
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if cr, err := c.AWS.Credentials.Retrieve(cctx); err == nil {
			s = append(s, cr.SecretAccessKey, cr.SessionToken)
		}
	}
	return s
}

// redactedError shows a redacted message but unwraps to the SDK error.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
