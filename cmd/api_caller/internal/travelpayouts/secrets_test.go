package travelpayouts_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/travelpayouts"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/redact"
)

// A realistic 32-character Travelpayouts token.
const realToken = "0123456789abcdef0123456789abcdef"

// The body excerpt quoted in an error masks the token before it is cut at
// 200 bytes: cut first, a token across the cut was shown in part.
func TestABodyExcerptNeverShowsPartOfTheToken(t *testing.T) {
	body := `{"error":"` + strings.Repeat("x", 147) + ` invalid token ` + realToken + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	err := monthMatrixErr(t, srv.URL, realToken)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), realToken[:20]) {
		t.Errorf("error quotes the first characters of the token in clear: %v", err)
	}
}

// A redirect to another host is not followed: X-Access-Token would go
// along (Go's client drops only Authorization and cookies there).
func TestARedirectToAnotherHostDoesNotReceiveTheToken(t *testing.T) {
	var mu sync.Mutex
	var got string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Get("X-Access-Token")
		mu.Unlock()
		_, _ = w.Write([]byte(`{"success":true,"data":[{"value":1}]}`))
	}))
	defer other.Close()
	// Address the other server as "localhost": a different host name.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer api.Close()
	c, err := travelpayouts.New(api.URL, realToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MonthMatrix(context.Background(), defaultQuery); err != nil {
		t.Logf("err: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got == realToken {
		t.Errorf("token sent to the redirect target %s (another host)", otherURL)
	}
}

// The status decides before the body is read: a 401 whose gzip body is
// empty or truncated is ErrUnauthorized (it was "malformed", and
// --interval went on calling with a rejected token).
func TestA401IsARejectedTokenWhateverItsBody(t *testing.T) {
	for name, body := range map[string][]byte{
		"empty gzip body": nil,
		"truncated gzip":  truncatedGzip(`{"success":false,"error":"Unauthorized"}`),
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			c, err := travelpayouts.New(srv.URL, realToken, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.MonthMatrix(context.Background(), defaultQuery)
			if !errors.Is(err, travelpayouts.ErrUnauthorized) {
				t.Errorf("HTTP 401 gave %v, want ErrUnauthorized", err)
			}
		})
	}
}

func truncatedGzip(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()[:b.Len()-6]
}

// The token travels in a header: the default base URL is https.
func TestTheDefaultBaseURLIsHTTPS(t *testing.T) {
	if !strings.HasPrefix(travelpayouts.DefaultBaseURL, "https://") {
		t.Errorf("DefaultBaseURL = %q: the X-Access-Token header is sent unencrypted", travelpayouts.DefaultBaseURL)
	}
}

// A token with a trailing CR (EnvironmentFile / .env written on Windows).
func TestATokenWithACarriageReturnIsNotShown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	err := monthMatrixErr(t, srv.URL, realToken+"\r")
	if err != nil && strings.Contains(err.Error(), realToken) {
		t.Errorf("token in error: %v", err)
	}
}

// Credentials in --base-url (a gateway with basic auth) are masked in
// network errors; the "GET <base>" prefix used the raw base URL (net/http's
// own url.Error masks the password).
func TestABaseURLPasswordIsNotShownInNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	addr := srv.Listener.Addr().String()
	srv.Close() // connection refused from now on
	err := monthMatrixErr(t, "http://user:gw-PASSWORD-123@"+addr+"/tp", realToken)
	if err != nil && strings.Contains(err.Error(), "gw-PASSWORD-123") {
		t.Errorf("base URL password printed: %v", err)
	}
}

// A body whose read fails part-way (the connection drops) is quoted as far
// as it was read; when it stops inside the token, that part of the token
// is masked too.
func TestABodyCutInsideTheTokenDoesNotShowItsStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(conn)
			for {
				l, err := br.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
			}
			// Promises 1000 bytes, sends part of the token, hangs up.
			fmt.Fprintf(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 1000\r\n\r\n{\"error\":\"invalid token %s", realToken[:20])
			conn.Close()
		}
	}()
	err = monthMatrixErr(t, "http://"+ln.Addr().String(), realToken)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), realToken[:redact.MinTail]) {
		t.Errorf("error quotes the first characters of the token in clear: %v", err)
	}
}

// monthMatrixErr asks base for the month matrix with token and returns the
// error, logged.
func monthMatrixErr(t *testing.T, base, token string) error {
	t.Helper()
	c, err := travelpayouts.New(base, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.MonthMatrix(context.Background(), defaultQuery)
	t.Logf("error: %v", err)
	return err
}
