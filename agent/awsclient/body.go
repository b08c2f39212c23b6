package awsclient

import (
	"context"
	"errors"
	"io"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Over HTTP/1.1 an SDK call could be answered, lose its answer and be sent
// again, storing its records twice (aws-sdk-go-v2 issues 1825 and 2737):
//
//  1. smithy wraps a request body that has WriteTo in a closer whose WriteTo
//     returns io.EOF once closed, and closes it as soon as the answer's
//     headers are in;
//  2. net/http, after writing a body of known length, copies the body once
//     more to check for extra bytes; when that copy runs after step 1 it
//     fails with io.EOF, and the transport closes the connection while the
//     answer's body is still being read;
//  3. the SDK retries the "use of closed network connection" error, and the
//     destination gets the same request twice.
//
// A body without WriteTo is read with Read, which ends with a clean io.EOF
// after the close. hideBodyWriteTo hides WriteTo of every request body
// (the SDK's serializers use bytes.Reader, which has one).

const hideBodyWriteToID = "KinesisAgentHideBodyWriteTo"

// readSeekLen is a request body with Read, Seek and Len but no WriteTo.
type readSeekLen struct {
	io.ReadSeeker
	n func() int
}

func (r readSeekLen) Len() int { return r.n() }

type hideBodyWriteTo struct{}

func (hideBodyWriteTo) ID() string { return hideBodyWriteToID }

func (hideBodyWriteTo) HandleBuild(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
	middleware.BuildOutput, middleware.Metadata, error,
) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return next.HandleBuild(ctx, in)
	}
	body, ok := req.GetStream().(interface {
		io.ReadSeeker
		io.WriterTo
		Len() int
	})
	if !ok {
		return next.HandleBuild(ctx, in)
	}
	nreq, err := req.SetStream(readSeekLen{ReadSeeker: body, n: body.Len})
	if err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, err
	}
	in.Request = nreq
	return next.HandleBuild(ctx, in)
}

func hideBodyWriteToAPIOption(s *middleware.Stack) error {
	if _, ok := s.Build.Get(hideBodyWriteToID); ok {
		return nil
	}
	return s.Build.Add(hideBodyWriteTo{}, middleware.After)
}

// maxAnswerBytes caps the body of every answer the SDK's clients read. A
// PutRecords answer for 500 records is under 100 KB; a wrong endpoint, a
// proxy or a captive portal answering with a huge or endless body was read
// whole into memory (128 MiB: +400 MiB of heap).
const maxAnswerBytes = 16 << 20

// errAnswerTooLarge ends the reading of an answer over maxAnswerBytes: the
// call fails (and is retried) as for any unreadable answer.
var errAnswerTooLarge = errors.New("answer larger than 16 MiB: not an AWS answer (check the endpoint and any proxy)")

// cappedBody reads at most left bytes of r, then fails.
type cappedBody struct {
	r    io.ReadCloser
	left int64
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if int64(n) > c.left {
		n, c.left = int(c.left), 0
		return n, errAnswerTooLarge
	}
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.r.Close() }

// capAnswerAPIOption caps every answer's body at maxAnswerBytes. It sits
// last in the deserialize step, so that it wraps the body before any
// deserializer reads it.
func capAnswerAPIOption(s *middleware.Stack) error {
	return afterEachAttempt(s, "KinesisAgentCapAnswer", middleware.After, func(out middleware.DeserializeOutput, _ error) {
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil {
			resp.Body = &cappedBody{r: resp.Body, left: maxAnswerBytes}
		}
	})
}

// afterEachAttempt adds to the deserialize step, once, at pos (After: next
// to the transport, before any deserializer reads the answer; Before:
// after they did), a middleware that gives fn each attempt's outcome.
func afterEachAttempt(s *middleware.Stack, id string, pos middleware.RelativePosition, fn func(middleware.DeserializeOutput, error)) error {
	if _, ok := s.Deserialize.Get(id); ok {
		return nil
	}
	return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc(id,
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			fn(out, err)
			return out, md, err
		}), pos)
}
