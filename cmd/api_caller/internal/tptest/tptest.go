// Package tptest is an httptest server that plays the Travelpayouts
// month-matrix API for api_caller's tests: it records each request, checks
// nothing itself, and answers with a configurable status and body, gzipped
// when the client accepts gzip.
package tptest

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Request is what the server saw.
type Request struct {
	Method         string
	Path           string
	Query          url.Values
	Token          string
	AcceptEncoding string
}

// Server is the fake API.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	status   int
	body     string
	gzip     bool
	requests []Request
}

// SampleBody is a successful answer with three tickets whose fields come
// in different orders, one with a field missing and odd number spellings.
const SampleBody = `{"success":true,"data":[
{"show_to_affiliates":false,"trip_class":0,"origin":"LED","destination":"KZN","depart_date":"2026-12-01","return_date":"2026-12-02","number_of_changes":0,"value":4813,"found_at":"2026-11-20T10:01:02","distance":1201,"actual":true,"duration":100,"gate":"Pobeda"},
{"value":5120.50,"gate":"S7, Siberia","destination":"KZN","origin":"LED","trip_class":1,"actual":false,"depart_date":"2026-12-03","return_date":"2026-12-04","number_of_changes":1,"found_at":"2026-11-19T23:59:59","distance":1201,"duration":245,"show_to_affiliates":true},
{"origin":"LED","destination":"KZN","value":1e4,"trip_class":0,"gate":"Rossiya\nextra","depart_date":"2026-12-05","number_of_changes":0,"found_at":null,"distance":1201,"duration":95,"actual":true,"show_to_affiliates":false}
],"error":"","currency":"rub"}`

// SampleRows are the CSV lines of SampleBody without the record_id column.
var SampleRows = []string{
	"4813,0,false,2026-12-02,LED,0,Pobeda,2026-11-20T10:01:02,100,1201,KZN,2026-12-01,true",
	"5120.50,1,true,2026-12-04,LED,1,S7; Siberia,2026-11-19T23:59:59,245,1201,KZN,2026-12-03,false",
	"1e4,0,false,,LED,0,Rossiya extra,,95,1201,KZN,2026-12-05,true",
}

// New starts a server answering 200 SampleBody (gzipped when accepted).
func New(t testing.TB) *Server {
	s := &Server{status: http.StatusOK, body: SampleBody, gzip: true}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Respond sets the status and body of later answers; gzipOK says whether
// the body may be gzipped.
func (s *Server) Respond(status int, body string, gzipOK bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.gzip = status, body, gzipOK
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Token: r.Header.Get("X-Access-Token"), AcceptEncoding: r.Header.Get("Accept-Encoding"),
	})
	status, body, gz := s.status, s.body, s.gzip
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if gz && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(body))
		_ = zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(status)
		_, _ = w.Write(b.Bytes())
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
