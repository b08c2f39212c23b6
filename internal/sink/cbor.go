package sink

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/cborscan"
)

const cborContentType = cborscan.ContentType

func isCBOR(r *http.Request) bool { return cborscan.IsContentType(r.Header.Get("Content-Type")) }

// failCBOR answers with an error in Kinesis's CBOR form (as kinesis-local:
// __type and message, no X-Amzn-Errortype header).
func (s *Sink) failCBOR(w http.ResponseWriter, status int, code, msg string) {
	s.errs.Add(1)
	var b []byte
	b = cborscan.AppendHead(b, cborscan.Map, 2)
	b = cborscan.AppendText(b, "__type")
	b = cborscan.AppendText(b, code)
	b = cborscan.AppendText(b, "message")
	b = cborscan.AppendText(b, msg)
	h := w.Header()
	h.Set("Content-Type", cborContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// putCBOR answers a CBOR PutRecords: every entry accepted.
func (s *Sink) putCBOR(w http.ResponseWriter, rb *reqBuf, body []byte) {
	at := time.Now()
	rec := &rb.rec
	*rec = Record{At: at}
	n, nbytes, bad := 0, int64(0), int64(0)
	r := &cborscan.Reader{B: body}
	fail := func(what string) {
		rec.Data, rec.Key = nil, nil
		s.failCBOR(w, http.StatusBadRequest, "SerializationException", r.Err(what).Error())
	}
	// The stream name may follow the records: find it first, for OnRecord.
	if s.opts.OnRecord != nil {
		if v, ok := cborMember(body, "StreamName"); ok {
			rec.Stream = string(v)
		} else if v, ok := cborMember(body, "StreamARN"); ok {
			rec.Stream = string(v)
		}
	}
	top, ok := r.Container(cborscan.Map)
	if !ok {
		fail("a map")
		return
	}
	var scratch []byte
	for r.Next(&top) {
		var key []byte
		if key, scratch, ok = r.String(cborscan.Text, scratch); !ok {
			fail("a member name")
			return
		}
		if string(key) != "Records" {
			if !r.Skip() {
				fail("a value of " + string(key))
				return
			}
			continue
		}
		arr, ok := r.Container(cborscan.Array)
		if !ok {
			fail("the Records array")
			return
		}
		for r.Next(&arr) {
			m, ok := r.Container(cborscan.Map)
			if !ok {
				fail("a record")
				return
			}
			var data, pk []byte
			for r.Next(&m) {
				k, _, ok := r.String(cborscan.Text, nil)
				if !ok {
					fail("a member name")
					return
				}
				switch string(k) {
				case "Data":
					data, rb.data, ok = r.String(cborscan.Bytes, rb.data)
				case "PartitionKey":
					pk, _, ok = r.String(cborscan.Text, nil)
				default:
					ok = r.Skip()
				}
				if !ok {
					fail("a value of " + string(k))
					return
				}
			}
			rec.Index = n
			n++
			nbytes += int64(len(data))
			if s.opts.OnRecord != nil {
				rec.Data, rec.Key = data, pk
				if cerr := s.opts.OnRecord(rec); cerr != nil {
					bad++
					s.firstErr.CompareAndSwap(nil, &cerr)
				}
			}
		}
	}
	rec.Data, rec.Key = nil, nil
	if top != 0 || r.I != len(body) {
		fail("the end of the request")
		return
	}
	if s.opts.Delay > 0 {
		time.Sleep(s.opts.Delay)
	}
	first := s.seq.Add(int64(n)) - int64(n)
	out := rb.out[:0]
	out = cborscan.AppendHead(out, cborscan.Map, 2)
	out = cborscan.AppendText(out, "FailedRecordCount")
	out = cborscan.AppendHead(out, cborscan.Uint, 0)
	out = cborscan.AppendText(out, "Records")
	out = cborscan.AppendHead(out, cborscan.Array, uint64(n))
	var num [32]byte
	for i := 0; i < n; i++ {
		out = cborscan.AppendHead(out, cborscan.Map, 2)
		out = cborscan.AppendText(out, "SequenceNumber")
		seq := strconv.AppendInt(append(num[:0], "4950000000000000"...), first+int64(i), 10)
		out = append(cborscan.AppendHead(out, cborscan.Text, uint64(len(seq))), seq...)
		out = cborscan.AppendText(out, "ShardId")
		out = cborscan.AppendText(out, "shardId-000000000000")
	}
	rb.out = out
	s.answered(w, out, cborContentType, n, nbytes, bad)
}

// cborMember returns the text value of the top-level member name of a CBOR
// map, if there is one.
func cborMember(body []byte, name string) ([]byte, bool) {
	r := &cborscan.Reader{B: body}
	n, ok := r.Container(cborscan.Map)
	if !ok {
		return nil, false
	}
	for r.Next(&n) {
		k, _, ok := r.String(cborscan.Text, nil)
		if !ok {
			return nil, false
		}
		if string(k) == name {
			v, _, ok := r.String(cborscan.Text, nil)
			return v, ok
		}
		if !r.Skip() {
			return nil, false
		}
	}
	return nil, false
}
