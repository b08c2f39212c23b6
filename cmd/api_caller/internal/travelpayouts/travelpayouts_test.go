package travelpayouts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/tptest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/travelpayouts"
)

const token = "tok-SECRET-0123456789abcdef"

var defaultQuery = travelpayouts.Query{
	Currency: "rub", Origin: "LED", Destination: "KZN", ShowToAffiliates: "false", TripDuration: "1",
}

func newClient(t *testing.T, url string) *travelpayouts.Client {
	t.Helper()
	c, err := travelpayouts.New(url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMonthMatrixSendsQueryHeaderAndAcceptsGzip(t *testing.T) {
	srv := tptest.New(t)
	q := defaultQuery
	q.Month = "2026-12"
	tickets, err := newClient(t, srv.URL).MonthMatrix(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets) != 3 {
		t.Fatalf("got %d tickets, want 3", len(tickets))
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodGet || r.Path != "/v2/prices/month-matrix" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	want := map[string]string{
		"currency": "rub", "origin": "LED", "destination": "KZN",
		"show_to_affiliates": "false", "trip_duration": "1", "month": "2026-12-01",
	}
	for k, v := range want {
		if got := r.Query[k]; len(got) != 1 || got[0] != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	if len(r.Query) != len(want) {
		t.Errorf("query has extra parameters: %v", r.Query)
	}
	if r.Token != token {
		t.Errorf("X-Access-Token not sent")
	}
	if !strings.Contains(r.AcceptEncoding, "gzip") {
		t.Errorf("Accept-Encoding %q", r.AcceptEncoding)
	}
}

func TestMonthMatrixOmitsMonthWhenUnset(t *testing.T) {
	srv := tptest.New(t)
	if _, err := newClient(t, srv.URL).MonthMatrix(context.Background(), defaultQuery); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Requests()[0].Query["month"]; ok {
		t.Error("month sent although unset")
	}
}

func TestMonthMatrixReadsPlainBodyToo(t *testing.T) {
	srv := tptest.New(t)
	srv.Respond(200, tptest.SampleBody, false)
	tickets, err := newClient(t, srv.URL).MonthMatrix(context.Background(), defaultQuery)
	if err != nil || len(tickets) != 3 {
		t.Fatalf("tickets %d, err %v", len(tickets), err)
	}
}

func TestMonthMatrixKeepsNumbersAsSent(t *testing.T) {
	srv := tptest.New(t)
	tickets, err := newClient(t, srv.URL).MonthMatrix(context.Background(), defaultQuery)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"4813", "5120.50", "1e4"} {
		n, ok := tickets[i]["value"].(json.Number)
		if !ok || string(n) != want {
			t.Errorf("ticket %d value = %#v, want json.Number %s", i, tickets[i]["value"], want)
		}
	}
	if b, ok := tickets[0]["actual"].(bool); !ok || !b {
		t.Errorf("actual = %#v", tickets[0]["actual"])
	}
}

func TestMonthMatrixErrors(t *testing.T) {
	tests := map[string]struct {
		status int
		body   string
		want   error
	}{
		"401 token rejected":  {401, `{"success":false,"error":"Unauthorized, token ` + token + `"}`, travelpayouts.ErrUnauthorized},
		"403 token rejected":  {403, `forbidden ` + token, travelpayouts.ErrUnauthorized},
		"500 server error":    {500, `oops ` + token, travelpayouts.ErrHTTPStatus},
		"404 not found":       {404, ``, travelpayouts.ErrHTTPStatus},
		"success false":       {200, `{"success":false,"data":null,"error":"bad origin ` + token + `"}`, travelpayouts.ErrNotSuccess},
		"malformed json":      {200, `{"success":true,"data":[{"value":1}`, travelpayouts.ErrMalformed},
		"html page":           {200, `<html>` + token + `</html>`, travelpayouts.ErrMalformed},
		"no success field":    {200, `{"data":[{"value":1}]}`, travelpayouts.ErrMalformed},
		"data not a list":     {200, `{"success":true,"data":{"2026-12-01":{"value":1}}}`, travelpayouts.ErrMalformed},
		"data list of scalar": {200, `{"success":true,"data":[1,2]}`, travelpayouts.ErrMalformed},
		"empty data":          {200, `{"success":true,"data":[]}`, travelpayouts.ErrNoData},
		"null data":           {200, `{"success":true,"data":null}`, travelpayouts.ErrNoData},
		"missing data":        {200, `{"success":true}`, travelpayouts.ErrNoData},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := tptest.New(t)
			srv.Respond(tc.status, tc.body, true)
			tickets, err := newClient(t, srv.URL).MonthMatrix(context.Background(), defaultQuery)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v (tickets %d), want %v", err, len(tickets), tc.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("token in error: %v", err)
			}
		})
	}
}

func TestMonthMatrixCorruptGzipIsMalformed(t *testing.T) {
	srv := tptest.New(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write([]byte("not gzip at all"))
	})
	_, err := newClient(t, srv.URL).MonthMatrix(context.Background(), defaultQuery)
	if !errors.Is(err, travelpayouts.ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRejectsBadBaseURLAndEmptyToken(t *testing.T) {
	if _, err := travelpayouts.New("ftp://x", token, nil); err == nil {
		t.Error("ftp base URL accepted")
	}
	if _, err := travelpayouts.New("", "", nil); err == nil {
		t.Error("empty token accepted")
	}
}

func TestValidateMonth(t *testing.T) {
	for m, ok := range map[string]bool{"2026-12": true, "2026-1": false, "2026-13": false, "12-2026": false, "": false} {
		if err := travelpayouts.ValidateMonth(m); (err == nil) != ok {
			t.Errorf("ValidateMonth(%q) = %v", m, err)
		}
	}
}
