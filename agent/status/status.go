// Package status is the optional local HTTP status endpoint (not in the
// Java agent). It serves, from the flows' live counters:
//
//   - /metrics: Prometheus text format 0.0.4, written by collector.go
//     (see docs/OBSERVABILITY.md for the list)
//   - /healthz: 200 "ok", or 503 with the reasons when a flow has
//     consecutive processing errors or has had pending data and no
//     successful send for StallAfter (default 5 minutes)
//   - /status: JSON per flow and per file
//
// It listens on loopback only unless allowRemote is set.
package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// ErrNotLoopback is returned by New for a non-loopback listen address
// without allowRemote.
var ErrNotLoopback = errors.New("status endpoint listen address is not a loopback address")

// DefaultStallAfter is how long a flow may have pending data without a
// successful send before /healthz reports it.
const DefaultStallAfter = 5 * time.Minute

// Option configures a Server.
type Option func(*Server)

// WithStallAfter sets how long a flow with pending data may go without a
// successful send before /healthz answers 503.
func WithStallAfter(d time.Duration) Option { return func(s *Server) { s.stallAfter = d } }

// WithLatency exports the send latency histogram of l on /metrics.
func WithLatency(l *LatencyObserver) Option { return func(s *Server) { s.latency = l } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithStartTime sets the agent start time used for uptime and as the
// reference of "no successful send yet" (default: when New ran).
func WithStartTime(t time.Time) Option { return func(s *Server) { s.start = t } }

// Server is the status HTTP server.
type Server struct {
	flows      []*flowstats.Flow
	stallAfter time.Duration
	latency    *LatencyObserver
	log        *slog.Logger
	now        func() time.Time
	start      time.Time

	ln  net.Listener
	srv *http.Server
	mux *http.ServeMux

	mu          sync.Mutex
	behindSince map[*flowstats.Flow]time.Time // first seen with unread bytes (and nothing unacknowledged)
}

// New checks addr, listens on it and returns the server; Run serves.
// addr is host:port; the host must be loopback (127.0.0.0/8, ::1 or
// "localhost") unless allowRemote.
func New(addr string, allowRemote bool, flows []*flowstats.Flow, opts ...Option) (*Server, error) {
	s := &Server{flows: flows, stallAfter: DefaultStallAfter, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.start.IsZero() {
		s.start = s.now()
	}
	if !allowRemote {
		if err := checkLoopback(addr); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("status endpoint: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /status", s.status)
	// Every connection ends: one left idle after a request, or a client
	// that stops reading, held a descriptor (shared with the tailed files)
	// and a goroutine for ever.
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: statusIdleTimeout}
	return s, nil
}

// statusIdleTimeout closes a keep-alive connection left without a request.
const statusIdleTimeout = 30 * time.Second

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("status endpoint: bad listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		host = "all interfaces"
	}
	return fmt.Errorf("%w: %q listens on %s; use 127.0.0.1:<port> or set \"status.allowRemote\": true to expose it beyond this host", ErrNotLoopback, addr, host)
}

// Addr is the address the server listens on (with the real port when
// addr had port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Handler returns the HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.mux }

// Run serves until ctx is cancelled, then shuts down gracefully (up to
// 5 s for in-flight requests).
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("status endpoint: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("status endpoint shutdown: %w", err)
	}
	return nil
}

// Close releases the listener of a server whose Run was never called
// (error paths during startup). After Run, cancel its context instead.
func (s *Server) Close() error {
	err := s.ln.Close()
	if cerr := s.srv.Close(); err == nil {
		err = cerr
	}
	return err
}

// flowView is one consistent-enough read of a flow for all three pages.
type flowView struct {
	f                *flowstats.Flow
	files            []flowstats.FileState
	bytesBehind      int64
	filesBehind      int
	checkpointLag    int64
	oldestUnacked    time.Time
	lastSuccess      time.Time
	consecutiveError int64
	healthy          bool
	reason           string
}

func (s *Server) view(f *flowstats.Flow, now time.Time) flowView {
	v := flowView{f: f, files: f.Files(), consecutiveError: f.ConsecutiveErrors.Load()}
	sort.Slice(v.files, func(i, j int) bool { return v.files[i].Path < v.files[j].Path })
	v.bytesBehind, v.filesBehind = f.BytesBehind()
	for _, fs := range v.files {
		if lag := fs.ReadOffset - fs.AckedOffset; lag > 0 {
			v.checkpointLag += lag
		}
		if !fs.OldestUnacked.IsZero() && (v.oldestUnacked.IsZero() || fs.OldestUnacked.Before(v.oldestUnacked)) {
			v.oldestUnacked = fs.OldestUnacked
		}
	}
	if t, ok := f.OldestUnacked.At(now); ok {
		// The flow's oldest, also of files let go since (deleted or rotated
		// away with records still unacknowledged): no per-file entry shows
		// those.
		if v.oldestUnacked.IsZero() || t.Before(v.oldestUnacked) {
			v.oldestUnacked = t
		}
	}
	v.lastSuccess, _ = f.LastSuccess.At(now)
	pending := s.pendingSince(f, v, now) // kept current whether pending or not
	v.healthy = true
	switch {
	case v.consecutiveError > 0:
		v.healthy = false
		v.reason = fmt.Sprintf("%d consecutive processing errors", v.consecutiveError)
	case v.bytesBehind > 0 || v.checkpointLag > 0 || !v.oldestUnacked.IsZero():
		ref, what := v.lastSuccess, "since the last successful send"
		if ref.IsZero() {
			ref, what = s.start, "since start (no successful send yet)"
		}
		// Measured from when the data became pending, if later: after a
		// quiet spell a new line waits up to maxBufferAgeMillis to be sent,
		// which is no stall.
		if pending.After(ref) {
			ref, what = pending, "since data became pending"
		}
		if idle := now.Sub(ref); idle >= s.stallAfter {
			v.healthy = false
			v.reason = fmt.Sprintf("data pending (%d bytes behind, %d bytes unacknowledged) and no successful send for %s %s",
				v.bytesBehind, v.checkpointLag, idle.Truncate(time.Second), what)
		}
	}
	return v
}

// pendingSince is when f's pending data became pending: the read time of
// its oldest unacknowledged records, or, for bytes not read yet, when this
// server first saw them (at a request: at worst one probe interval late,
// which only delays a stall report).
func (s *Server) pendingSince(f *flowstats.Flow, v flowView, now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.bytesBehind == 0 && v.checkpointLag == 0 && v.oldestUnacked.IsZero() {
		// (Read but unacknowledged bytes count as pending too: the tailer
		// moves ReadOffset at once, the acknowledgement stage reports the
		// oldest unacknowledged chunk at its next flush, up to a second
		// later; in between the data is pending since now, not since the
		// last success an hour ago.)
		delete(s.behindSince, f)
	} else if t, ok := s.behindSince[f]; !ok || v.lastSuccess.After(t) {
		// First seen, or seen before a success since: with rare probes
		// those were other bytes, sent since.
		if s.behindSince == nil {
			s.behindSince = map[*flowstats.Flow]time.Time{}
		}
		s.behindSince[f] = now
	}
	since, ok := s.behindSince[f]
	if !v.oldestUnacked.IsZero() && (!ok || v.oldestUnacked.Before(since)) {
		since = v.oldestUnacked
	}
	return since
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	now := s.now()
	var reasons []string
	for _, f := range s.flows {
		if v := s.view(f, now); !v.healthy {
			reasons = append(reasons, fmt.Sprintf("flow %s: %s", f.ID, v.reason))
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(reasons) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(reasons, "\n"))
		return
	}
	fmt.Fprintln(w, "ok")
}

// FileStatus is one file in /status.
type FileStatus struct {
	Path                string     `json:"path"`
	FileID              string     `json:"fileId"`
	Size                int64      `json:"size"`
	ReadOffset          int64      `json:"readOffset"`
	AckedOffset         int64      `json:"ackedOffset"`
	BytesBehind         int64      `json:"bytesBehind"`
	CheckpointLagBytes  int64      `json:"checkpointLagBytes"`
	OldestUnacked       *time.Time `json:"oldestUnacked,omitempty"`
	OldestUnackedAgeSec float64    `json:"oldestUnackedAgeSeconds"`
}

// FlowStatus is one flow in /status.
type FlowStatus struct {
	ID                      string       `json:"id"`
	Destination             string       `json:"destination"`
	Firehose                bool         `json:"firehose"`
	Healthy                 bool         `json:"healthy"`
	Reason                  string       `json:"reason,omitempty"`
	RecordsParsed           int64        `json:"recordsParsed"`
	BytesParsed             int64        `json:"bytesParsed"`
	RecordsTransformed      int64        `json:"recordsTransformed"`
	RecordsSkipped          int64        `json:"recordsSkipped"`
	ProcessingErrors        int64        `json:"processingErrors"`
	RecordsTruncated        int64        `json:"recordsTruncated"`
	RecordsSent             int64        `json:"recordsSent"`
	BytesSent               int64        `json:"bytesSent"`
	RecordSendAttempts      int64        `json:"recordSendAttempts"`
	RecordSendErrors        int64        `json:"recordSendErrors"`
	ServiceErrors           int64        `json:"serviceErrors"`
	Calls                   int64        `json:"calls"`
	RetriedRecords          int64        `json:"retriedRecords"`
	ConsecutiveErrors       int64        `json:"consecutiveErrors"`
	BytesBehind             int64        `json:"bytesBehind"`
	FilesBehind             int          `json:"filesBehind"`
	CheckpointLagBytes      int64        `json:"checkpointLagBytes"`
	OldestUnackedAgeSeconds float64      `json:"oldestUnackedAgeSeconds"`
	LastSuccess             *time.Time   `json:"lastSuccess,omitempty"`
	Files                   []FileStatus `json:"files"`
}

// Status is the /status document.
type Status struct {
	Healthy       bool         `json:"healthy"`
	UptimeSeconds float64      `json:"uptimeSeconds"`
	Flows         []FlowStatus `json:"flows"`
}

// Snapshot returns the /status document.
func (s *Server) Snapshot() Status {
	now := s.now()
	st := Status{Healthy: true, UptimeSeconds: now.Sub(s.start).Seconds(), Flows: []FlowStatus{}}
	for _, f := range s.flows {
		v := s.view(f, now)
		fs := FlowStatus{
			ID: f.ID, Destination: f.Destination, Firehose: f.Firehose,
			Healthy: v.healthy, Reason: v.reason,
			RecordsParsed: f.RecordsParsed.Load(), BytesParsed: f.BytesParsed.Load(),
			RecordsTransformed: f.RecordsTransformed.Load(), RecordsSkipped: f.RecordsSkipped.Load(),
			ProcessingErrors: f.ProcessingErrors.Load(), RecordsTruncated: f.RecordsTruncated.Load(),
			RecordsSent: f.RecordsSent.Load(), BytesSent: f.BytesSent.Load(),
			RecordSendAttempts: f.RecordSendAttempts.Load(), RecordSendErrors: f.RecordSendErrors.Load(),
			ServiceErrors: f.ServiceErrors.Load(), Calls: f.Calls.Load(), RetriedRecords: f.RetriedRecords.Load(),
			ConsecutiveErrors: v.consecutiveError, BytesBehind: v.bytesBehind, FilesBehind: v.filesBehind,
			CheckpointLagBytes: v.checkpointLag, OldestUnackedAgeSeconds: age(now, v.oldestUnacked),
			Files: []FileStatus{},
		}
		if !v.lastSuccess.IsZero() {
			t := v.lastSuccess.UTC()
			fs.LastSuccess = &t
		}
		for _, x := range v.files {
			fi := FileStatus{Path: x.Path, FileID: x.FileID, Size: x.Size, ReadOffset: x.ReadOffset, AckedOffset: x.AckedOffset,
				BytesBehind: max(0, x.Size-x.ReadOffset), CheckpointLagBytes: max(0, x.ReadOffset-x.AckedOffset),
				OldestUnackedAgeSec: age(now, x.OldestUnacked)}
			if !x.OldestUnacked.IsZero() {
				t := x.OldestUnacked.UTC()
				fi.OldestUnacked = &t
			}
			fs.Files = append(fs.Files, fi)
		}
		st.Healthy = st.Healthy && v.healthy
		st.Flows = append(st.Flows, fs)
	}
	return st
}

func age(now, t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return max(0, now.Sub(t).Seconds())
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.Snapshot()); err != nil {
		s.log.Debug("status endpoint: write /status", "error", err)
	}
}
