// Package awserr describes AWS SDK errors for log lines and errors.
package awserr

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/smithy-go"
)

// FromCredentials reports whether err came from getting credentials (the
// SDK's "get identity: ..."), not from the call's own service.
func FromCredentials(err error) bool {
	return err != nil && strings.Contains(err.Error(), "get identity: ")
}

// Credentials describes an error of the credential provider (err from a
// service call; FromCredentials(err)) that carries an AWS API error: code
// is the error code ("" for the SDK's "UnknownError" of an answer without
// one, such as an STS 403 with an empty body), msg names the call that
// failed ("STS: AssumeRole", "container credential endpoint"), its
// HTTP status, the answer's message and source, the credential source
// (Clients.CredentialSource): "STS: AssumeRole: HTTP 403 Forbidden: no
// error message in the answer (while getting credentials: assume role
// arn:...)". The SDK's ErrorCode and ErrorMessage alone said "UnknownError:
// UnknownError".
func Credentials(err error, source string) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), strings.TrimRight(ae.ErrorMessage(), ". ")
	}
	if code == "UnknownError" && (msg == "" || msg == code) {
		code, msg = "", ""
	}
	var parts []string
	if where := credentialCall(err); where != "" {
		parts = append(parts, where)
	}
	var hs interface{ HTTPStatusCode() int }
	if errors.As(err, &hs) && hs.HTTPStatusCode() > 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(hs.HTTPStatusCode())+" "+http.StatusText(hs.HTTPStatusCode()))
	}
	switch {
	case msg != "":
		parts = append(parts, msg)
	case code != "":
		parts = append(parts, "no error message in the answer")
	default:
		parts = append(parts, "no error code or message in the answer")
	}
	msg = strings.Join(parts, ": ") + " (while getting credentials"
	if source != "" {
		msg += ": " + source
	}
	return code, msg + ")"
}

// credentialCall names the innermost operation of err (the credential
// provider's own call, inside the service call's), or "".
func credentialCall(err error) string {
	var ops []*smithy.OperationError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if op, ok := e.(*smithy.OperationError); ok {
			ops = append(ops, op)
		}
	}
	if len(ops) < 2 {
		// The container endpoint's client answers without an operation
		// error of its own ("failed to load credentials, " + its answer;
		// no other provider says so). Its host is in the source.
		if strings.Contains(err.Error(), "get credentials: failed to refresh cached credentials, failed to load credentials, ") {
			return "container credential endpoint"
		}
		return ""
	}
	op := ops[len(ops)-1]
	switch op.Service() {
	case "endpoint-credentials":
		return "container credential endpoint"
	case "ec2imds":
		return "EC2 instance metadata: " + op.Operation()
	}
	return op.Service() + ": " + op.Operation()
}
