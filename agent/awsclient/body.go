package awsclient

import (
	"context"
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
