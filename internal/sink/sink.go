// Package sink is a fast Kinesis-compatible HTTP(S) server for tests and
// benchmarks. It speaks the awsJson1.1 protocol the AWS SDKs use (and
// PutRecords in its CBOR form, application/x-amz-cbor-1.1, as the Java SDK
// and the agent send it):
//
//   - Kinesis_20131202.PutRecords: every entry accepted, answered with one
//     result per entry (SequenceNumber, ShardId), FailedRecordCount 0;
//   - Firehose_20150804.PutRecordBatch: every entry accepted
//     (RequestResponses with RecordId), FailedPutCount 0;
//   - Kinesis_20131202.DescribeStreamSummary, DescribeStream and
//     Firehose_20150804.DescribeDeliveryStream: ACTIVE for any name;
//   - anything else: 400 UnknownOperationException.
//
// It counts calls, records and decoded data bytes, and can hand every
// record to a callback (content checks, latency measurement). It is built
// to stay out of the way of the client it measures: the request body is
// read into a pooled buffer and scanned in place (no reflection, no
// per-record allocation), base64 is only decoded when a callback wants the
// data, and the response is written from a pooled buffer.
//
// It stores nothing, so it runs for any number of records in flat memory.
package sink

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	kinesisPrefix  = "Kinesis_20131202."
	firehosePrefix = "Firehose_20150804."
	maxBody        = 16 << 20
)

// Record is one entry of a PutRecords or PutRecordBatch call as handed to
// Options.OnRecord. Data and Key are only valid during the callback.
type Record struct {
	Stream string    // stream or delivery stream name
	Data   []byte    // decoded record data
	Key    []byte    // partition key (Kinesis), nil for Firehose
	At     time.Time // when the call's body had been read
	Index  int       // entry index within the call
}

// Options configure a Sink. Every field is optional.
type Options struct {
	// OnRecord, when set, is called for every record of every put call, from
	// the handler goroutines (concurrently). A non-nil error is counted in
	// Stats.Bad and the first one kept (Err); the entry is still accepted.
	OnRecord func(r *Record) error
	// Delay is added before every put call is answered (a slow destination).
	Delay time.Duration
	// HTTP1 serves HTTPS with HTTP/1.1 only (no h2 in ALPN), as most AWS
	// endpoints answer; by default h2 is offered too.
	HTTP1 bool
}

// Stats are a snapshot of the counters.
type Stats struct {
	Calls   int64 // put calls answered
	Records int64 // records accepted
	Bytes   int64 // decoded data bytes accepted
	Bad     int64 // records OnRecord rejected
	Errors  int64 // requests answered with an error (malformed, unknown op)
}

// Sink is an http.Handler; see the package doc.
type Sink struct {
	opts Options

	calls, records, bytes, bad, errs atomic.Int64
	seq                              atomic.Int64
	firstErr                         atomic.Pointer[error]
	changed                          chan struct{}
	changedMu                        sync.Mutex

	bufs sync.Pool // *reqBuf
}

type reqBuf struct {
	body []byte
	out  []byte
	data []byte
	rec  Record
}

// New returns a sink handler.
func New(o Options) *Sink {
	s := &Sink{opts: o, changed: make(chan struct{})}
	s.bufs.New = func() any { return &reqBuf{body: make([]byte, 0, 1<<20), out: make([]byte, 0, 64<<10)} }
	return s
}

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{Calls: s.calls.Load(), Records: s.records.Load(), Bytes: s.bytes.Load(),
		Bad: s.bad.Load(), Errors: s.errs.Load()}
}

// Err returns the first error OnRecord returned, or nil.
func (s *Sink) Err() error {
	if p := s.firstErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Changed returns a channel closed at the next accepted put call; poll
// Stats after it fires (or with a deadline).
func (s *Sink) Changed() <-chan struct{} {
	s.changedMu.Lock()
	defer s.changedMu.Unlock()
	return s.changed
}

func (s *Sink) notify() {
	s.changedMu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.changedMu.Unlock()
}

// WaitRecords waits until at least n records were accepted or timeout
// passes; it returns the records accepted.
func (s *Sink) WaitRecords(n int64, timeout time.Duration) int64 {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ch := s.Changed()
		if got := s.records.Load(); got >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline.C:
			return s.records.Load()
		}
	}
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	rb := s.bufs.Get().(*reqBuf)
	defer s.bufs.Put(rb)
	body, err := readBody(rb.body[:0], r)
	rb.body = body[:0]
	if err != nil {
		s.fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if isCBOR(r) {
		// Kinesis's CBOR protocol (the Java SDK's): PutRecords only.
		if target != kinesisPrefix+"PutRecords" {
			s.failCBOR(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+target+" in CBOR")
			return
		}
		s.putCBOR(w, rb, body)
		return
	}
	switch target {
	case kinesisPrefix + "PutRecords":
		s.put(w, rb, body, false)
	case firehosePrefix + "PutRecordBatch":
		s.put(w, rb, body, true)
	case kinesisPrefix + "DescribeStreamSummary", kinesisPrefix + "DescribeStream":
		name := jsonField(body, "StreamName")
		now := strconv.FormatInt(time.Now().Unix(), 10)
		arn := "arn:aws:kinesis:us-east-1:000000000000:stream/" + name
		if target == kinesisPrefix+"DescribeStream" {
			writeJSON(w, `{"StreamDescription":{"StreamName":"`+name+`","StreamARN":"`+arn+
				`","StreamStatus":"ACTIVE","Shards":[],"HasMoreShards":false,"RetentionPeriodHours":24,"StreamCreationTimestamp":`+now+
				`,"EnhancedMonitoring":[],"EncryptionType":"NONE"}}`)
			return
		}
		writeJSON(w, `{"StreamDescriptionSummary":{"StreamName":"`+name+`","StreamARN":"`+arn+
			`","StreamStatus":"ACTIVE","StreamModeDetails":{"StreamMode":"PROVISIONED"},"RetentionPeriodHours":24,"StreamCreationTimestamp":`+now+
			`,"EnhancedMonitoring":[],"EncryptionType":"NONE","OpenShardCount":1,"ConsumerCount":0}}`)
	case firehosePrefix + "DescribeDeliveryStream":
		name := jsonField(body, "DeliveryStreamName")
		now := strconv.FormatInt(time.Now().Unix(), 10)
		writeJSON(w, `{"DeliveryStreamDescription":{"DeliveryStreamName":"`+name+
			`","DeliveryStreamARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/`+name+
			`","DeliveryStreamStatus":"ACTIVE","DeliveryStreamType":"DirectPut","VersionId":"1","CreateTimestamp":`+now+
			`,"Destinations":[],"HasMoreDestinations":false}}`)
	default:
		s.fail(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+target)
	}
}

func readBody(buf []byte, r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return buf, errors.New("request body too large")
	}
	if r.ContentLength > 0 && int64(cap(buf)) < r.ContentLength {
		buf = make([]byte, 0, r.ContentLength)
	}
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxBody {
				return buf, errors.New("request body too large")
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func writeJSON(w http.ResponseWriter, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = io.WriteString(w, body)
}

func (s *Sink) fail(w http.ResponseWriter, status int, code, msg string) {
	s.errs.Add(1)
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	b, _ := json.Marshal(msg)
	_, _ = fmt.Fprintf(w, `{"__type":%q,"message":%s}`, code, b)
}

// put answers PutRecords (firehose false) or PutRecordBatch (true).
func (s *Sink) put(w http.ResponseWriter, rb *reqBuf, body []byte, firehose bool) {
	at := time.Now()
	streamField, arrayField, dataField := "StreamName", "Records", "Data"
	if firehose {
		streamField = "DeliveryStreamName"
	}
	stream := ""
	if s.opts.OnRecord != nil { // a second pass over the body only when someone looks
		stream = jsonField(body, streamField)
		if stream == "" && !firehose {
			stream = jsonField(body, "StreamARN")
		}
	}
	n, nbytes, bad := 0, int64(0), int64(0)
	rec := &rb.rec
	*rec = Record{Stream: stream, At: at}
	err := scanEntries(body, arrayField, func(data, key []byte) error {
		rec.Index = n
		n++
		if s.opts.OnRecord == nil {
			nbytes += int64(base64.StdEncoding.DecodedLen(len(data)) - padding(data))
			return nil
		}
		var err error
		rb.data, err = decodeB64(rb.data[:0], data)
		if err != nil {
			return err
		}
		nbytes += int64(len(rb.data))
		rec.Data, rec.Key = rb.data, key
		if firehose {
			rec.Key = nil
		}
		if cerr := s.opts.OnRecord(rec); cerr != nil {
			bad++
			s.firstErr.CompareAndSwap(nil, &cerr)
		}
		return nil
	}, dataField)
	rec.Data, rec.Key = nil, nil
	if err != nil {
		s.fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if s.opts.Delay > 0 {
		time.Sleep(s.opts.Delay)
	}
	first := s.seq.Add(int64(n)) - int64(n)
	out := rb.out[:0]
	if firehose {
		out = append(out, `{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[`...)
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"RecordId":"`...)
			out = strconv.AppendInt(out, first+int64(i), 10)
			out = append(out, `"}`...)
		}
	} else {
		out = append(out, `{"FailedRecordCount":0,"Records":[`...)
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"SequenceNumber":"`...)
			out = append(out, "4950000000000000"...)
			out = strconv.AppendInt(out, first+int64(i), 10)
			out = append(out, `","ShardId":"shardId-000000000000"}`...)
		}
	}
	out = append(out, "]}"...)
	rb.out = out
	s.answered(w, out, "application/x-amz-json-1.1", n, nbytes, bad)
}

// answered counts a put call of n records accepted and writes its answer.
func (s *Sink) answered(w http.ResponseWriter, out []byte, contentType string, n int, nbytes, bad int64) {
	s.calls.Add(1)
	s.records.Add(int64(n))
	s.bytes.Add(nbytes)
	if bad > 0 {
		s.bad.Add(bad)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
	s.notify()
}

func padding(b64 []byte) int {
	n := 0
	for i := len(b64) - 1; i >= 0 && b64[i] == '='; i-- {
		n++
	}
	return n
}

func decodeB64(dst, src []byte) ([]byte, error) {
	n := base64.StdEncoding.DecodedLen(len(src))
	if cap(dst) < n {
		dst = make([]byte, n, max(n, 2*cap(dst)))
	}
	dst = dst[:n]
	m, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return dst[:0], fmt.Errorf("record data: %w", err)
	}
	return dst[:m], nil
}

// Server is a running sink (tests, commands).
type Server struct {
	*Sink
	// URL is the endpoint, http:// or https://.
	URL string
	// CertPEM is the server certificate (TLS only), for AWS_CA_BUNDLE.
	CertPEM []byte

	srv *http.Server
	ln  net.Listener
}

// Listen starts a sink on addr ("127.0.0.1:0" for any free port), with a
// fresh self-signed certificate for 127.0.0.1 and localhost when tls is set.
func Listen(addr string, useTLS bool, o Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	s := &Server{Sink: New(o), ln: ln}
	s.srv = &http.Server{Handler: s.Sink, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if useTLS {
		cert, certPEM, err := SelfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.CertPEM = certPEM
		protos := []string{"h2", "http/1.1"}
		if o.HTTP1 {
			protos = []string{"http/1.1"}
			s.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos}
		ln = tls.NewListener(ln, s.srv.TLSConfig)
		scheme = "https"
	}
	s.URL = scheme + "://" + s.ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// TB is the part of testing.TB Start uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start starts a plain-HTTP sink on a loopback port for the test and stops it
// at cleanup.
func Start(t TB, o Options) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", false, o)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// SelfSigned returns a fresh ECDSA P-256 certificate for 127.0.0.1, ::1 and
// localhost, valid for a day, and its PEM.
func SelfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sink: key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "fastsink"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sink: certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sink: key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("sink: key pair: %w", err)
	}
	return cert, certPEM, nil
}
