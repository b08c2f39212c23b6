package config

import (
	"errors"
	"fmt"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javanum"
	"math"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is on the *Error that Load returns.
var (
	// ErrNoFlows: no flow is configured in any file.
	ErrNoFlows = errors.New("no flows configured")
	// ErrDuplicateFlow: two flows have the same id.
	ErrDuplicateFlow = errors.New("duplicate flow")
	// ErrSyntax: the main configuration file is not a JSON object.
	ErrSyntax = errors.New("configuration file cannot be read")
)

// Error is a configuration error. Its text is "<file>: <key>: <message>"
// (the key part is omitted for top-level findings), where the message is
// the Java agent's text wherever the Java agent has one.
type Error struct {
	File string // the file the finding is in
	Key  string // location inside the file, e.g. "flows[0]"; "" at top level
	Msg  string
	Err  error // optional sentinel or cause
}

func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString(e.File)
	sb.WriteString(": ")
	if e.Key != "" {
		sb.WriteString(e.Key)
		sb.WriteString(": ")
	}
	sb.WriteString(e.Msg)
	return sb.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Java class names used in conversion error messages.
const (
	javaInteger = "class java.lang.Integer"
	javaLong    = "class java.lang.Long"
	javaBoolean = "class java.lang.Boolean"
	javaString  = "class java.lang.String"
	javaConfig  = "class com.amazon.kinesis.streaming.agent.config.Configuration"
)

// javaText is the Java toString of the value Jackson would have produced.
func javaText(v *value) string {
	switch v.kind {
	case kNull:
		return "null"
	case kBool:
		return strconv.FormatBool(v.b)
	case kString:
		return v.s
	case kNumber:
		if v.isInt {
			if v.s == "-0" {
				return "0"
			}
			return v.s
		}
		f, _ := strconv.ParseFloat(v.s, 64) // ±Inf on overflow, as Java
		return javaDouble(f)
	case kArray:
		parts := make([]string, len(v.elems))
		for i, e := range v.elems {
			parts[i] = javaText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		parts := make([]string, len(v.members))
		for i, m := range v.members {
			parts[i] = m.key + "=" + javaText(m.val)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
}

// javaDouble formats f as Java's Double.toString does.
func javaDouble(f float64) string { return javanum.FormatDouble(f) }

// decodeJava decodes s as Java's Integer.decode (bits 32) or Long.decode
// (bits 64): optional sign, then 0x/0X/# hex, leading 0 octal, or decimal.
func decodeJava(s string, bits uint) (int64, bool) {
	if s == "" {
		return 0, false
	}
	i := 0
	neg := false
	switch s[0] {
	case '-':
		neg = true
		i++
	case '+':
		i++
	}
	radix := uint64(10)
	switch {
	case strings.HasPrefix(s[i:], "0x"), strings.HasPrefix(s[i:], "0X"):
		radix = 16
		i += 2
	case strings.HasPrefix(s[i:], "#"):
		radix = 16
		i++
	case strings.HasPrefix(s[i:], "0") && len(s) > i+1:
		radix = 8
		i++
	}
	digits := s[i:]
	if digits == "" || digits[0] == '-' || digits[0] == '+' {
		return 0, false
	}
	limit := uint64(1) << (bits - 1) // magnitude of the minimum value
	var mag uint64
	for k := 0; k < len(digits); k++ {
		d := uint64(hexVal(digits[k]))
		if hexVal(digits[k]) < 0 || d >= radix {
			return 0, false
		}
		if mag > (math.MaxUint64-d)/radix {
			return 0, false
		}
		mag = mag*radix + d
		if mag > limit {
			return 0, false
		}
	}
	if neg {
		return -int64(mag-1) - 1, true
	}
	if mag == limit {
		return 0, false
	}
	return int64(mag), true
}

// millis converts milliseconds to a Duration, saturating instead of
// overflowing.
func millis(ms int64) time.Duration {
	const max = int64(math.MaxInt64 / int64(time.Millisecond))
	switch {
	case ms > max:
		return time.Duration(math.MaxInt64)
	case ms < -max:
		return time.Duration(math.MinInt64)
	}
	return time.Duration(ms) * time.Millisecond
}

func seconds(s int64) time.Duration { return millis(saturatingMul(s, 1000)) }

func saturatingMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	r := a * b
	if r/b != a {
		if (a < 0) != (b < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return r
}

// objReader reads the keys of one JSON object with Java's coercion rules.
type objReader struct {
	file   string
	prefix string // location of the object, e.g. "flows[0]"
	obj    *value
}

func (r *objReader) errf(format string, args ...any) *Error {
	return &Error{File: r.file, Key: r.prefix, Msg: fmt.Sprintf(format, args...)}
}

func (r *objReader) get(key string) (*value, bool) { return r.obj.get(key) }

func (r *objReader) has(key string) bool { _, ok := r.obj.get(key); return ok }

func (r *objReader) convErr(v *value, class, key string) *Error {
	return r.errf("Failed to convert value (%s) to desired type (%s): %s", shownValue(key, v), class, key)
}

// secretKeys are the keys whose values never appear in an error.
var secretKeys = map[string]bool{"awsAccessKeyId": true, "awsSecretAccessKey": true, "awsSessionToken": true, "assumeRoleExternalId": true}

// shownValue is the value of key as an error shows it: its Java text, or
// <redacted> for a secret key.
func shownValue(key string, v *value) string {
	if secretKeys[key] {
		return "<redacted>"
	}
	return javaText(v)
}

// str reads a string key: any scalar is converted to its text. present is
// false when the key is absent or JSON null.
func (r *objReader) str(key string) (s string, present bool, err error) {
	v, ok := r.get(key)
	if !ok || v.kind == kNull {
		return "", false, nil
	}
	if v.kind == kObject || v.kind == kArray {
		return "", false, r.errf("Failed to convert value (%s) to desired type (%s): %s: expected a string, got a JSON %s",
			shownValue(key, v), javaString, key, v.kind)
	}
	return javaText(v), true, nil
}

// strDefault reads an optional string key.
func (r *objReader) strDefault(key, def string) (string, error) {
	s, ok, err := r.str(key)
	if err != nil || !ok {
		return def, err
	}
	return s, nil
}

// required reads a required string key.
func (r *objReader) required(key string) (string, error) {
	s, ok, err := r.str(key)
	if err != nil {
		return "", err
	}
	if !ok {
		if r.has(key) {
			return "", r.errf("Required configuration value missing: %s (it is null)", key)
		}
		return "", r.errf("Required configuration value missing: %s%s", key, r.missingHint(key))
	}
	return s, nil
}

// integer reads an Integer (bits 32) or Long (bits 64) key.
func (r *objReader) integer(key string, def int64, bits uint) (int64, error) {
	v, ok := r.get(key)
	if !ok {
		return def, nil
	}
	class := javaInteger
	if bits == 64 {
		class = javaLong
	}
	if v.kind == kNull {
		return 0, r.errf("Failed to convert value (null) to desired type (%s): %s: the value must not be null", class, key)
	}
	if v.kind == kObject || v.kind == kArray {
		return 0, r.convErr(v, class, key)
	}
	n, ok := decodeJava(javaText(v), bits)
	if !ok {
		e := r.convErr(v, class, key)
		if v.kind == kNumber && !v.isInt {
			e.Msg += ": not an integer"
		} else if t := strings.TrimLeft(javaText(v), "+-"); len(t) > 1 && t[0] == '0' && strings.ContainsAny(t, "89") && looksNumeric(t) {
			e.Msg += ": a leading 0 makes it octal, where 8 and 9 are not digits (write it without the leading 0)"
		} else if looksNumeric(javaText(v)) {
			e.Msg += ": out of range"
		}
		return 0, e
	}
	return n, nil
}

func looksNumeric(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// int32Key reads an Integer key.
func (r *objReader) int32Key(key string, def int) (int, error) {
	n, err := r.integer(key, int64(def), 32)
	return int(n), err
}

// int64Key reads a Long key.
func (r *objReader) int64Key(key string, def int64) (int64, error) {
	return r.integer(key, def, 64)
}

// boolean reads a Boolean key with Java's BooleanConverter rules.
func (r *objReader) boolean(key string, def bool) (bool, error) {
	v, ok := r.get(key)
	if !ok {
		return def, nil
	}
	switch v.kind {
	case kBool:
		return v.b, nil
	case kNull:
		return false, r.errf("Failed to convert value (null) to desired type (%s): %s: the value must not be null", javaBoolean, key)
	}
	t := javaText(v)
	switch strings.ToLower(t) {
	case "true", "yes", "t", "y", "1":
		return true, nil
	case "false", "no", "f", "n", "0":
		return false, nil
	}
	return false, r.errf("Failed to convert value (%s) to desired type (%s): %s: Cannot convert value to boolean: %s",
		t, javaBoolean, key, t)
}

// enum reads an enum key (case-sensitive exact names).
func (r *objReader) enum(key string, legal []string, def string) (string, error) {
	s, ok, err := r.str(key)
	if err != nil {
		return "", err
	}
	if !ok {
		return def, nil
	}
	for _, l := range legal {
		if s == l {
			return s, nil
		}
	}
	return "", r.errf("Value(%s) is not legally accepted by key: %s. Legal values are %s", s, key, strings.Join(legal, ","))
}

// requiredEnum reads a required enum key.
func (r *objReader) requiredEnum(key string, legal []string) (string, error) {
	s, err := r.enum(key, legal, "")
	if err != nil {
		return "", err
	}
	if s == "" {
		if r.has(key) {
			return "", r.errf("Required configuration value missing: %s (it is null)", key)
		}
		return "", r.errf("Required configuration value missing: %s%s", key, r.missingHint(key))
	}
	return s, nil
}

// checkRange checks lo <= v <= hi with Guava's Range text ([lo..hi]);
// hi == math.MaxInt64 means unbounded above.
func (r *objReader) checkRange(key string, v, lo, hi int64) error {
	if v >= lo && v <= hi {
		return nil
	}
	rng := fmt.Sprintf("[%d..%d]", lo, hi)
	if hi == math.MaxInt64 {
		rng = fmt.Sprintf("[%d..+∞)", lo)
	}
	return r.errf("'%s' value %d is outside of valid range (%s)", key, v, rng)
}

// stringList reads a list of strings (any scalar item is converted to its
// text). present is false when the key is absent or null.
func (r *objReader) stringList(key string) (list []string, present bool, err error) {
	v, ok := r.get(key)
	if !ok || v.kind == kNull {
		return nil, false, nil
	}
	if v.kind != kArray {
		return nil, false, r.errf("Configuration value is not a list: %s (key %s)", javaText(v), key)
	}
	list = make([]string, 0, len(v.elems))
	for _, e := range v.elems {
		if e.kind == kNull || e.kind == kObject || e.kind == kArray {
			return nil, false, r.errf("Failed to convert list item (%s) to desired type (%s): %s", javaText(e), javaString, key)
		}
		list = append(list, javaText(e))
	}
	return list, true, nil
}

// missingHint suggests an unknown key of the object that looks like the
// missing one.
func (r *objReader) missingHint(key string) string {
	for _, m := range r.obj.members {
		if m.key != key && closeEnough(m.key, key) {
			return fmt.Sprintf(" (the object has %q: did you mean %q?)", m.key, key)
		}
	}
	return ""
}
