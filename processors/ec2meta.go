package processors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// ADDEC2METADATA (spec §6.7). Identity document fields come from IMDSv2
// (token PUT, then GET /latest/dynamic/instance-identity/document). Tags
// come from the IMDS listing /latest/meta-data/tags/instance instead of
// EC2 DescribeTags (deviation: avoids the EC2 SDK and needs no IAM
// permission, but needs "instance metadata tags" enabled on the instance;
// when the listing is unavailable the record gets no "tags" field, which
// is what Java does when DescribeTags fails).

const (
	defaultIMDSEndpoint = "http://169.254.169.254"
	defaultMetadataTTL  = time.Hour
	// retryAfterFailure: after a failed refresh, the next attempt comes at
	// most this long later (Java waits a full TTL).
	retryAfterFailure = time.Minute
	noMetadataWarnGap = time.Minute
	maxIMDSBody       = 1 << 20
)

type ec2Metadata struct {
	deps      Deps
	endpoint  string
	client    *http.Client
	pretty    bool
	ttl       time.Duration
	fetchedAt time.Time
	failed    bool
	meta      []member
	log       *slog.Logger
	lastWarn  time.Time
	tagsWarn  bool
}

func newEC2Metadata(o *Option, deps Deps, pretty bool) *ec2Metadata {
	e := &ec2Metadata{deps: deps, pretty: pretty, ttl: defaultMetadataTTL,
		log: deps.Logger.With("component", "AddEC2MetadataConverter")}
	e.endpoint = deps.IMDSEndpoint
	if e.endpoint == "" {
		e.endpoint = os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
	}
	if e.endpoint == "" {
		e.endpoint = defaultIMDSEndpoint
	}
	e.endpoint = strings.TrimRight(e.endpoint, "/")
	e.client = deps.HTTPClient
	if e.client == nil {
		// Never through HTTP_PROXY: a proxy cannot reach the link-local
		// metadata service, or answers with its own host's (Java's
		// EC2MetadataUtils: Proxy.NO_PROXY).
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		// Calls minutes or hours apart (metadataTTL): a pooled connection
		// would keep two goroutines and a descriptor for nothing, and
		// after the agent stops.
		tr.DisableKeepAlives = true
		e.client = &http.Client{Timeout: 2 * time.Second, Transport: tr}
	}
	if o.MetadataTTL != "" {
		if v, err := parseJavaInt(o.MetadataTTL); err != nil {
			e.log.Warn("Error converting metadataTTL, ignoring", "key", o.Key, "value", o.MetadataTTL)
		} else {
			e.ttl = time.Duration(v) * time.Second
			e.log.Info(fmt.Sprintf("Setting metadata TTL to %d millis", e.ttl.Milliseconds()))
		}
	}
	e.refresh()
	return e
}

func (*ec2Metadata) name() string { return "AddEC2MetadataConverter" }

func (e *ec2Metadata) convert(dst, in []byte) ([]byte, outcome, error) {
	now := e.deps.now()
	next := e.fetchedAt.Add(e.ttl)
	if e.failed && e.ttl > retryAfterFailure {
		next = e.fetchedAt.Add(retryAfterFailure)
	}
	if next.Before(now) {
		e.refresh()
	}
	if len(e.meta) == 0 {
		if now.Sub(e.lastWarn) >= noMetadataWarnGap {
			e.lastWarn = now
			e.log.Warn("Unable to append metadata, no metadata found")
		}
		return dst, outPass, nil
	}
	v, err := parseFirstValue(in)
	if err != nil {
		return dst, outFail, fmt.Errorf("error converting json source data to map: %w", err)
	}
	if v.k != kObject {
		return dst, outFail, errors.New("error converting json source data to map: not a JSON object")
	}
	for _, m := range e.meta {
		v.set(m.key, m.val)
	}
	dst = appendValue(dst, &v, e.pretty, 0)
	return append(dst, '\n'), outOK, nil
}

func (e *ec2Metadata) refresh() {
	e.log.Info("Refreshing EC2 metadata")
	e.fetchedAt = e.deps.now()
	ctx := e.deps.Context
	if ctx == nil {
		ctx = context.Background()
	}
	token := e.token(ctx)
	doc, err := e.get(ctx, token, "/latest/dynamic/instance-identity/document")
	if err == nil {
		var v value
		v, err = parseFirstValue(doc)
		if err == nil && v.k != kObject {
			err = errors.New("instance identity document is not a JSON object")
		}
		if err == nil {
			e.meta = identityMembers(&v, e.fetchedAt, e.location())
			e.failed = false
			tags, terr := e.tags(ctx, token)
			if terr != nil {
				if !e.tagsWarn {
					e.tagsWarn = true
					e.log.Warn("Instance tags are not available from the instance metadata service (allow tags in instance metadata to get them); records get no tags field",
						"error", terr.Error())
				}
				return
			}
			e.meta = append(e.meta, member{"tags", tags})
			return
		}
	}
	e.meta = nil
	e.failed = true
	e.log.Warn("Error while updating EC2 metadata - " + err.Error() + ", ignoring")
}

func (e *ec2Metadata) location() *time.Location {
	if e.deps.Location != nil {
		return e.deps.Location
	}
	return time.Local
}

func identityMembers(doc *value, at time.Time, loc *time.Location) []member {
	field := func(name string) value {
		for _, m := range doc.obj {
			if m.key == name {
				switch m.val.k {
				case kString, kNull:
					return m.val
				case kNumber:
					return stringValue(m.val.text)
				case kBool:
					return stringValue(fmt.Sprint(m.val.b))
				}
				return value{k: kNull}
			}
		}
		return value{k: kNull}
	}
	return []member{
		{"privateIp", field("privateIp")},
		{"availabilityZone", field("availabilityZone")},
		{"instanceId", field("instanceId")},
		{"instanceType", field("instanceType")},
		{"accountId", field("accountId")},
		{"amiId", field("imageId")},
		{"region", field("region")},
		{"metadataTimestamp", stringValue(at.In(loc).Format("2006-01-02T15:04:05-0700"))},
	}
}

func (e *ec2Metadata) token(ctx context.Context) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, e.endpoint+"/latest/api/token", nil)
	if err != nil {
		return ""
	}
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "21600")
	resp, err := e.client.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		// IMDSv1 fallback, as the SDKs do
		return ""
	}
	return strings.TrimSpace(string(body))
}

// errNotFound is an IMDS 404.
var errNotFound = errors.New("not found")

func (e *ec2Metadata) get(ctx context.Context, token, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.endpoint+path, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("X-aws-ec2-metadata-token", token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("instance metadata %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIMDSBody))
	if err != nil {
		return nil, fmt.Errorf("instance metadata %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("instance metadata %s: %w", path, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("instance metadata %s: HTTP %d", path, resp.StatusCode)
	}
	return body, nil
}

func (e *ec2Metadata) tags(ctx context.Context, token string) (value, error) {
	const base = "/latest/meta-data/tags/instance"
	list, err := e.get(ctx, token, base)
	if err != nil {
		return value{}, err
	}
	tags := value{k: kObject, obj: []member{}}
	for _, key := range strings.Split(string(list), "\n") {
		key = strings.TrimSpace(key)
		if key == "" {
			continue
		}
		val, err := e.get(ctx, token, base+"/"+url.PathEscape(key))
		if err != nil {
			return value{}, err
		}
		tags.set(strings.ToLower(key), stringValue(string(appendJavaUTF8(nil, val))))
	}
	return tags, nil
}
