package processors

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeIMDS is an IMDSv2 server: a token from PUT /latest/api/token is
// required on every GET.
type fakeIMDS struct {
	mu        sync.Mutex
	down      bool
	noTags    bool
	doc       string
	tags      map[string]string
	tagOrder  []string
	docGets   atomic.Int32
	tokenPuts atomic.Int32
}

func (f *fakeIMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
		if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
			http.Error(w, "missing ttl", http.StatusBadRequest)
			return
		}
		f.tokenPuts.Add(1)
		w.Write([]byte("TOKEN123"))
		return
	}
	if r.Method != http.MethodGet || r.Header.Get("X-aws-ec2-metadata-token") != "TOKEN123" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/latest/dynamic/instance-identity/document":
		f.docGets.Add(1)
		w.Write([]byte(f.doc))
	case r.URL.Path == "/latest/meta-data/tags/instance" && !f.noTags:
		w.Write([]byte(strings.Join(f.tagOrder, "\n")))
	case strings.HasPrefix(r.URL.Path, "/latest/meta-data/tags/instance/") && !f.noTags:
		v, ok := f.tags[strings.TrimPrefix(r.URL.Path, "/latest/meta-data/tags/instance/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(v))
	default:
		http.NotFound(w, r)
	}
}

const identityDoc = `{
  "accountId" : "123456789012", "architecture" : "x86_64", "availabilityZone" : "us-east-1a",
  "imageId" : "ami-0abc", "instanceId" : "i-0123456789abcdef0", "instanceType" : "t3.micro",
  "pendingTime" : "2024-05-01T10:00:00Z", "privateIp" : "10.0.0.5", "region" : "us-east-1", "version" : "2017-09-30"
}`

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newEC2Chain(t *testing.T, f *fakeIMDS, clk *fakeClock, ttl string, pretty bool) *Chain {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	o := Option{Name: "ADDEC2METADATA", LogFormat: "SYSLOG", MetadataTTL: ttl}
	if pretty {
		o.JSONFormat = "PRETTYPRINT"
	}
	c, err := Build([]Option{o}, Deps{IMDSEndpoint: srv.URL, Now: clk.now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAddEC2MetadataAppendsIdentityAndTags(t *testing.T) {
	f := &fakeIMDS{doc: identityDoc, tags: map[string]string{"Name": "web-1", "Env": "prod"}, tagOrder: []string{"Env", "Name"}}
	clk := &fakeClock{time.Date(2024, 5, 1, 12, 0, 30, 0, time.UTC)}
	c := newEC2Chain(t, f, clk, "", false)
	out, res := c.Process(nil, []byte(`{"b":1,"region":"old","a":{"x":[1.50,true,null]}}`+"\n"))
	want := `{"b":1,"region":"us-east-1","a":{"x":[1.5,true,null]},"privateIp":"10.0.0.5","availabilityZone":"us-east-1a","instanceId":"i-0123456789abcdef0","instanceType":"t3.micro","accountId":"123456789012","amiId":"ami-0abc","metadataTimestamp":"2024-05-01T12:00:30+0000","tags":{"env":"prod","name":"web-1"}}` + "\n"
	if res != Converted || string(out) != want {
		t.Fatalf("%v\n got  %s\n want %s", res, out, want)
	}
	// non-JSON record -> raw fallback (spec §10 item 30)
	out, res = c.Process(nil, []byte("plain text\n"))
	if res != Fallback || string(out) != "plain text\n" {
		t.Fatalf("%v %q", res, out)
	}
	// a JSON array is not an object -> fallback
	if _, res = c.Process(nil, []byte("[1]\n")); res != Fallback {
		t.Fatal(res)
	}
	// trailing content after the object is ignored, as Jackson does
	out, res = c.Process(nil, []byte(`{"a":1} trailing`+"\n"))
	if res != Converted || !strings.HasPrefix(string(out), `{"a":1,"privateIp"`) {
		t.Fatalf("%v %q", res, out)
	}
}

func TestAddEC2MetadataRefreshesAfterTTL(t *testing.T) {
	f := &fakeIMDS{doc: identityDoc, tags: map[string]string{}, noTags: true}
	clk := &fakeClock{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	c := newEC2Chain(t, f, clk, "60", false)
	if f.docGets.Load() != 1 {
		t.Fatalf("fetched %d times at build", f.docGets.Load())
	}
	out, _ := c.Process(nil, []byte(`{}`))
	if strings.Contains(string(out), "tags") || !strings.Contains(string(out), `"metadataTimestamp":"2024-05-01T12:00:00+0000"`) {
		t.Fatalf("%s", out)
	}
	clk.t = clk.t.Add(60 * time.Second) // not yet expired (Java: timestamp+ttl < now)
	c.Process(nil, []byte(`{}`))
	if f.docGets.Load() != 1 {
		t.Fatal("refreshed too early")
	}
	f.mu.Lock()
	f.doc = strings.Replace(identityDoc, "t3.micro", "m5.large", 1)
	f.mu.Unlock()
	clk.t = clk.t.Add(time.Millisecond)
	out, _ = c.Process(nil, []byte(`{}`))
	if f.docGets.Load() != 2 || !strings.Contains(string(out), `"instanceType":"m5.large"`) || !strings.Contains(string(out), "12:01:00+0000") {
		t.Fatalf("gets=%d out=%s", f.docGets.Load(), out)
	}
}

func TestAddEC2MetadataOutagePassesRecordsUnchanged(t *testing.T) {
	f := &fakeIMDS{doc: identityDoc, down: true}
	clk := &fakeClock{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	c := newEC2Chain(t, f, clk, "3600", false)
	// no metadata: the record is passed through unchanged, raw bytes
	out, res := c.Process(nil, []byte("{\"a\":1}\xff\n"))
	if res != Converted || string(out) != "{\"a\":1}\xff\n" {
		t.Fatalf("%v %q", res, out)
	}
	// service back; Java would wait the whole TTL, we retry after a minute
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
	clk.t = clk.t.Add(30 * time.Second)
	out, _ = c.Process(nil, []byte(`{"a":1}`))
	if string(out) != `{"a":1}` {
		t.Fatalf("retried too early: %s", out)
	}
	clk.t = clk.t.Add(31 * time.Second)
	out, _ = c.Process(nil, []byte(`{"a":1}`))
	if !strings.Contains(string(out), `"instanceId":"i-0123456789abcdef0"`) {
		t.Fatalf("not recovered: %s", out)
	}
	// outage at a TTL refresh: nothing is kept (spec §6.7)
	f.mu.Lock()
	f.down = true
	f.mu.Unlock()
	clk.t = clk.t.Add(2 * time.Hour)
	out, _ = c.Process(nil, []byte(`{"a":1}`))
	if string(out) != `{"a":1}` {
		t.Fatalf("stale metadata kept: %s", out)
	}
}

func TestAddEC2MetadataPrettyPrint(t *testing.T) {
	f := &fakeIMDS{doc: identityDoc, tags: map[string]string{"K": "v"}, tagOrder: []string{"K"}}
	clk := &fakeClock{time.Date(2024, 5, 1, 12, 0, 30, 0, time.UTC)}
	c := newEC2Chain(t, f, clk, "", true)
	out, _ := c.Process(nil, []byte(`{"a":[]}`))
	want := "{\n  \"a\" : [ ],\n  \"privateIp\" : \"10.0.0.5\",\n  \"availabilityZone\" : \"us-east-1a\",\n  \"instanceId\" : \"i-0123456789abcdef0\",\n  \"instanceType\" : \"t3.micro\",\n  \"accountId\" : \"123456789012\",\n  \"amiId\" : \"ami-0abc\",\n  \"region\" : \"us-east-1\",\n  \"metadataTimestamp\" : \"2024-05-01T12:00:30+0000\",\n  \"tags\" : {\n    \"k\" : \"v\"\n  }\n}\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
}

func TestAddEC2MetadataFallsBackToIMDSv1WhenTokenRefused(t *testing.T) {
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "no v2", http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("X-aws-ec2-metadata-token") != "" {
			t.Errorf("token sent after refusal")
		}
		if r.URL.Path == "/latest/dynamic/instance-identity/document" {
			gets.Add(1)
			w.Write([]byte(identityDoc))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c, err := Build([]Option{{Name: "ADDEC2METADATA", LogFormat: "SYSLOG"}}, Deps{IMDSEndpoint: srv.URL + "/", Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	out, res := c.Process(nil, []byte(`{"x":"y"}`))
	if res != Converted || gets.Load() != 1 || !strings.Contains(string(out), `"instanceId":"i-0123456789abcdef0"`) || strings.Contains(string(out), "tags") {
		t.Fatalf("%v %s", res, out)
	}
}

func TestAddEC2MetadataUnreachableIMDSStillBuilds(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused
	c, err := Build([]Option{{Name: "ADDEC2METADATA", LogFormat: "SYSLOG"}}, Deps{IMDSEndpoint: url})
	if err != nil {
		t.Fatal(err)
	}
	out, res := c.Process(nil, []byte("{\"a\":1}\n"))
	if res != Converted || string(out) != "{\"a\":1}\n" {
		t.Fatalf("%v %q", res, out)
	}
}

// The instance metadata service is reached directly, never through
// HTTP_PROXY (Java's EC2MetadataUtils: Proxy.NO_PROXY): a proxy cannot
// reach the link-local address, or answers with its own host's identity.
func TestAddEC2MetadataNeverUsesTheEnvironmentsProxy(t *testing.T) {
	o := Option{Name: "ADDEC2METADATA", LogFormat: "SYSLOG"}
	srv := httptest.NewServer(&fakeIMDS{doc: identityDoc, noTags: true})
	defer srv.Close()
	e := newEC2Metadata(&o, Deps{IMDSEndpoint: srv.URL, Now: time.Now, Location: time.UTC, Logger: slog.New(slog.DiscardHandler)}, false)
	tr, ok := e.client.Transport.(*http.Transport)
	if !ok || tr.Proxy != nil {
		t.Fatalf("the metadata client's transport %T has a proxy function (HTTP_PROXY would be used)", e.client.Transport)
	}
}

// Two ADDEC2METADATA without metadata both pass the record through: the
// raw bytes go out, as from one (Java's converters hand on their input
// buffer). The second used to get the UTF-8-repaired copy, so a byte 0xFF
// went out as EF BF BD. From a parity review.
func TestAChainOfConvertersThatAllPassSendsTheRawBytes(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused: no metadata
	c, err := Build([]Option{
		{Name: "ADDEC2METADATA", LogFormat: "SYSLOG"},
		{Name: "ADDEC2METADATA", LogFormat: "SYSLOG"},
	}, Deps{IMDSEndpoint: url})
	if err != nil {
		t.Fatal(err)
	}
	in := "{\"a\":1}\xff\n"
	out, res := c.Process(nil, []byte(in))
	if res != Converted || string(out) != in {
		t.Fatalf("got %v %q, want Converted %q", res, out, in)
	}
}
