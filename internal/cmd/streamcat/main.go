// Command streamcat creates a stream on a local Kinesis server and reads
// records back from every shard. It is demo and test tooling, never
// shipped: `make demo` uses it to show what the agent delivered.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func main() {
	endpoint := flag.String("endpoint", os.Getenv("KINESALITE_ENDPOINT"), "Kinesis endpoint (http://127.0.0.1:4567)")
	stream := flag.String("stream", "airline_tickets", "stream name")
	create := flag.Int("create", 0, "create the stream with this many shards and wait until it is ACTIVE, then exit")
	want := flag.Int("want", 0, "read until at least this many records arrived (0: read what is there)")
	wait := flag.Duration("wait", 30*time.Second, "how long to wait for -want records")
	show := flag.Int("print", 3, "print the first N records")
	flag.Parse()
	if *endpoint == "" {
		fatal(errors.New("-endpoint or KINESALITE_ENDPOINT is required"))
	}
	ctx := context.Background()
	c := kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(*endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCALDEMO", "local-demo-secret", ""),
	})
	if *create > 0 {
		_, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: stream, ShardCount: aws.Int32(int32(*create))})
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: stream})
			if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
				fmt.Printf("stream %s is ACTIVE\n", *stream)
				return
			}
			if time.Now().After(deadline) {
				fatal(fmt.Errorf("stream %s not ACTIVE after 30s (last error: %v)", *stream, err))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	recs, err := readUntil(ctx, c, *stream, *want, *wait)
	if err != nil {
		fatal(err)
	}
	for i := 0; i < len(recs) && i < *show; i++ {
		fmt.Printf("%s", recs[i])
		if n := len(recs[i]); n == 0 || recs[i][n-1] != '\n' {
			fmt.Println()
		}
	}
	fmt.Printf("total records read back from stream %s: %d\n", *stream, len(recs))
	if len(recs) < *want {
		os.Exit(1)
	}
}

// readUntil reads every record of every shard from the start, polling
// until want records were seen or wait passed.
func readUntil(ctx context.Context, c *kinesis.Client, stream string, want int, wait time.Duration) ([][]byte, error) {
	shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: &stream})
	if err != nil {
		return nil, err
	}
	iters := map[string]*string{}
	for _, s := range shards.Shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: &stream, ShardId: s.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return nil, err
		}
		iters[*s.ShardId] = it.ShardIterator
	}
	var recs [][]byte
	deadline := time.Now().Add(wait)
	for {
		got := 0
		for id, it := range iters {
			if it == nil {
				continue
			}
			out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(10000)})
			if err != nil {
				return nil, err
			}
			for _, r := range out.Records {
				recs = append(recs, r.Data)
			}
			got += len(out.Records)
			iters[id] = out.NextShardIterator
		}
		if len(recs) >= want || (got == 0 && time.Now().After(deadline)) {
			return recs, nil
		}
		if got == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "streamcat:", err)
	os.Exit(1)
}
