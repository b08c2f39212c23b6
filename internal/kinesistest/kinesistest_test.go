package kinesistest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go/encoding/cbor"
)

func TestMain(m *testing.M) { Main(m) }

func putN(t *testing.T, c *kinesis.Client, stream string, n int, big int) *kinesis.PutRecordsOutput {
	t.Helper()
	var entries []types.PutRecordsRequestEntry
	for i := 0; i < n; i++ {
		entries = append(entries, types.PutRecordsRequestEntry{
			Data: []byte(fmt.Sprintf("rec-%04d", i)), PartitionKey: aws.String(fmt.Sprint(i)),
		})
	}
	if big > 0 {
		entries = append(entries, types.PutRecordsRequestEntry{Data: make([]byte, big), PartitionKey: aws.String("big")})
	}
	out, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
	if err != nil {
		t.Fatalf("PutRecords: %v", err)
	}
	return out
}

func TestKinesaliteRoundTripOverShards(t *testing.T) {
	c := Client(t, Endpoint(t))
	s := CreateStream(t, c, 4)
	putN(t, c, s, 200, 0)
	got := WaitForRecords(t, c, s, 200, 10*time.Second)
	if len(got) != 200 {
		t.Fatalf("got %d records, want 200", len(got))
	}
	sort.Slice(got, func(i, j int) bool { return bytes.Compare(got[i], got[j]) < 0 })
	for i, r := range got {
		if want := fmt.Sprintf("rec-%04d", i); string(r) != want {
			t.Fatalf("record %d = %q, want %q", i, r, want)
		}
	}
}

func TestKinesisMockReturnsPerEntryFailureForOversizedRecord(t *testing.T) {
	c := Client(t, MockEndpoint(t))
	s := CreateStream(t, c, 1)
	out := putN(t, c, s, 2, 1<<20+1)
	if aws.ToInt32(out.FailedRecordCount) != 1 || out.Records[2].ErrorCode == nil {
		t.Fatalf("FailedRecordCount=%d entries=%+v, want the oversized entry to fail", aws.ToInt32(out.FailedRecordCount), out.Records)
	}
	if got := WaitForRecords(t, c, s, 2, 10*time.Second); len(got) != 2 {
		t.Fatalf("stored %d records, want 2", len(got))
	}
}

func TestStreamNamesAreUniqueAndValid(t *testing.T) {
	a, b := StreamName(t), StreamName(t)
	if a == b {
		t.Fatalf("two names equal: %s", a)
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			t.Fatalf("bad char %q in %s", r, a)
		}
	}
}

// The harness's kinesalite speaks PutRecords in CBOR (the Java SDK's and the
// agent's default) whole: 500 records' data read back with JSON GetRecords
// byte for byte, and the 500-entry answer complete. Stock kinesalite
// answers a JSON-encoded Node Buffer for the data, and cuts CBOR answers at
// 16 KiB (.ci/emulators/kinesalite.js).
func TestKinesaliteKeepsTheDataAndAnswerOfACBORPut(t *testing.T) {
	ep := Endpoint(t)
	c := Client(t, ep)
	stream := CreateStream(t, c, 1)
	var recs cbor.List
	var want []string
	for i := 0; i < 500; i++ {
		d := fmt.Sprintf("record %03d \x00\xff\n", i)
		want = append(want, d)
		recs = append(recs, cbor.Map{"Data": cbor.Slice(d), "PartitionKey": cbor.String(fmt.Sprint(i))})
	}
	body := cbor.Encode(cbor.Map{"StreamName": cbor.String(stream), "Records": recs})
	req, err := http.NewRequest("POST", ep+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
	req.Header.Set("X-Amz-Date", "20261121T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAKINESISTEST/20261121/"+Region+"/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CBOR PutRecords: HTTP %d, %v", resp.StatusCode, err)
	}
	v, err := cbor.Decode(answer)
	if err != nil {
		t.Fatalf("CBOR answer (%d bytes) does not decode: %v", len(answer), err)
	}
	if m, _ := v.(cbor.Map); m == nil || len(m["Records"].(cbor.List)) != 500 {
		t.Fatalf("CBOR answer without 500 entries: %d bytes", len(answer))
	}
	got := ReadAll(t, c, stream)
	gotS := make([]string, len(got))
	for i, g := range got {
		gotS[i] = string(g)
	}
	sort.Strings(gotS)
	if strings.Join(gotS, "|") != strings.Join(want, "|") {
		t.Fatalf("read back %d records, first %q; want %d, first %q", len(got), gotS[:min(1, len(gotS))], len(want), want[0])
	}
}
