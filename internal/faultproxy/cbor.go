package faultproxy

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/cborscan"
)

// Kinesis's CBOR protocol (application/x-amz-cbor-1.1, the Java SDK's and
// the agent's default) is translated at the proxy's edge: a CBOR PutRecords
// request goes upstream as its awsJson1.1 form (data as base64) and is
// handled like any JSON one, and what the client gets back (the upstream's
// answer, merged failures, injected errors) is re-encoded as CBOR.

const cborContentType = cborscan.ContentType

func isCBOR(h http.Header) bool { return cborscan.IsContentType(h.Get("Content-Type")) }

// cborToJSON converts a CBOR document to JSON, byte strings as base64.
func cborToJSON(body []byte) ([]byte, error) {
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, err
	}
	x, err := fromCBOR(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(x)
}

func fromCBOR(v cbor.Value) (any, error) {
	switch v := v.(type) {
	case cbor.Uint:
		return uint64(v), nil
	case cbor.NegInt:
		return -int64(v), nil
	case cbor.Slice:
		return base64.StdEncoding.EncodeToString(v), nil
	case cbor.String:
		return string(v), nil
	case cbor.Bool:
		return bool(v), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case cbor.Float32:
		return float64(v), nil
	case cbor.Float64:
		return float64(v), nil
	case cbor.List:
		out := make([]any, len(v))
		for i, e := range v {
			x, err := fromCBOR(e)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case cbor.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			x, err := fromCBOR(e)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("faultproxy: CBOR value %T not translated", v)
}

// jsonToCBOR converts a JSON document to CBOR (strings stay text: answers
// carry no blobs).
func jsonToCBOR(body []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	v, err := toCBOR(x)
	if err != nil {
		return nil, err
	}
	return cbor.Encode(v), nil
}

func toCBOR(x any) (cbor.Value, error) {
	switch x := x.(type) {
	case nil:
		return &cbor.Nil{}, nil
	case bool:
		return cbor.Bool(x), nil
	case string:
		return cbor.String(x), nil
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			if n < 0 {
				return cbor.NegInt(-n), nil
			}
			return cbor.Uint(n), nil
		}
		f, err := x.Float64()
		return cbor.Float64(f), err
	case []any:
		out := make(cbor.List, len(x))
		for i, e := range x {
			v, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		out := make(cbor.Map, len(x))
		for k, e := range x {
			v, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("faultproxy: JSON value %T not translated", x)
}

// cborWriter collects what the proxy answers in JSON and sends it to the
// client as CBOR (finish). A body that is not JSON passes unchanged.
type cborWriter struct {
	w      http.ResponseWriter
	header http.Header
	status int
	buf    bytes.Buffer
	hijack bool
}

func newCBORWriter(w http.ResponseWriter) *cborWriter {
	return &cborWriter{w: w, header: http.Header{}}
}

func (c *cborWriter) Header() http.Header { return c.header }

func (c *cborWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *cborWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.buf.Write(p)
}

func (c *cborWriter) Flush() {}

// Hijack hands over the client's connection (Fault.Drop).
func (c *cborWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := c.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("faultproxy: connection cannot be hijacked")
	}
	c.hijack = true
	return hj.Hijack()
}

func (c *cborWriter) finish() {
	if c.hijack {
		return
	}
	body := c.buf.Bytes()
	if out, err := jsonToCBOR(body); err == nil {
		body = out
		c.header.Set("Content-Type", cborContentType)
	}
	h := c.w.Header()
	for k, vs := range c.header {
		h[k] = vs
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Transfer-Encoding")
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.w.WriteHeader(c.status)
	_, _ = c.w.Write(body)
}
