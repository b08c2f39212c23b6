package awsclient

import (
	"context"
	"strings"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// userAgentPrefix is what the Java agent puts before the SDK's user agent:
// userAgentOverride if set, else "[<userAgent> ]aws-kinesis-agent/<ver>".
func userAgentPrefix(cfg *config.Config, version string) string {
	if o := strings.TrimSpace(cfg.UserAgentOverride); o != "" {
		return o
	}
	p := "aws-kinesis-agent/" + version
	if ua := strings.TrimSpace(cfg.UserAgent); ua != "" {
		p = ua + " " + p
	}
	return p
}

// userAgentPrefixMiddleware prepends the agent's part to the User-Agent
// header after the SDK built it: "<prefix> <sdk user agent>".
type userAgentPrefixMiddleware struct{ prefix string }

func (m userAgentPrefixMiddleware) ID() string { return "KinesisAgentUserAgentPrefix" }

func (m userAgentPrefixMiddleware) HandleBuild(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (
	middleware.BuildOutput, middleware.Metadata, error,
) {
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		if cur := req.Header.Get("User-Agent"); cur != "" {
			req.Header.Set("User-Agent", m.prefix+" "+cur)
		} else {
			req.Header.Set("User-Agent", m.prefix)
		}
	}
	return next.HandleBuild(ctx, in)
}

func userAgentAPIOptions(prefix string) []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{func(s *middleware.Stack) error {
		if _, ok := s.Build.Get("KinesisAgentUserAgentPrefix"); ok {
			return nil
		}
		return s.Build.Add(userAgentPrefixMiddleware{prefix: prefix}, middleware.After)
	}}
}
