// Package cborscan writes and reads, in place and without allocating, the
// few CBOR (RFC 8949) shapes of Kinesis's application/x-amz-cbor-1.1
// protocol: the PutRecords request (flows/send writes it, internal/sink reads
// it) and its answer (internal/sink writes it, flows/send reads it).
//
// smithy-go's encoding/cbor (already a dependency, through the CloudWatch
// client) encodes and decodes whole documents into Value trees: a map and
// strings per PutRecords entry. That is what the agent uses for rare
// documents (error answers) and what the fuzz tests compare this reader
// with; a 500-entry answer read through it costs more than the rest of the
// call's decoding (docs/PERFORMANCE.md).
//
// The reader accepts what a conforming encoder may send: definite and
// indefinite lengths (the Java SDK's Jackson encoder writes indefinite
// ones), chunked strings, tags before any item, booleans, null, undefined
// and floats (skipped); not the unassigned simple values. It never reads past its buffer, and bounds nesting.
package cborscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ContentType is the media type of Kinesis's CBOR protocol.
const ContentType = "application/x-amz-cbor-1.1"

// IsContentType reports whether a Content-Type header value is ContentType
// (any case, parameters allowed).
func IsContentType(ct string) bool {
	return len(ct) >= len(ContentType) && strings.EqualFold(ct[:len(ContentType)], ContentType)
}

// Major types.
const (
	Uint   = 0
	NegInt = 1
	Bytes  = 2
	Text   = 3
	Array  = 4
	Map    = 5
	Tag    = 6
	Simple = 7
)

const (
	breakByte  = 0xff
	nullByte   = 0xf6 // simple value 22
	undefByte  = 0xf7 // simple value 23
	indefMinor = 31
	// MaxDepth bounds the nesting Skip follows and the tags before an item
	// (smithy-go's decoder, like smithy-rs, allows 128).
	MaxDepth = 128
)

// AppendHead appends the head of an item of major type major with argument
// n (a length, a count or an integer), in its shortest form.
func AppendHead(dst []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(dst, m|byte(n))
	case n <= 0xff:
		return append(dst, m|24, byte(n))
	case n <= 0xffff:
		return append(dst, m|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(dst, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	dst = append(dst, m|27)
	return binary.BigEndian.AppendUint64(dst, n)
}

// HeadLen is the length of AppendHead's output for n.
func HeadLen(n uint64) int {
	switch {
	case n < 24:
		return 1
	case n <= 0xff:
		return 2
	case n <= 0xffff:
		return 3
	case n <= 0xffffffff:
		return 5
	}
	return 9
}

// AppendText appends s as a definite-length text string. s must be UTF-8.
func AppendText(dst []byte, s string) []byte {
	return append(AppendHead(dst, Text, uint64(len(s))), s...)
}

// AppendBytes appends b as a definite-length byte string.
func AppendBytes(dst []byte, b []byte) []byte {
	return append(AppendHead(dst, Bytes, uint64(len(b))), b...)
}

// ErrSyntax is wrapped by every Reader error.
var ErrSyntax = errors.New("malformed CBOR")

// Reader reads items from a complete document in B, from offset I.
// Methods that fail leave I where the offending item starts.
type Reader struct {
	B []byte
	I int
}

// Err returns an error naming what was expected at the current offset.
func (r *Reader) Err(what string) error {
	return fmt.Errorf("%w: expected %s at offset %d", ErrSyntax, what, r.I)
}

// head reads the head at i, after any tags: major type, argument, whether
// the length is indefinite, and the offset after the head.
func (r *Reader) head(i int) (major byte, arg uint64, indef bool, next int, ok bool) {
	for tags := 0; i < len(r.B); tags++ {
		b := r.B[i]
		major, minor := b>>5, b&0x1f
		i++
		switch {
		case minor < 24:
			arg = uint64(minor)
		case minor <= 27:
			n := 1 << (minor - 24)
			if len(r.B)-i < n {
				return 0, 0, false, i, false
			}
			switch n {
			case 1:
				arg = uint64(r.B[i])
			case 2:
				arg = uint64(binary.BigEndian.Uint16(r.B[i:]))
			case 4:
				arg = uint64(binary.BigEndian.Uint32(r.B[i:]))
			default:
				arg = binary.BigEndian.Uint64(r.B[i:])
			}
			i += n
		case minor == indefMinor && (major >= Bytes && major <= Map || b == breakByte):
			indef = true
		default:
			return 0, 0, false, i, false // reserved minor, or indefinite where none may be
		}
		if major == Tag && tags < MaxDepth {
			continue // a tag qualifies the next item: read through it
		}
		if major == Tag {
			return 0, 0, false, i, false
		}
		if major == Simple && !indef && minor < 25 && (minor < 20 || minor == 24) {
			return 0, 0, false, i, false // unassigned simple values: none in Kinesis's protocol
		}
		return major, arg, indef, i, true
	}
	return 0, 0, false, i, false
}

// Container reads the head of an array (major Array) or map (Map) and
// returns its item count (pairs for a map), or -1 when indefinite.
func (r *Reader) Container(major byte) (int, bool) {
	m, arg, indef, next, ok := r.head(r.I)
	if !ok || m != major {
		return 0, false
	}
	if indef {
		r.I = next
		return -1, true
	}
	// Every item takes at least a byte: a count beyond the rest is malformed.
	if arg > uint64(len(r.B)-next) {
		return 0, false
	}
	r.I = next
	return int(arg), true
}

// Next reports whether a container opened by Container has another item,
// counting down *n (definite) or consuming the break (indefinite, n -1).
func (r *Reader) Next(n *int) bool {
	if *n >= 0 {
		if *n == 0 {
			return false
		}
		*n--
		return true
	}
	if r.I < len(r.B) && r.B[r.I] == breakByte {
		r.I++
		*n = 0
		return false
	}
	return true
}

// String reads a text string (major Text) or byte string (Bytes). A
// definite one is returned in place; an indefinite (chunked) one is joined
// into scratch (grown as needed), which is returned as the second value.
func (r *Reader) String(major byte, scratch []byte) (s, grown []byte, ok bool) {
	m, arg, indef, next, ok := r.head(r.I)
	if !ok || m != major {
		return nil, scratch, false
	}
	if !indef {
		if arg > uint64(len(r.B)-next) {
			return nil, scratch, false
		}
		r.I = next + int(arg)
		return r.B[next:r.I], scratch, true
	}
	out := scratch[:0]
	i := next
	for {
		if i < len(r.B) && r.B[i] == breakByte {
			r.I = i + 1
			return out, out, true
		}
		// Chunks are definite strings of the same major type, untagged.
		if i >= len(r.B) || r.B[i]>>5 != major {
			return nil, scratch, false
		}
		cm, carg, cindef, cnext, cok := r.head(i)
		if !cok || cm != major || cindef || carg > uint64(len(r.B)-cnext) {
			return nil, scratch, false
		}
		out = append(out, r.B[cnext:cnext+int(carg)]...)
		i = cnext + int(carg)
	}
}

// Nil consumes a null or undefined and reports whether there was one.
func (r *Reader) Nil() bool {
	if r.I < len(r.B) && (r.B[r.I] == nullByte || r.B[r.I] == undefByte) {
		r.I++
		return true
	}
	return false
}

// Uint reads an unsigned integer.
func (r *Reader) Uint() (uint64, bool) {
	m, arg, _, next, ok := r.head(r.I)
	if !ok || m != Uint {
		return 0, false
	}
	r.I = next
	return arg, true
}

// Skip steps over one complete item (with its contents).
func (r *Reader) Skip() bool { return r.skip(0) }

func (r *Reader) skip(depth int) bool {
	if depth > MaxDepth {
		return false
	}
	m, arg, indef, next, ok := r.head(r.I)
	if !ok || (m == Simple && indef) { // a break outside a container
		return false
	}
	switch m {
	case Uint, NegInt:
		r.I = next
		return true
	case Simple:
		// Arguments 24..27 are a one-byte simple value or a float; the head
		// has consumed them.
		r.I = next
		return true
	case Bytes, Text:
		if indef {
			return r.skipChunks(m, next) // without joining them
		}
		if arg > uint64(len(r.B)-next) {
			return false
		}
		r.I = next + int(arg)
		return true
	case Array, Map:
		n, ok := r.Container(m)
		if !ok {
			return false
		}
		per := 1
		if m == Map {
			per = 2
		}
		for r.Next(&n) {
			for k := 0; k < per; k++ {
				// Map keys are text in every AWS protocol (and for
				// smithy-go's decoder).
				if k == 0 && m == Map && (r.I >= len(r.B) || r.B[r.I]>>5 != Text) {
					return false
				}
				if !r.skip(depth + 1) {
					return false
				}
			}
		}
		return n == 0
	}
	return false
}

func (r *Reader) skipChunks(major byte, i int) bool {
	for {
		if i < len(r.B) && r.B[i] == breakByte {
			r.I = i + 1
			return true
		}
		if i >= len(r.B) || r.B[i]>>5 != major {
			return false
		}
		cm, carg, cindef, cnext, cok := r.head(i)
		if !cok || cm != major || cindef || carg > uint64(len(r.B)-cnext) {
			return false
		}
		i = cnext + int(carg)
	}
}
