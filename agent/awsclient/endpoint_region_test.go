package awsclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
)

// Spec §2.3 / checklist 36: "kinesis.endpoint" set, "kinesis.region" not set
// -> Java's legacy client (new AmazonKinesisClient + setEndpoint) needs no
// region; for a host that names no region the SDK v1 signs for us-east-1
// (AwsHostNameUtils.parseRegionName's fallback). So the Java agent starts
// and sends to that endpoint off EC2 with no region configured anywhere.
func TestAKinesisEndpointNamingNoRegionSignsForUSEast1WithoutAnyRegionSet(t *testing.T) {
	isolateEnv(t) // no AWS_REGION, no profile, IMDS disabled
	cfg := baseConfig()
	cfg.KinesisEndpoint = "http://127.0.0.1:4566"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := awsclient.New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v (Java starts and signs for us-east-1)", err)
	}
	if got := c.ServiceRegion(awsclient.KinesisService); got != "us-east-1" {
		t.Errorf("kinesis signing region %q, Java us-east-1", got)
	}
}

// Same endpoint with AWS_REGION=eu-west-1 in the environment: the Java
// legacy client ignores AWS_REGION and still signs for us-east-1.
func TestAKinesisEndpointNamingNoRegionSignsForUSEast1WhateverAWSRegionSays(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	cfg := baseConfig()
	cfg.KinesisEndpoint = "http://127.0.0.1:4566"
	c := mustNew(t, cfg)
	if got := c.ServiceRegion(awsclient.KinesisService); got != "us-east-1" {
		t.Errorf("kinesis signing region %q, Java us-east-1", got)
	}
}
