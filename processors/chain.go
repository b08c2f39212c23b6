// Package processors implements the dataProcessingOptions converters of the
// Java agent (SINGLELINE, CSVTOJSON, LOGTOJSON, ADDMETADATA, ADDEC2METADATA,
// ADDBRACKETS) byte for byte, chained as Java's AgentDataConverterChain
// does (spec §6).
package processors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Result tells the flow what happened to a record.
type Result int

const (
	// Converted: the processed record was appended (also when the chain is
	// empty and the raw record was appended).
	Converted Result = iota
	// Skipped: LOGTOJSON could not parse the record; nothing was appended
	// and the record is not sent (Java's "skip"); its bytes still advance
	// the file position.
	Skipped
	// Fallback: a converter failed; the ORIGINAL raw record was appended
	// (Java's "Cannot process input data ... falling back to raw data").
	Fallback
)

func (r Result) String() string {
	switch r {
	case Converted:
		return "Converted"
	case Skipped:
		return "Skipped"
	case Fallback:
		return "Fallback"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Deps holds what the converters need from outside.
type Deps struct {
	// IMDSEndpoint is the EC2 instance metadata service base URL for
	// ADDEC2METADATA; "" means $AWS_EC2_METADATA_SERVICE_ENDPOINT or
	// http://169.254.169.254.
	IMDSEndpoint string
	// HTTPClient for IMDS; nil means a client with a 2 s timeout that never
	// goes through a proxy.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Location is the zone of ADDEC2METADATA's metadataTimestamp (the
	// JVM's default zone in Java); nil means time.Local.
	Location *time.Location
	// Logger; nil means a logger that discards.
	Logger *slog.Logger
	// Context bounds IMDS calls; nil means context.Background().
	Context context.Context
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// outcome of one converter.
type outcome int

const (
	outOK outcome = iota
	outSkip
	outFail
	// pass: the converter returns the bytes it was given unchanged (Java
	// returns its input ByteBuffer, i.e. the raw record for the first
	// converter).
	outPass
)

// converter appends the converted form of in (valid UTF-8 text) to dst.
type converter interface {
	convert(dst, in []byte) ([]byte, outcome, error)
	name() string
}

// Chain runs the converters of one flow in order. A Chain is used by one
// goroutine; it keeps scratch buffers between records.
type Chain struct {
	convs   []converter
	log     *slog.Logger
	text    []byte // UTF-8 repaired input
	scratch [2][]byte
	// LastError is the error of the last Fallback (for the flow's WARN).
	lastErr error
}

// Empty reports whether the chain has no converters (raw bytes pass).
func (c *Chain) Empty() bool { return c == nil || len(c.convs) == 0 }

// LastError returns the converter error behind the last Fallback result,
// formatted like Java's message ("Unable to convert data by <converter>").
func (c *Chain) LastError() error {
	if c == nil {
		return nil
	}
	return c.lastErr
}

// maxKeptBuffer is the largest working buffer a chain keeps between
// records: one record of megabytes (a stack dump, a line of control bytes
// that JSON escaping makes six times longer) left its buffers at that size
// for the agent's life.
const maxKeptBuffer = 1 << 20

// Process appends the processed form of rec (which includes its trailing
// '\n' when it has one) to dst.
func (c *Chain) Process(dst, rec []byte) ([]byte, Result) {
	if c.Empty() {
		return append(dst, rec...), Converted
	}
	out, r := c.process(dst, rec)
	if cap(c.text) > maxKeptBuffer {
		c.text = nil
	}
	for i := range c.scratch {
		if cap(c.scratch[i]) > maxKeptBuffer {
			c.scratch[i] = nil
		}
	}
	return out, r
}

func (c *Chain) process(dst, rec []byte) ([]byte, Result) {
	base := len(dst)
	in := rec
	if !validUTF8(rec) {
		c.text = appendJavaUTF8(c.text[:0], rec)
		in = c.text
	}
	last := len(c.convs) - 1
	// allPass: every converter so far passed the record through; the raw
	// bytes then go out, as Java's converters hand on their input buffer
	// (not its UTF-8-repaired copy).
	allPass := true
	for i, cv := range c.convs {
		var out []byte
		var oc outcome
		var err error
		if i == last {
			out, oc, err = safeConvert(cv, dst, in)
		} else {
			buf := c.scratch[i&1][:0]
			out, oc, err = safeConvert(cv, buf, in)
			if oc == outOK {
				c.scratch[i&1] = out
			}
		}
		switch oc {
		case outPass:
			if i == last {
				src := in
				if allPass {
					src = rec
				}
				return append(out, src...), Converted
			}
			buf := append(c.scratch[i&1][:0], in...)
			c.scratch[i&1] = buf
			in = buf
			continue
		case outSkip:
			return dst[:base], Skipped
		case outFail:
			c.lastErr = &ConversionError{Converter: cv.name(), Err: err}
			return append(dst[:base], rec...), Fallback
		}
		if i == last {
			return out, Converted
		}
		in = out
		allPass = false
	}
	return dst, Converted // not reached
}

// ConversionError is the failure behind a Fallback result. Its message
// is Java's ("Unable to convert data by <converter>") plus the cause; the
// flow logs "Cannot process input data: <message>, falling back to raw
// data." as Java does.
type ConversionError struct {
	Converter string
	Err       error
}

func (e *ConversionError) Error() string {
	return "Unable to convert data by " + e.Converter + ": " + e.Err.Error()
}

func (e *ConversionError) Unwrap() error { return e.Err }

// safeConvert turns a panic in a converter into a failure (Java catches
// every exception of a converter and falls back to the raw record).
func safeConvert(cv converter, dst, in []byte) (out []byte, oc outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, oc, err = dst, outFail, fmt.Errorf("internal error: %v", r)
		}
	}()
	out, oc, err = cv.convert(dst, in)
	if oc == outFail && err == nil {
		err = errors.New("conversion failed")
	}
	return out, oc, err
}
