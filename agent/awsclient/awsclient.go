// Package awsclient builds the agent's AWS SDK clients (Kinesis, Firehose,
// CloudWatch) from agent.json with the Java agent's endpoint, region,
// credential and HTTP rules (spec §2.2-2.3), and checks the flows'
// destinations before sending (Preflight).
//
// All three clients share one aws.Config: one region, one credential
// provider (cached), one HTTP client and one retryer. Differences from the
// Java agent are listed in docs/compat/awsclient.md; the main one is that
// Firehose and CloudWatch use the same region as Kinesis instead of
// silently defaulting to us-east-1.
//
// Secrets (awsSecretAccessKey, session tokens) never reach an error, a log
// line or the String form of Clients.
package awsclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/redact"
)

// Service names one of the AWS services the agent talks to.
type Service string

// The services.
const (
	KinesisService    Service = "kinesis"
	FirehoseService   Service = "firehose"
	CloudWatchService Service = "cloudwatch"
	STSService        Service = "sts"
)

// Java-compatible constants.
const (
	// SessionName is the RoleSessionName of assumeRoleARN sessions.
	SessionName = "AWSKinesisAgent"
	// AssumeRoleDuration is the assumed-role session length.
	AssumeRoleDuration = time.Hour
	// DefaultAgentVersion is the version in the user agent
	// ("aws-kinesis-agent/<ver>") unless WithAgentVersion says otherwise;
	// the Java agent's default user agent says 1.1.
	DefaultAgentVersion = "1.1"
	// javaDefaultRegion is the region the Java agent's SDK signs for when
	// an endpoint's host names none.
	javaDefaultRegion = "us-east-1"

	// DefaultMaxAttempts is the SDK attempts per call (1 retry): the flow
	// sender owns backoff and retries.
	DefaultMaxAttempts = 2

	defaultConnectionTimeout = 10 * time.Second
	defaultSocketTimeout     = 50 * time.Second
	defaultMaxConnections    = 50
	defaultIdleConnTimeout   = 60 * time.Second
	// defaultTLSHandshakeTimeout is the SDK transport's (Java has no key).
	defaultTLSHandshakeTimeout = 10 * time.Second
	imdsRegionTimeout          = 5 * time.Second

	// Credentials are renewed this long before they expire, so that no
	// call is signed with credentials about to lapse: an assumed role a
	// minute before (Java's STSAssumeRoleSessionCredentialsProvider),
	// the default chain's (instance profile, container, web identity, SSO)
	// five minutes before (Java's instance-profile fetcher: 15 minutes).
	assumeRoleRefreshWindow   = time.Minute
	defaultChainRefreshWindow = 5 * time.Minute
)

// ErrNoRegion is returned when no region can be resolved.
var ErrNoRegion = errors.New("no AWS region")

// Option changes how New builds the clients.
type Option func(*options)

type options struct {
	imdsEndpoint string
	httpClient   aws.HTTPClient
	logger       *slog.Logger
	agentVersion string
	maxAttempts  int
}

// WithIMDSEndpoint sets the EC2 instance metadata endpoint (region lookup
// and instance-profile credentials), e.g. an httptest server in tests.
func WithIMDSEndpoint(endpoint string) Option {
	return func(o *options) { o.imdsEndpoint = endpoint }
}

// WithHTTPClient replaces the HTTP client built from the agent.json HTTP
// keys (those keys then have no effect).
func WithHTTPClient(c aws.HTTPClient) Option {
	return func(o *options) { o.httpClient = c }
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithAgentVersion sets <ver> in the "aws-kinesis-agent/<ver>" user agent.
func WithAgentVersion(v string) Option {
	return func(o *options) { o.agentVersion = v }
}

// WithMaxAttempts sets the SDK attempts per call (>= 1).
func WithMaxAttempts(n int) Option {
	return func(o *options) { o.maxAttempts = n }
}

// Clients holds the AWS clients built from one aws.Config.
type Clients struct {
	Kinesis    *kinesis.Client
	Firehose   *firehose.Client
	CloudWatch *cloudwatch.Client
	// AWS is the shared configuration (region, credentials, HTTP client,
	// retryer), e.g. for other clients such as IMDS. Never print or log it:
	// its credential provider may hold the static secret key.
	AWS aws.Config

	region       string
	regions      map[Service]string
	endpoints    map[Service]string // effective URL, for log lines
	overridden   map[Service]bool
	credentials  string // description of the credential source
	imdsEndpoint string
	secrets      []string
	ctoken       *containerToken
	logger       *slog.Logger

	conns *connSet // of the agent's own HTTP client (nil with WithHTTPClient)

	seenMu sync.Mutex
	seen   []string // secret key and token of credentials Redact saw, newest last
}

// New builds the clients. ctx bounds the region lookup (EC2 instance
// metadata); the clients themselves are not tied to it.
func New(ctx context.Context, cfg *config.Config, opts ...Option) (*Clients, error) {
	if cfg == nil {
		return nil, errors.New("awsclient: nil config")
	}
	o := options{agentVersion: DefaultAgentVersion, maxAttempts: DefaultMaxAttempts}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.maxAttempts < 1 {
		o.maxAttempts = 1
	}
	log := o.logger.With("component", "AWSClients")

	eps := map[Service]string{}
	for svc, raw := range map[Service]string{
		KinesisService:    cfg.KinesisEndpoint,
		FirehoseService:   cfg.FirehoseEndpoint,
		CloudWatchService: cfg.CloudWatch.Endpoint,
		STSService:        cfg.STSEndpoint,
	} {
		ep, err := config.NormalizeEndpoint(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", endpointKey(svc), err)
		}
		if ep != "" {
			eps[svc] = ep
		}
	}

	// Region: kinesis.region, else what the Java agent signs a
	// kinesis.endpoint with (the region its host names, us-east-1 for a
	// host that names none: SDK v1's parseRegionName), else the SDK chain
	// (env, profile), else EC2 instance metadata.
	regionHint := strings.TrimSpace(cfg.KinesisRegion)
	if ep := eps[KinesisService]; regionHint == "" && ep != "" {
		if regionHint = RegionFromEndpoint(ep); regionHint == "" {
			regionHint = javaDefaultRegion
		}
	}

	var load []func(*awsconfig.LoadOptions) error
	if regionHint != "" {
		load = append(load, awsconfig.WithRegion(regionHint))
	}
	hc := o.httpClient
	if hc == nil {
		// The proxy variables net/http reads: one it cannot parse was
		// dropped without a word, and the agent went direct. Told at
		// ERROR, not refused: the Java agent ignores these variables, and
		// a host where going direct works must not stop starting after an
		// upgrade over a variable set for other programs.
		ps, err := ProxyFromEnvironment(os.Getenv)
		if err != nil {
			log.Error("Proxy setting unusable: " + err.Error())
		}
		if d := ps.Describe(); d != "" {
			log.Info("Proxy from the environment: " + d)
		}
		hc = buildHTTPClient(cfg)
	}
	load = append(load,
		awsconfig.WithHTTPClient(hc),
		// Legacy defaults mode, whatever AWS_DEFAULTS_MODE or a profile says:
		// other modes make service clients replace the dialer's and TLS
		// handshake's timeouts, which agent.json's keys decide (conn.go).
		awsconfig.WithDefaultsMode(aws.DefaultsModeLegacy),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = o.maxAttempts
				// The shared retry-token bucket would fail calls with
				// "retry quota exceeded" under sustained throttling.
				so.RateLimiter = ratelimit.None
			})
		}),
		awsconfig.WithAPIOptions(userAgentAPIOptions(userAgentPrefix(cfg, o.agentVersion))),
		awsconfig.WithAPIOptions([]func(*middleware.Stack) error{hideBodyWriteToAPIOption, capAnswerAPIOption}),
		awsconfig.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = defaultChainRefreshWindow
		}),
	)
	if o.imdsEndpoint != "" {
		load = append(load, awsconfig.WithEC2IMDSEndpoint(o.imdsEndpoint))
	}
	dropper := &credentialsDropper{every: dropEvery}
	load = append(load, awsconfig.WithAPIOptions([]func(*middleware.Stack) error{dropper.apiOption}))
	credSource := defaultChain
	if h := containerEndpointHost(os.Getenv); h != "" {
		credSource += " (container credential endpoint " + h + ")"
	}
	var secrets []string
	id, secret := strings.TrimSpace(cfg.AWSAccessKeyID), strings.TrimSpace(cfg.AWSSecretAccessKey)
	if secret != "" {
		secrets = append(secrets, secret)
	}
	// The container credential endpoint's token, which its error answer
	// may quote (the file's later contents: Clients.Redact).
	ctok := newContainerToken(os.Getenv)
	secrets = append(secrets, ctok.secrets()...)
	load = append(load, awsconfig.WithLogger(sdkLogger{log: o.logger.With("component", "AWSSDK"), secrets: &secrets}))
	switch {
	case id != "" && secret != "":
		load = append(load, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, "")))
		credSource = "awsAccessKeyId/awsSecretAccessKey from agent.json"
	case id != "":
		log.Warn("awsAccessKeyId is set but awsSecretAccessKey is not; both are needed: using the default credential chain")
	case secret != "":
		log.Warn("awsSecretAccessKey is set but awsAccessKeyId is not; both are needed: using the default credential chain")
	}

	if err := checkCABundle(os.Getenv("AWS_CA_BUNDLE")); err != nil {
		return nil, err
	}

	conns := &connSet{}
	built := false
	defer func() {
		if !built {
			conns.close() // a failed start's (the STS region lookup, a credential check)
		}
	}()
	loadConfig := func() (aws.Config, error) {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
		if err != nil {
			return awsCfg, fmt.Errorf("load AWS configuration: %s", redact.Secrets(err.Error(), secrets...))
		}
		if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok && o.httpClient == nil {
			// Last, after the SDK's AWS_CA_BUNDLE: the dialers capture the
			// final TLS configuration (conn.go).
			awsCfg.HTTPClient = withPooledCopy(bc, conns)
		}
		// The endpoints are agent.json's (as for Java, whose SDK reads no
		// AWS_ENDPOINT_URL*): one left in the service's environment or a
		// profile's endpoint_url would send elsewhere than the start-up
		// line says.
		awsCfg.BaseEndpoint = nil
		awsCfg.ConfigSources = append([]any{ignoreConfiguredEndpoints{}}, awsCfg.ConfigSources...)
		return awsCfg, nil
	}
	awsCfg, err := loadConfig()
	if err != nil {
		return nil, err
	}

	if awsCfg.Region == "" {
		r, err := imdsRegion(ctx, awsCfg, o.imdsEndpoint)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			// Stopped while asking the instance metadata: a stop, not a
			// missing region (the agent exits 0, as for any stop).
			return nil, ctx.Err()
		case !regionRequired(cfg, eps) && !(firehoseDefault(cfg, eps) && metadataSilent(err)):
			// No Kinesis flow without kinesis.endpoint (nor a role to
			// assume without sts.endpoint): a Firehose-only configuration,
			// with firehose.endpoint or without. Java's Firehose and
			// CloudWatch clients went to us-east-1 without their
			// endpoints, and started so off EC2 (refused, the service
			// failed to start after an upgrade). Firehose without its
			// endpoint goes there; else the region an endpoint names. Not
			// when the instance metadata did not answer in time (a
			// container on EC2 with a hop limit of 1, a slow boot): on EC2
			// Firehose goes to the instance's region, not to one that
			// depends on a timeout at start.
			r = javaDefaultRegion
			if !firehoseDefault(cfg, eps) {
				if r = RegionFromEndpoint(eps[FirehoseService]); r == "" {
					if r = RegionFromEndpoint(eps[CloudWatchService]); r == "" {
						r = javaDefaultRegion
					}
				}
			}
			var goes []string
			if firehoseDefault(cfg, eps) {
				goes = append(goes, "Firehose goes to "+r+" (as with the Java agent; set kinesis.region or firehose.endpoint to choose)")
			}
			if cfg.CloudWatch.EmitMetrics && eps[CloudWatchService] == "" {
				java := ""
				if r == javaDefaultRegion {
					java = "as with the Java agent; "
				}
				goes = append(goes, "CloudWatch metrics go to "+r+" ("+java+"set kinesis.region or cloudwatch.endpoint to choose)")
			}
			if len(goes) > 0 {
				log.Warn("No AWS region found (kinesis.region, AWS_REGION, a profile, instance metadata): "+strings.Join(goes, "; "),
					"region", r, "metadata", redact.Secrets(err.Error(), secrets...))
			}
		default:
			hint := ""
			if metadataSilent(err) {
				// On EC2 the metadata service answers at once, unless its
				// answers cannot reach a container (a hop limit of 1).
				hint = "; it did not answer in time: off EC2 there is none, and in a container on EC2 the instance's " +
					"metadata hop limit must be 2 (aws ec2 modify-instance-metadata-options --instance-id <id> --http-put-response-hop-limit 2)"
			}
			return nil, fmt.Errorf("%w: set kinesis.region in agent.json, AWS_REGION, or a profile region, "+
				"or run on EC2 (instance metadata: %s%s)", ErrNoRegion, redact.Secrets(err.Error(), secrets...), hint)
		}
		// Loaded again with it: the default chain's own STS clients (web
		// identity, a profile's role_arn) are built by LoadDefaultConfig
		// with the region it has then (Java's find the instance
		// metadata's region themselves).
		load = append(load, awsconfig.WithRegion(r))
		if awsCfg, err = loadConfig(); err != nil {
			return nil, err
		}
	}

	if awsCfg.Credentials != nil && !(id != "" && secret != "") {
		// The default chain: a profile's static keys are read again
		// (sharedFileKeys).
		awsCfg.Credentials = &sharedFileKeys{
			chain: awsCfg.Credentials,
			load: func(ctx context.Context) (aws.CredentialsProvider, error) {
				again, err := awsconfig.LoadDefaultConfig(ctx, load...)
				return again.Credentials, err
			},
		}
	}

	// A FIPS pseudo-region (kinesis.region or AWS_REGION fips-us-east-1,
	// us-east-1-fips): the SDK turned FIPS on again at every call from its
	// name, whatever the client said, so an endpoint set in agent.json
	// failed every call, and the start-up line named a host (of the region
	// "fips-us-east-1") that was never called. Its region, and FIPS as a
	// setting of its own (variants.go).
	if r, ok := fipsPseudoRegion(awsCfg.Region); ok {
		awsCfg.ConfigSources = append([]any{fipsRegionName(awsCfg.Region)}, awsCfg.ConfigSources...)
		awsCfg.Region = r
	}
	// FIPS and dual-stack settings of the environment or a profile: not
	// for the endpoints agent.json sets (variants.go).
	variants := variantsOf(ctx, awsCfg.ConfigSources)
	var setKeys []string
	for _, svc := range []Service{KinesisService, FirehoseService, CloudWatchService, STSService} {
		if eps[svc] != "" && (svc != STSService || strings.TrimSpace(cfg.AssumeRoleARN) != "") {
			setKeys = append(setKeys, endpointKey(svc))
		}
	}
	if msg := variants.ignoredWarning(setKeys); msg != "" {
		log.Warn(msg, "endpoints", strings.Join(setKeys, ","))
	}

	if arn := strings.TrimSpace(cfg.AssumeRoleARN); arn != "" {
		stsClient := sts.NewFromConfig(awsCfg, func(so *sts.Options) {
			if ep := eps[STSService]; ep != "" {
				so.BaseEndpoint = aws.String(ep)
				so.Region = stsSigningRegion(ep, awsCfg.Region)
				so.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateDisabled
				so.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateDisabled
			}
		})
		ext := strings.TrimSpace(cfg.AssumeRoleExternalID)
		if ext != "" {
			// A shared secret with the role's owner (the configuration
			// never echoes it either): an STS answer may quote the request.
			secrets = append(secrets, ext)
		}
		prov := stscreds.NewAssumeRoleProvider(stsClient, arn, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = SessionName
			ao.Duration = AssumeRoleDuration
			if ext != "" {
				ao.ExternalID = aws.String(ext)
			}
		})
		awsCfg.Credentials = aws.NewCredentialsCache(prov, func(o *aws.CredentialsCacheOptions) {
			o.ExpiryWindow = assumeRoleRefreshWindow
		})
		credSource = "assume role " + arn + " (long-lived: " + credSource + ")"
	}

	if inv, ok := awsCfg.Credentials.(invalidator); ok {
		dropper.cache.Store(&inv)
	}
	c := &Clients{
		imdsEndpoint: o.imdsEndpoint,
		AWS:          awsCfg,
		region:       awsCfg.Region,
		regions:      map[Service]string{},
		endpoints:    map[Service]string{},
		overridden:   map[Service]bool{},
		credentials:  credSource,
		secrets:      secrets,
		ctoken:       ctok,
		logger:       log,
		conns:        conns,
	}
	for _, svc := range []Service{KinesisService, FirehoseService, CloudWatchService, STSService} {
		c.regions[svc] = awsCfg.Region
		if ep := eps[svc]; ep != "" {
			c.endpoints[svc] = ep
			c.overridden[svc] = true
			// An AWS host names its region: sign for it (as Java did).
			switch r := RegionFromEndpoint(ep); {
			case svc == STSService:
				c.regions[svc] = stsSigningRegion(ep, awsCfg.Region)
			case svc == KinesisService && strings.TrimSpace(cfg.KinesisRegion) != "":
				// kinesis.region decides.
			case r != "":
				c.regions[svc] = r
			case strings.TrimSpace(cfg.KinesisRegion) == "":
				// A host that names no region: Java's SDK signs for
				// us-east-1, whatever the environment says.
				c.regions[svc] = javaDefaultRegion
			}
		}
	}
	c.Kinesis = kinesis.NewFromConfig(awsCfg, func(ko *kinesis.Options) {
		ko.Region = c.regions[KinesisService]
		if ep := eps[KinesisService]; ep != "" {
			ko.BaseEndpoint = aws.String(ep)
			ko.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateDisabled
			ko.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateDisabled
		}
	})
	c.Firehose = firehose.NewFromConfig(awsCfg, func(fo *firehose.Options) {
		fo.Region = c.regions[FirehoseService]
		if ep := eps[FirehoseService]; ep != "" {
			fo.BaseEndpoint = aws.String(ep)
			fo.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateDisabled
			fo.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateDisabled
		}
	})
	c.CloudWatch = cloudwatch.NewFromConfig(awsCfg, func(co *cloudwatch.Options) {
		co.Region = c.regions[CloudWatchService]
		if ep := eps[CloudWatchService]; ep != "" {
			co.BaseEndpoint = aws.String(ep)
			co.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateDisabled
			co.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateDisabled
		}
	})
	for _, svc := range []Service{KinesisService, FirehoseService, CloudWatchService, STSService} {
		if c.endpoints[svc] == "" {
			// (No endpoint of its own: the client keeps the settings.)
			c.endpoints[svc] = defaultEndpoint(ctx, svc, c.regions[svc], variants.fips, variants.dualStack)
		}
	}
	log.Info("AWS clients configured",
		"region", c.region,
		"kinesisEndpoint", c.endpoints[KinesisService],
		"firehoseEndpoint", c.endpoints[FirehoseService],
		"cloudwatchEndpoint", c.endpoints[CloudWatchService],
		"credentialSource", c.credentials)
	built = true
	return c, nil
}

// Region is the region the clients use (per-service exceptions: an
// endpoint override whose AWS host names another region).
func (c *Clients) Region() string { return c.region }

// ServiceRegion is the signing region of svc.
func (c *Clients) ServiceRegion(svc Service) string { return c.regions[svc] }

// Endpoint is the effective endpoint URL of svc: the agent.json override,
// or the SDK's default for the region.
func (c *Clients) Endpoint(svc Service) string { return c.endpoints[svc] }

// EndpointOverridden says whether agent.json set svc's endpoint.
func (c *Clients) EndpointOverridden(svc Service) bool { return c.overridden[svc] }

// CredentialSource describes where credentials come from (no secrets).
func (c *Clients) CredentialSource() string { return c.credentials }

// String describes the clients without secrets (so that %v and %+v of a
// Clients never print credentials).
func (c *Clients) String() string {
	return fmt.Sprintf("awsclient.Clients{region: %s, kinesis: %s, firehose: %s, cloudwatch: %s, credentials: %s}",
		c.region, c.endpoints[KinesisService], c.endpoints[FirehoseService], c.endpoints[CloudWatchService], c.credentials)
}

// GoString is String, for %#v.
func (c *Clients) GoString() string { return c.String() }

// regionRequired reports whether a destination in use has no region
// without one found: a Kinesis flow without kinesis.endpoint (Java's
// Kinesis client failed to start so too), or a role to assume without
// sts.endpoint. Firehose and CloudWatch fall back to us-east-1, as Java's.
func regionRequired(cfg *config.Config, eps map[Service]string) bool {
	for _, f := range cfg.Flows {
		if f.Kind == config.Kinesis && eps[KinesisService] == "" {
			return true
		}
	}
	return strings.TrimSpace(cfg.AssumeRoleARN) != "" && eps[STSService] == ""
}

// firehoseDefault reports whether a Firehose flow has no firehose.endpoint.
func firehoseDefault(cfg *config.Config, eps map[Service]string) bool {
	for _, f := range cfg.Flows {
		if f.Kind == config.Firehose && eps[FirehoseService] == "" {
			return true
		}
	}
	return false
}

// metadataSilent reports whether the instance metadata did not answer in
// time (err, from the region lookup).
func metadataSilent(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "deadline exceeded")
}

// RegionFromEndpoint returns the region named by an AWS endpoint host
// ("kinesis.eu-west-1.amazonaws.com", "firehose-fips.us-gov-west-1.amazonaws.com",
// "vpce-1.kinesis.eu-west-1.vpce.amazonaws.com", "kinesis.cn-north-1.amazonaws.com.cn"),
// or by a service label followed by a region in any other host, as SDK v1's
// parseRegionName finds it (dual-stack "kinesis.eu-west-1.api.aws",
// "kinesis-fips.us-gov-west-1.api.aws", ISO partitions), or "".
func RegionFromEndpoint(endpoint string) string {
	if endpoint == "" {
		return ""
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	labels := strings.Split(strings.ToLower(u.Hostname()), ".")
	for i, l := range labels {
		if l != "amazonaws" || i == 0 {
			continue
		}
		j := i - 1
		if labels[j] == "vpce" && j > 0 {
			j--
		}
		if looksLikeRegion(labels[j]) {
			return labels[j]
		}
		return ""
	}
	// <service>[-fips].<region>. anywhere else in the host.
	for i := 0; i+2 < len(labels); i++ {
		if svc, _, _ := strings.Cut(labels[i], "-"); endpointServices[svc] && looksLikeRegion(labels[i+1]) {
			return labels[i+1]
		}
	}
	return ""
}

// endpointServices are the first labels of the agent's services' hosts.
var endpointServices = map[string]bool{"kinesis": true, "firehose": true, "monitoring": true, "sts": true}

// looksLikeRegion matches "us-east-1", "us-gov-west-1", "cn-north-1",
// "ap-southeast-5", "eu-isoe-west-1".
func looksLikeRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" {
			return false
		}
		for _, r := range p {
			if r < 'a' || r > 'z' {
				return false
			}
		}
	}
	last := parts[len(parts)-1]
	if last == "" {
		return false
	}
	for _, r := range last {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// stsSigningRegion: the global endpoint signs for us-east-1, a regional
// AWS host for its region, anything else (a local server) for region.
func stsSigningRegion(endpoint, region string) string {
	if u, err := url.Parse(endpoint); err == nil && strings.EqualFold(u.Hostname(), "sts.amazonaws.com") {
		return "us-east-1"
	}
	if r := RegionFromEndpoint(endpoint); r != "" {
		return r
	}
	return region
}

func endpointKey(svc Service) string {
	return string(svc) + ".endpoint"
}

// defaultEndpoint is the endpoint the SDK resolves for svc in region
// when agent.json sets none, with the FIPS and dual-stack settings the
// client has (the environment's or a profile's), so that the start-up
// line and errors name the host really used.
func defaultEndpoint(ctx context.Context, svc Service, region string, fips, dualStack bool) string {
	p, f, d := aws.String(region), aws.Bool(fips), aws.Bool(dualStack)
	var u *url.URL
	switch svc {
	case KinesisService:
		if e, err := kinesis.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, kinesis.EndpointParameters{Region: p, UseFIPS: f, UseDualStack: d}); err == nil {
			u = &e.URI
		}
	case FirehoseService:
		if e, err := firehose.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, firehose.EndpointParameters{Region: p, UseFIPS: f, UseDualStack: d}); err == nil {
			u = &e.URI
		}
	case CloudWatchService:
		if e, err := cloudwatch.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, cloudwatch.EndpointParameters{Region: p, UseFIPS: f, UseDualStack: d}); err == nil {
			u = &e.URI
		}
	case STSService:
		if e, err := sts.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, sts.EndpointParameters{Region: p, UseFIPS: f, UseDualStack: d}); err == nil {
			u = &e.URI
		}
	}
	if u == nil {
		return ""
	}
	return u.String()
}

// defaultChain describes the SDK's default credential chain as the source.
const defaultChain = "default credential chain"

// sdkLogger takes the SDK's own messages (the instance metadata client's
// fallback to IMDSv1, a response checksum it could not check) into the
// agent's log: the SDK's default prints them on stderr in a format of its
// own ("SDK 2026/11/23 00:44:26 WARN ..."), beside the -l log file.
type sdkLogger struct {
	log     *slog.Logger
	secrets *[]string // (New's, which an external id joins later)
}

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	msg := redact.Secrets(fmt.Sprintf(format, v...), *l.secrets...)
	if c == logging.Warn {
		l.log.Warn(msg)
	} else {
		l.log.Debug(msg)
	}
}

// InstanceID returns the EC2 instance id from instance metadata (IMDSv2),
// for CloudWatch's Instance dimension (cloudwatch.tagInstance). Off EC2 it
// fails within a few seconds; callers fall back to the host name as Java does.
func (c *Clients) InstanceID(ctx context.Context) (string, error) {
	client := imds.NewFromConfig(c.AWS, func(io *imds.Options) {
		if c.imdsEndpoint != "" {
			io.Endpoint = c.imdsEndpoint
		}
		io.HTTPClient = noKeepAlive(io.HTTPClient)
	})
	ctx, cancel := context.WithTimeout(ctx, imdsRegionTimeout)
	defer cancel()
	out, err := client.GetMetadata(ctx, &imds.GetMetadataInput{Path: "instance-id"})
	if err != nil {
		return "", err
	}
	defer out.Content.Close()
	b, err := io.ReadAll(io.LimitReader(out.Content, 256))
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(b))
	if id == "" {
		return "", errors.New("instance metadata returned no instance id")
	}
	return id, nil
}

// noKeepAlive returns h without keep-alive, for the start-up's instance
// metadata calls: the metadata client rebuilds its dialer (its own short
// timeouts), which drops the tracking of connSet, so a pooled connection
// would outlive Close. (The default chain's instance-profile and container
// credentials keep theirs until the transport's idle timeout.)
func noKeepAlive(h imds.HTTPClient) imds.HTTPClient {
	if bc, ok := h.(*awshttp.BuildableClient); ok {
		return bc.WithTransportOptions(func(tr *http.Transport) { tr.DisableKeepAlives = true })
	}
	return h
}

func imdsRegion(ctx context.Context, cfg aws.Config, endpoint string) (string, error) {
	client := imds.NewFromConfig(cfg, func(io *imds.Options) {
		if endpoint != "" {
			io.Endpoint = endpoint
		}
		io.HTTPClient = noKeepAlive(io.HTTPClient)
	})
	ctx, cancel := context.WithTimeout(ctx, imdsRegionTimeout)
	defer cancel()
	out, err := client.GetRegion(ctx, &imds.GetRegionInput{})
	if err != nil {
		return "", err
	}
	if out.Region == "" {
		return "", errors.New("instance metadata returned no region")
	}
	return out.Region, nil
}

// buildHTTPClient applies connectionTimeoutMillis, socketTimeoutMillis,
// maxConnections, useTcpKeepAlive and useHttpGzip. Proxies come from
// HTTPS_PROXY / HTTP_PROXY / NO_PROXY (the SDK transport's default).
func buildHTTPClient(cfg *config.Config) *awshttp.BuildableClient {
	connect := cfg.ConnectionTimeout
	if connect <= 0 {
		connect = defaultConnectionTimeout
	}
	socket := cfg.SocketTimeout
	if socket <= 0 {
		socket = defaultSocketTimeout
	}
	maxConns := cfg.MaxConnections
	if maxConns <= 0 {
		maxConns = defaultMaxConnections
	}
	keepAlive := cfg.UseTCPKeepAlive
	gzip := cfg.UseHTTPGzip
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = connect
			if keepAlive {
				d.KeepAlive = 0 // Go's default keep-alive probes
			} else {
				d.KeepAlive = -1 // Java default: no SO_KEEPALIVE
			}
		}).
		WithTransportOptions(func(tr *http.Transport) {
			tr.Proxy = proxyExceptInstanceMetadata
			tr.OnProxyConnectResponse = proxyConnectRefused
			tr.MaxIdleConnsPerHost = maxConns
			tr.MaxIdleConns = 4 * maxConns // Kinesis, Firehose, CloudWatch, STS hosts
			tr.IdleConnTimeout = defaultIdleConnTimeout
			tr.TLSHandshakeTimeout = defaultTLSHandshakeTimeout
			tr.DisableCompression = !gzip
			// HTTP/1.1 only, like the Java agent's HTTP client: one
			// connection per sending thread. Over HTTP/2 Go's client
			// copies every request body through a per-stream buffer as
			// large as the body (up to 512 KiB), plus framer buffers: 34
			// of the 129 MB allocated per million CSVTOJSON lines, and
			// about 2 MB more peak RSS (docs/PERFORMANCE.md). Request
			// bodies must then have no WriteTo (body.go).
			var protocols http.Protocols
			protocols.SetHTTP1(true)
			tr.Protocols = &protocols
			tr.ForceAttemptHTTP2 = false
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			// The SDK's transport offers h2 by ALPN; a server would pick
			// it and then not understand HTTP/1.1.
			tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		}).
		WithReadTimeout(socket)
}

// proxyExceptInstanceMetadata is http.ProxyFromEnvironment, except that
// the link-local instance and container metadata services (169.254.169.254,
// 169.254.170.2, fd00:ec2::254 …) are always reached directly, as Java's
// SDK does (Proxy.NO_PROXY): a proxy cannot reach them, or would answer
// with its own host's region and role.
func proxyExceptInstanceMetadata(req *http.Request) (*url.URL, error) {
	if ip := net.ParseIP(req.URL.Hostname()); ip != nil && (ip.IsLinkLocalUnicast() || isEC2IPv6Metadata(ip)) {
		return nil, nil
	}
	return http.ProxyFromEnvironment(req)
}

// proxyConnectRefused names the proxy and the host when the proxy refuses
// a CONNECT: net/http's error was the status text alone ("Forbidden"),
// read as an IAM denial.
func proxyConnectRefused(_ context.Context, proxyURL *url.URL, req *http.Request, res *http.Response) error {
	if res.StatusCode == http.StatusOK {
		return nil
	}
	hint := ""
	switch res.StatusCode {
	case http.StatusForbidden:
		hint = " (check the proxy's allow-list for *.amazonaws.com)"
	case http.StatusProxyAuthRequired:
		hint = " (check the user and password in HTTPS_PROXY, percent-encoded)"
	}
	return fmt.Errorf("the proxy %s refused CONNECT to %s: %s%s", proxyURL.Host, req.Host, res.Status, hint)
}

// checkCABundle checks the file AWS_CA_BUNDLE names ("" when unset) as
// the SDK reads it, so that the error names the variable and the path:
// the SDK's said "load AWS configuration: failed to load custom CA bundle
// PEM file" and nothing more.
func checkCABundle(path string) error {
	if path == "" {
		return nil
	}
	const fix = ": fix or unset it (the Java agent ignores this variable)"
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // (the path is named already)
		}
		return fmt.Errorf("AWS_CA_BUNDLE=%s: cannot be read: %v%s", path, err, fix)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return fmt.Errorf("AWS_CA_BUNDLE=%s: no PEM certificate found%s", path, fix)
	}
	return nil
}

// isEC2IPv6Metadata reports whether ip is in fd00:ec2::/32, the IPv6
// addresses of the EC2 metadata services.
func isEC2IPv6Metadata(ip net.IP) bool {
	ip16 := ip.To16()
	return ip.To4() == nil && ip16 != nil && ip16[0] == 0xfd && ip16[1] == 0 && ip16[2] == 0x0e && ip16[3] == 0xc2
}

// Close closes the connections of the clients' HTTP pools, and fails
// every later call. Call it when nothing uses the clients any more.
func (c *Clients) Close() {
	if c.conns != nil {
		c.conns.close()
	}
}

// Redact replaces every secret the clients know (agent.json's secret key,
// the current credentials' secret key and session token) in s with ***:
// for text a server sent back, which may quote a signed request.
//
// It never waits for a credential fetch (it runs inside log calls on the
// send path): it takes the cached credentials if they are valid, and
// remembers the last few seen, so that a token a server quotes after the
// cache has moved on is still masked.
func (c *Clients) Redact(s string) string {
	if c.AWS.Credentials != nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // cached credentials or nothing: no fetch is waited for
		if cr, err := c.AWS.Credentials.Retrieve(ctx); err == nil {
			c.remember(cr.SecretAccessKey, cr.SessionToken)
		}
	}
	c.seenMu.Lock()
	secrets := append(append([]string(nil), c.secrets...), c.seen...)
	c.seenMu.Unlock()
	return redact.Secrets(s, append(secrets, c.ctoken.secrets()...)...)
}

// remember keeps the last rememberedSecrets secret strings Redact saw.
func (c *Clients) remember(ss ...string) {
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	for _, s := range ss {
		if s == "" || slices.Contains(c.seen, s) {
			continue
		}
		c.seen = append(c.seen, s)
		if len(c.seen) > rememberedSecrets {
			c.seen = c.seen[1:]
		}
	}
}

const rememberedSecrets = 8

// ignoreConfiguredEndpoints is a configuration source that makes the
// service clients ignore AWS_ENDPOINT_URL_<SERVICE> and a profile's
// endpoint_url (the SDK's AWS_IGNORE_CONFIGURED_ENDPOINT_URLS).
type ignoreConfiguredEndpoints struct{}

func (ignoreConfiguredEndpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return true, true, nil
}
