package kinesistest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Region is the region every test client signs for (kinesis-local namespaces
// streams by it).
const Region = "us-east-1"

// Config returns an explicit aws.Config for local servers: region us-east-1,
// static credentials, nothing from the environment or shared config files
// (so AWS_CA_BUNDLE, AWS_PROFILE, AWS_REGION do not matter).
func Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAKINESISTEST", "kinesistest-secret", ""),
	}
}

// Client returns a Kinesis client for endpoint built from Config.
func Client(t testing.TB, endpoint string) *kinesis.Client {
	t.Helper()
	return kinesis.NewFromConfig(Config(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// StreamName returns a unique stream name derived from the test's name.
func StreamName(t testing.TB) string {
	var b strings.Builder
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := b.String()
	if len(name) > 100 {
		name = name[:100]
	}
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	return name + "-" + hex.EncodeToString(suffix[:])
}

// CreateStream creates a stream with the given number of shards, named after
// the test, and waits until it is ACTIVE (polling DescribeStreamSummary every
// 20 ms, at most 30 s). The stream is deleted when the test ends.
func CreateStream(t testing.TB, client *kinesis.Client, shards int) string {
	t.Helper()
	name := StreamName(t)
	c := ctx(t, 40*time.Second)
	if _, err := client.CreateStream(c, &kinesis.CreateStreamInput{
		StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards)),
	}); err != nil {
		t.Fatalf("CreateStream %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteStream(ctx(t, 10*time.Second), &kinesis.DeleteStreamInput{StreamName: aws.String(name)})
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := client.DescribeStreamSummary(c, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return name
		}
		var nf *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			t.Fatalf("DescribeStreamSummary %s: %v", name, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not ACTIVE after 30s (last error %v)", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReadAll returns every record of the stream, shard by shard from
// TRIM_HORIZON (records keep their order within a shard).
func ReadAll(t testing.TB, client *kinesis.Client, stream string) [][]byte {
	t.Helper()
	recs, err := readAll(t, client, stream)
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	out := make([][]byte, len(recs))
	for i, r := range recs {
		out[i] = r.Data
	}
	return out
}

// ReadAllRecords is ReadAll with the partition keys.
func ReadAllRecords(t testing.TB, client *kinesis.Client, stream string) []types.Record {
	t.Helper()
	recs, err := readAll(t, client, stream)
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return recs
}

func readAll(t testing.TB, client *kinesis.Client, stream string) ([]types.Record, error) {
	c := ctx(t, 60*time.Second)
	var shards []types.Shard
	var next *string
	for {
		in := &kinesis.ListShardsInput{}
		if next != nil {
			in.NextToken = next
		} else {
			in.StreamName = aws.String(stream)
		}
		out, err := client.ListShards(c, in)
		if err != nil {
			return nil, err
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			break
		}
		next = out.NextToken
	}
	var recs []types.Record
	for _, sh := range shards {
		it, err := client.GetShardIterator(c, &kinesis.GetShardIteratorInput{
			StreamName: aws.String(stream), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return nil, err
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := client.GetRecords(c, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				return nil, err
			}
			recs = append(recs, out.Records...)
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return recs, nil
}

// WaitForRecords polls the stream until it holds at least n records or
// timeout passes (then the test fails), and returns all records read.
func WaitForRecords(t testing.TB, client *kinesis.Client, stream string, n int, timeout time.Duration) [][]byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := ReadAll(t, client, stream)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s: %d records after %v, want >= %d", stream, len(got), timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
