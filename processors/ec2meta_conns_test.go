package processors

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// ADDEC2METADATA's calls (at start, then once per metadataTTL) keep no
// connection open between them: a pooled one kept two net/http goroutines
// and a descriptor for hours, and after the agent stopped. From a review.
func TestAddEC2MetadataKeepsNoConnectionBetweenRefreshes(t *testing.T) {
	f := &fakeIMDS{doc: identityDoc, tags: map[string]string{"Name": "web"}, tagOrder: []string{"Name"}}
	srv := httptest.NewUnstartedServer(f)
	var mu sync.Mutex
	open, seen := map[net.Conn]bool{}, 0
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open[c] = true
			seen++
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	srv.Start()
	defer srv.Close()
	if _, err := Build([]Option{{Name: "ADDEC2METADATA", LogFormat: "SYSLOG"}}, Deps{IMDSEndpoint: srv.URL, Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n, s := len(open), seen
		mu.Unlock()
		if s > 0 && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s after the metadata was read: %d of %d connections still open", n, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
