package awsclient_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

func describe(t *testing.T, c *awsclient.Clients) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("s")})
	return err
}

func TestEndpointsAreUsedAndSchemeLessGetsHTTPS(t *testing.T) {
	isolateEnv(t)
	srv := newFakeAWS(t, nil)
	cfg := baseConfig()
	cfg.KinesisRegion = "us-west-2"
	cfg.KinesisEndpoint = srv.URL
	cfg.FirehoseEndpoint = srv.URL + "/"
	cfg.CloudWatch.Endpoint = srv.URL
	cfg.STSEndpoint = strings.TrimPrefix(srv.URL, "http://")
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDCONFIG", "configSecret"
	c := mustNew(t, cfg)
	if c.Endpoint(awsclient.KinesisService) != srv.URL || !c.EndpointOverridden(awsclient.KinesisService) {
		t.Errorf("kinesis endpoint %q", c.Endpoint(awsclient.KinesisService))
	}
	if c.Endpoint(awsclient.FirehoseService) != srv.URL {
		t.Errorf("firehose endpoint %q", c.Endpoint(awsclient.FirehoseService))
	}
	if got, want := c.Endpoint(awsclient.STSService), "https://"+strings.TrimPrefix(srv.URL, "http://"); got != want {
		t.Errorf("sts endpoint %q, want %q", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := describe(t, c); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Firehose.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("d")}); err == nil {
		// "{}" lacks the required description; any answer proves the endpoint.
		t.Log("firehose answered")
	}
	_, _ = c.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String("AWSKinesisAgent"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1)}},
	})
	reqs := srv.requests()
	var targets []string
	for _, r := range reqs {
		targets = append(targets, r.Target+r.Path)
		if credentialRegion(r.Authorization) != "us-west-2" {
			t.Errorf("request %s signed for region %q", r.Target+r.Path, credentialRegion(r.Authorization))
		}
	}
	joined := strings.Join(targets, " ")
	for _, want := range []string{"Kinesis_20131202.DescribeStreamSummary", "Firehose_20150804.DescribeDeliveryStream", "GraniteServiceVersion20100801"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %s request at the endpoint; got %v", want, targets)
		}
	}
}

func TestBadEndpointFailsNew(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.KinesisRegion = "us-east-1"
	cfg.FirehoseEndpoint = "ftp://x"
	_, err := awsclient.New(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "firehose.endpoint") {
		t.Fatalf("err = %v", err)
	}
}

func TestRegionFromEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"https://kinesis.eu-west-1.amazonaws.com":                 "eu-west-1",
		"https://kinesis-fips.us-gov-west-1.amazonaws.com":        "us-gov-west-1",
		"https://kinesis.cn-north-1.amazonaws.com.cn":             "cn-north-1",
		"https://vpce-0a1b.kinesis.eu-west-1.vpce.amazonaws.com":  "eu-west-1",
		"https://monitoring.ap-southeast-5.amazonaws.com:443/":    "ap-southeast-5",
		"https://sts.amazonaws.com":                               "",
		"http://127.0.0.1:4567":                                   "",
		"https://kinesis.example.com":                             "",
		"https://kinesis.not-a-region.amazonaws.com":              "",
		"https://kinesis.us-east-1.amazonaws.com.evil.example.io": "us-east-1",
	} {
		if got := awsclient.RegionFromEndpoint(in); got != want {
			t.Errorf("RegionFromEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStaticCredentialsFromConfigBeatEnvironment(t *testing.T) {
	tests := map[string]struct {
		id, secret string
		wantKey    string
	}{
		"both config keys":         {"AKIDCONFIG", "configSecret", "AKIDCONFIG"},
		"no config keys":           {"", "", "AKIDENV"},
		"only access key id":       {"AKIDCONFIG", "", "AKIDENV"},
		"only secret access key":   {"", "configSecret", "AKIDENV"},
		"blank values are not set": {"  ", "  ", "AKIDENV"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "envSecret")
			srv := newFakeAWS(t, nil)
			cfg := baseConfig()
			cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = tc.id, tc.secret
			c := mustNew(t, cfg)
			if err := describe(t, c); err != nil {
				t.Fatal(err)
			}
			if got := credentialKeyID(srv.requests()[0].Authorization); got != tc.wantKey {
				t.Errorf("signed with %q, want %q", got, tc.wantKey)
			}
		})
	}
}

func TestInstanceProfileCredentialsOverIMDSv2(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	imds := newFakeIMDS(t, "eu-north-1")
	srv := newFakeAWS(t, nil)
	cfg := baseConfig()
	cfg.KinesisEndpoint = srv.URL
	c := mustNew(t, cfg, awsclient.WithIMDSEndpoint(imds.URL))
	if err := describe(t, c); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	if credentialKeyID(r.Authorization) != "ASIAFROMIMDS" || r.Token != "imdsSessionToken" {
		t.Errorf("signed with %q token %q", credentialKeyID(r.Authorization), r.Token)
	}
	// A kinesis.endpoint naming no region signs for us-east-1, as Java
	// does, not for the instance's region.
	if credentialRegion(r.Authorization) != "us-east-1" {
		t.Errorf("region %q", credentialRegion(r.Authorization))
	}
	if imds.v1Refused.Load() != 0 {
		t.Errorf("IMDSv1 requests: %d", imds.v1Refused.Load())
	}
}

const (
	assumedKeyID  = "ASIAASSUMEDROLE"
	assumedSecret = "assumedSecretKey/XYZ+123"
	assumedToken  = "assumedSessionTokenFwoGZXIvYXdzEJr"
	baseSecret    = "baseSecretKeyDoNotLeak/987"
)

// fakeSTS answers AssumeRole with fixed credentials and records the form.
func newFakeSTS(t *testing.T, forms chan<- url.Values, auths chan<- string) *fakeAWS {
	return newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		form, _ := url.ParseQuery(string(body))
		select {
		case forms <- form:
		default:
		}
		select {
		case auths <- r.Header.Get("Authorization"):
		default:
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, fmt.Sprintf(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>%s</AccessKeyId>
      <SecretAccessKey>%s</SecretAccessKey>
      <SessionToken>%s</SessionToken>
      <Expiration>%s</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/agent/AWSKinesisAgent</Arn>
      <AssumedRoleId>AROA123EXAMPLE:AWSKinesisAgent</AssumedRoleId>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`, assumedKeyID, assumedSecret, assumedToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	})
}

func TestAssumeRoleUsesSTSEndpointAndSignsWithReturnedKey(t *testing.T) {
	isolateEnv(t)
	forms := make(chan url.Values, 10)
	auths := make(chan string, 10)
	stsSrv := newFakeSTS(t, forms, auths)
	kin := newFakeAWS(t, nil)
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint, cfg.STSEndpoint = "eu-west-1", kin.URL, stsSrv.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDBASE", baseSecret
	cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
	cfg.AssumeRoleExternalID = "ext-id-42"
	c := mustNew(t, cfg)
	if err := describe(t, c); err != nil {
		t.Fatal(err)
	}
	var form url.Values
	select {
	case form = <-forms:
	default:
		t.Fatal("no AssumeRole call at sts.endpoint")
	}
	want := map[string]string{
		"Action": "AssumeRole", "RoleArn": cfg.AssumeRoleARN, "ExternalId": "ext-id-42",
		"RoleSessionName": "AWSKinesisAgent", "DurationSeconds": "3600",
	}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("AssumeRole %s = %q, want %q", k, form.Get(k), v)
		}
	}
	if a := <-auths; credentialKeyID(a) != "AKIDBASE" || credentialRegion(a) != "eu-west-1" {
		t.Errorf("AssumeRole signed with %q for %q, want the agent.json key for eu-west-1", credentialKeyID(a), credentialRegion(a))
	}
	r := kin.requests()[0]
	if credentialKeyID(r.Authorization) != assumedKeyID || r.Token != assumedToken {
		t.Errorf("Kinesis call signed with %q token %q, want the assumed role's", credentialKeyID(r.Authorization), r.Token)
	}
	// Cached: a second call does not assume the role again.
	if err := describe(t, c); err != nil {
		t.Fatal(err)
	}
	if n := len(stsSrv.requests()); n != 1 {
		t.Errorf("%d AssumeRole calls, want 1 (cached)", n)
	}
	if !strings.Contains(c.CredentialSource(), cfg.AssumeRoleARN) {
		t.Errorf("CredentialSource %q", c.CredentialSource())
	}
}

func TestAssumeRoleWithoutExternalIDOmitsIt(t *testing.T) {
	isolateEnv(t)
	forms := make(chan url.Values, 10)
	stsSrv := newFakeSTS(t, forms, make(chan string, 10))
	kin := newFakeAWS(t, nil)
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint, cfg.STSEndpoint = "eu-west-1", kin.URL, stsSrv.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDBASE", baseSecret
	cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
	if err := describe(t, mustNew(t, cfg)); err != nil {
		t.Fatal(err)
	}
	if f := <-forms; f.Has("ExternalId") {
		t.Errorf("ExternalId sent: %q", f.Get("ExternalId"))
	}
}

func TestGlobalSTSEndpointSignsForUSEast1(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.KinesisRegion = "eu-west-1"
	cfg.STSEndpoint = "sts.amazonaws.com"
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDBASE", baseSecret
	cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
	c := mustNew(t, cfg)
	if got := c.ServiceRegion(awsclient.STSService); got != "us-east-1" {
		t.Errorf("sts region %q", got)
	}
}

func TestUserAgentPrefix(t *testing.T) {
	tests := map[string]struct {
		ua, override string
		want         string
	}{
		"default":  {"", "", "aws-kinesis-agent/9.9 aws-sdk-go-v2/"},
		"prefixed": {" my-app/2 ", "", "my-app/2 aws-kinesis-agent/9.9 aws-sdk-go-v2/"},
		"override": {"my-app/2", "custom-agent/1", "custom-agent/1 aws-sdk-go-v2/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			srv := newFakeAWS(t, nil)
			cfg := baseConfig()
			cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
			cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKID", "s"
			cfg.UserAgent, cfg.UserAgentOverride = tc.ua, tc.override
			c := mustNew(t, cfg, awsclient.WithAgentVersion("9.9"))
			if err := describe(t, c); err != nil {
				t.Fatal(err)
			}
			if err := describe(t, c); err != nil { // the prefix is not added twice
				t.Fatal(err)
			}
			for _, r := range srv.requests() {
				if !strings.HasPrefix(r.UserAgent, tc.want) {
					t.Errorf("User-Agent %q, want prefix %q", r.UserAgent, tc.want)
				}
			}
		})
	}
}

// Sustained throttling must not exhaust a shared retry-token bucket: the
// standard retryer's default bucket (500 tokens, 5 per retry) would refuse
// the 101st retry.
func TestRetryerNeverRunsOutOfRetryTokens(t *testing.T) {
	isolateEnv(t)
	cfg := baseConfig()
	cfg.KinesisRegion = "us-east-1"
	c := mustNew(t, cfg)
	r := c.AWS.Retryer()
	if r.MaxAttempts() != awsclient.DefaultMaxAttempts {
		t.Errorf("MaxAttempts %d", r.MaxAttempts())
	}
	throttled := fmt.Errorf("ProvisionedThroughputExceededException")
	for i := 0; i < 1000; i++ {
		if _, err := r.GetRetryToken(context.Background(), throttled); err != nil {
			t.Fatalf("retry token %d refused: %v", i, err)
		}
	}
	if c2 := mustNew(t, cfg, awsclient.WithMaxAttempts(5)); c2.AWS.Retryer().MaxAttempts() != 5 {
		t.Error("WithMaxAttempts ignored")
	}
}

func TestThrottlingIsRetriedAFewTimesThenReturned(t *testing.T) {
	isolateEnv(t)
	srv := newFakeAWS(t, jsonError(400, "ProvisionedThroughputExceededException", "Rate exceeded for shard"))
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKID", "s"
	c := mustNew(t, cfg)
	err := describe(t, c)
	if err == nil || !strings.Contains(err.Error(), "ProvisionedThroughputExceededException") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "quota") {
		t.Errorf("retry quota error: %v", err)
	}
	if n := len(srv.requests()); n != awsclient.DefaultMaxAttempts {
		t.Errorf("%d attempts, want %d", n, awsclient.DefaultMaxAttempts)
	}
}

// The SDK's own messages go to the agent's log, not to stderr in the SDK's
// format ("SDK 2026/11/23 00:44:26 WARN falling back to IMDSv1 ..."), where
// a service's -l log file does not have them: here, the instance metadata
// client's fallback when the token request is refused.
func TestTheSDKsOwnWarningsGoToTheAgentsLog(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	md := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latest/api/token" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer md.Close()
	srv := newFakeAWS(t, nil)
	cfg := baseConfig()
	cfg.KinesisEndpoint = srv.URL
	var logs syncbuf.Buffer
	c := mustNew(t, cfg, awsclient.WithIMDSEndpoint(md.URL),
		awsclient.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err := describe(t, c); err == nil {
		t.Fatal("signed without credentials")
	}
	if !regexp.MustCompile(`level=WARN msg="falling back to IMDSv1[^"]*" component=AWSSDK`).MatchString(logs.String()) {
		t.Errorf("the SDK's warning is not in the agent's log:\n%s", logs.String())
	}
}
