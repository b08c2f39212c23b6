package send

import (
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// BenchmarkFastCodecDecode500: decoding a 500-entry successful PutRecords
// answer as Kinesis sends it (SequenceNumber and ShardId per entry).
func BenchmarkFastCodecDecode500(b *testing.B) {
	body := []byte(`{"EncryptionType":"NONE","FailedRecordCount":0,"Records":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"SequenceNumber":"4963519087327648305327735186018940797690934568472657`...)
		body = strconv.AppendInt(body, int64(1000+i), 10)
		body = append(body, `","ShardId":"shardId-000000000003"}`...)
	}
	body = append(body, "]}"...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var out kinesis.PutRecordsOutput
		if err := decodePutRecordsOutput(body, &out); err != nil || len(out.Records) != 500 {
			b.Fatal(err, len(out.Records))
		}
	}
}
