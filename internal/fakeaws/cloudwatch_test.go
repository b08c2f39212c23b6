package fakeaws

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
)

func newCWClient(url string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	}, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(url) })
}

func TestCloudWatchDecodesRealSDKRequests(t *testing.T) {
	cw := NewCloudWatch()
	srv := httptest.NewServer(cw)
	defer srv.Close()
	client := newCWClient(srv.URL)
	ctx := context.Background()

	_, err := client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("NS"),
		MetricData: []types.MetricDatum{{
			MetricName: aws.String("RecordsSent"),
			Unit:       types.StandardUnitCount,
			Dimensions: []types.Dimension{{Name: aws.String("Destination"), Value: aws.String("KinesisStream:s")}},
			StatisticValues: &types.StatisticSet{
				SampleCount: aws.Float64(3), Sum: aws.Float64(12.5), Minimum: aws.Float64(1), Maximum: aws.Float64(10),
			},
		}, {
			MetricName: aws.String("Plain"),
			Unit:       types.StandardUnitBytes,
			Value:      aws.Float64(7),
		}},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	// 1000 datums: the SDK gzips the body (>= 10 KiB).
	big := make([]types.MetricDatum, 1000)
	for i := range big {
		big[i] = types.MetricDatum{MetricName: aws.String(fmt.Sprintf("M%04d", i)), Value: aws.Float64(float64(i))}
	}
	if _, err := client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Big"), MetricData: big}); err != nil {
		t.Fatalf("big PutMetricData: %v", err)
	}
	if e := cw.Errors(); len(e) > 0 {
		t.Fatalf("server errors: %v", e)
	}
	reqs := cw.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests", len(reqs))
	}
	d := reqs[0].Datums
	if reqs[0].Namespace != "NS" || len(d) != 2 {
		t.Fatalf("first request: %+v", reqs[0])
	}
	if d[0].MetricName != "RecordsSent" || d[0].Unit != "Count" || d[0].DimString() != "Destination=KinesisStream:s" ||
		d[0].Stats == nil || *d[0].Stats != (CWStatisticSet{SampleCount: 3, Sum: 12.5, Minimum: 1, Maximum: 10}) {
		t.Errorf("datum 0 = %+v stats %+v", d[0], d[0].Stats)
	}
	if d[1].MetricName != "Plain" || d[1].Unit != "Bytes" || d[1].Value == nil || *d[1].Value != 7 {
		t.Errorf("datum 1 = %+v", d[1])
	}
	if !reqs[1].Gzipped || len(reqs[1].Datums) != 1000 || reqs[1].Datums[999].MetricName != "M0999" || *reqs[1].Datums[999].Value != 999 {
		t.Errorf("big request gz=%v n=%d", reqs[1].Gzipped, len(reqs[1].Datums))
	}
}

func TestCloudWatchInjectedFailureReachesClient(t *testing.T) {
	cw := NewCloudWatch()
	srv := httptest.NewServer(cw)
	defer srv.Close()
	client := newCWClient(srv.URL)
	cw.FailNext(1, CloudWatchFailure{Status: 400, Code: "InvalidParameterValue", Message: "nope"})
	in := &cloudwatch.PutMetricDataInput{Namespace: aws.String("NS"), MetricData: []types.MetricDatum{{MetricName: aws.String("a"), Value: aws.Float64(1)}}}
	_, err := client.PutMetricData(context.Background(), in)
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("err = %v, want InvalidParameterValue", err)
	}
	if _, err := client.PutMetricData(context.Background(), in); err != nil {
		t.Fatalf("after one failure: %v", err)
	}
	if n := len(cw.Datums()); n != 1 {
		t.Fatalf("successful datums = %d, want 1", n)
	}
}

func TestCloudWatchDelayEndsWhenClientGivesUp(t *testing.T) {
	cw := NewCloudWatch()
	srv := httptest.NewServer(cw)
	defer srv.Close()
	cw.SetDelay(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := newCWClient(srv.URL).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("NS"),
		MetricData: []types.MetricDatum{{MetricName: aws.String("a"), Value: aws.Float64(1)}}})
	if err == nil {
		t.Fatal("delayed call succeeded before its deadline")
	}
}
