package kinesistest

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
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
