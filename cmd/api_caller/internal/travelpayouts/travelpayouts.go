// Package travelpayouts calls the Travelpayouts "month-matrix" prices API
// (GET /v2/prices/month-matrix) and decodes its tickets by field name.
//
// The access token travels only in the X-Access-Token header; it never
// appears in a URL, an error or a log line (response text quoted in errors
// has it redacted).
package travelpayouts

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/redact"
)

// DefaultBaseURL is the API host; the path MonthMatrixPath is appended.
const (
	DefaultBaseURL  = "https://api.travelpayouts.com"
	MonthMatrixPath = "/v2/prices/month-matrix"
	// MaxResponseBytes bounds the (decompressed) response body. A month
	// matrix is a few KB; decoding costs about 15 times the body in memory,
	// so this keeps a faulty or hostile answer (a small gzip can unpack to
	// it) to about 250 MB.
	MaxResponseBytes = 16 << 20
)

// Sentinel errors; the returned errors wrap one of them.
var (
	ErrUnauthorized = errors.New("token rejected")
	ErrHTTPStatus   = errors.New("unexpected HTTP status")
	ErrNotSuccess   = errors.New("API reported success=false")
	ErrMalformed    = errors.New("malformed API response")
	ErrNoData       = errors.New("API returned no tickets")
)

// Ticket is one element of "data", keyed by field name. Numbers are
// json.Number (their text as the API sent it), booleans bool, strings
// string, null nil.
type Ticket map[string]any

// Query holds the month-matrix query parameters.
type Query struct {
	Currency         string
	Origin           string
	Destination      string
	ShowToAffiliates string // "true" / "false"
	TripDuration     string
	Month            string // "YYYY-MM" or ""
}

// Values returns the URL query of q.
func (q Query) Values() url.Values {
	v := url.Values{}
	v.Set("currency", q.Currency)
	v.Set("origin", q.Origin)
	v.Set("destination", q.Destination)
	v.Set("show_to_affiliates", q.ShowToAffiliates)
	v.Set("trip_duration", q.TripDuration)
	if q.Month != "" {
		v.Set("month", q.Month+"-01")
	}
	return v
}

// ValidateMonth checks a "YYYY-MM" value.
func ValidateMonth(m string) error {
	if _, err := time.Parse("2006-01", m); err != nil || len(m) != 7 {
		return fmt.Errorf("month %q: want YYYY-MM", m)
	}
	return nil
}

// Client calls the API.
type Client struct {
	baseURL   string
	shownBase string // baseURL with any password masked, for messages
	token     string
	http      *http.Client
}

// New returns a client. baseURL "" means DefaultBaseURL; hc nil means a
// client with no overall timeout (use the context).
func New(baseURL, token string, hc *http.Client) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want http(s)://host[:port][/prefix]", baseURL)
	}
	if token == "" {
		return nil, errors.New("no API token: pass it as the argument or set TRAVELPAYOUTS_TOKEN")
	}
	if hc == nil {
		hc = &http.Client{}
	}
	// The token travels in a header of our own, which net/http passes on
	// to any redirect target (it drops only Authorization and cookies):
	// follow redirects only to the same scheme and host.
	hc2 := *hc
	hc2.CheckRedirect = sameOrigin
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), shownBase: strings.TrimRight(u.Redacted(), "/"), token: token, http: &hc2}, nil
}

// sameOrigin refuses a redirect to another scheme or host, which would
// receive the X-Access-Token header.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("redirect to another origin (%s://%s) not followed: it would receive the API token", req.URL.Scheme, req.URL.Host)
	}
	return nil
}

type response struct {
	Success *bool           `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   any             `json:"error"`
	Message any             `json:"message"`
}

// MonthMatrix fetches the tickets. It returns an error when the HTTP status
// is not 2xx (ErrUnauthorized for 401/403), the body is not the expected
// JSON (ErrMalformed), success is false (ErrNotSuccess) or data is empty
// (ErrNoData).
func (c *Client) MonthMatrix(ctx context.Context, q Query) ([]Ticket, error) {
	u := c.baseURL + MonthMatrixPath + "?" + q.Values().Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("X-Access-Token", c.token)
	req.Header.Set("Accept", "application/json")
	// Set explicitly, so the transport does not decompress: handled below.
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s%s: %w", c.shownBase, MonthMatrixPath, c.redactErr(err))
	}
	defer resp.Body.Close()

	// The status decides first: a rejected token is reported as such
	// whatever its body (empty, or gzip that does not decode), which is
	// only read, as far as it goes, for the message.
	if code := resp.StatusCode; code < 200 || code > 299 {
		raw, _ := c.readBody(resp)
		kind := ErrHTTPStatus
		if code == http.StatusUnauthorized || code == http.StatusForbidden {
			kind = ErrUnauthorized
		}
		return nil, fmt.Errorf("%w: HTTP %d%s", kind, code, c.snippet(raw))
	}
	raw, err := c.readBody(resp)
	if err != nil {
		return nil, err
	}

	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%w: %v%s", ErrMalformed, err, c.snippet(raw))
	}
	if r.Success == nil {
		return nil, fmt.Errorf("%w: no \"success\" field%s", ErrMalformed, c.snippet(raw))
	}
	if !*r.Success {
		return nil, fmt.Errorf("%w%s", ErrNotSuccess, c.apiMessage(r))
	}
	d := bytes.TrimSpace(r.Data)
	if len(d) == 0 || bytes.Equal(d, []byte("null")) {
		return nil, ErrNoData
	}
	var tickets []Ticket
	dec := json.NewDecoder(bytes.NewReader(d))
	dec.UseNumber()
	if err := dec.Decode(&tickets); err != nil {
		return nil, fmt.Errorf("%w: data: %v", ErrMalformed, err)
	}
	if len(tickets) == 0 {
		return nil, ErrNoData
	}
	for i, t := range tickets {
		if t == nil {
			return nil, fmt.Errorf("%w: data[%d] is null", ErrMalformed, i)
		}
	}
	return tickets, nil
}

// readBody reads the (decompressed) body, at most MaxResponseBytes. On an
// error it returns what it read so far.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	var body io.Reader = resp.Body
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrMalformed, err)
		}
		defer zr.Close()
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, MaxResponseBytes+1))
	if err != nil {
		return raw, fmt.Errorf("read response (HTTP %d): %w", resp.StatusCode, c.redactErr(err))
	}
	if len(raw) > MaxResponseBytes {
		return raw[:MaxResponseBytes], fmt.Errorf("%w: body larger than %d bytes", ErrMalformed, MaxResponseBytes)
	}
	return raw, nil
}

func (c *Client) apiMessage(r response) string {
	var parts []string
	for _, v := range []any{r.Error, r.Message} {
		if v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	// Quoted and cut as a body excerpt is: the API's text must not split
	// or forge log lines.
	return fmt.Sprintf(": %q", c.excerpt(strings.Join(parts, "; ")))
}

// snippet quotes the start of a response body for an error message.
func (c *Client) snippet(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (body: %q)", c.excerpt(s))
}

// excerpt is s with the token masked, then cut to 200 bytes: masked first,
// so that a token across the cut is not shown in part. A tail that starts
// the token is masked too: the body itself may have been cut short (its
// read failed part-way).
func (c *Client) excerpt(s string) string {
	const max = 200
	s = redact.Cut(s, c.token)
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

func (c *Client) redact(s string) string {
	return redact.Secrets(s, c.token)
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) redactErr(err error) error {
	if s := err.Error(); strings.Contains(s, c.token) {
		return &redactedError{msg: c.redact(s), err: err}
	}
	return err
}
