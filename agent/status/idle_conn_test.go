package status

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// A client that makes a request and keeps its connection open without a
// second one (or stops reading) held a descriptor, shared with the tailed
// files, and a goroutine for ever: any local user could use up the agent's
// descriptors. Idle connections are closed.
func TestAnIdleKeepAliveConnectionToTheStatusEndpointIsClosed(t *testing.T) {
	s, err := New("127.0.0.1:0", false, []*flowstats.Flow{flowstats.New("k:s:/l/*", "s", false)})
	if err != nil {
		t.Fatal(err)
	}
	if s.srv.IdleTimeout <= 0 || s.srv.IdleTimeout > time.Minute || s.srv.WriteTimeout <= 0 {
		t.Fatalf("idle timeout %v, write timeout %v: connections are never closed", s.srv.IdleTimeout, s.srv.WriteTimeout)
	}
	s.srv.IdleTimeout = 100 * time.Millisecond // (30 s in the agent)
	addr := serve(t, s)[len("http://"):]
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("unexpected bytes on an idle connection")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the idle connection is still open after 5 s")
	}
}
