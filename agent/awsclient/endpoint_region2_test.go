package awsclient_test

import (
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
)

// Real AWS Kinesis endpoints whose host has no "amazonaws" label
// (dual-stack *.api.aws, ISO partitions) sign for the region they name, as
// Java's SDK v1 finds "kinesis.<region>." in any host; the us-east-1
// fallback for hosts naming no region took them too.
func TestEndpointsWithoutAnAmazonawsLabelSignForTheRegionTheyName(t *testing.T) {
	for ep, region := range map[string]string{
		"https://kinesis.eu-west-1.api.aws":            "eu-west-1",
		"https://kinesis-fips.us-gov-west-1.api.aws":   "us-gov-west-1",
		"https://kinesis.us-iso-east-1.c2s.ic.gov":     "us-iso-east-1",
		"https://kinesis.us-isob-east-1.sc2s.sgov.gov": "us-isob-east-1",
	} {
		t.Run(ep, func(t *testing.T) {
			isolateEnv(t)
			t.Setenv("AWS_REGION", region)
			cfg := baseConfig()
			cfg.KinesisEndpoint = ep
			c := mustNew(t, cfg)
			t.Logf("kinesis signs for %q, agent region %q, cloudwatch %q (AWS_REGION=%s)",
				c.ServiceRegion(awsclient.KinesisService), c.Region(), c.Endpoint(awsclient.CloudWatchService), region)
			if got := c.ServiceRegion(awsclient.KinesisService); got != region {
				t.Errorf("kinesis signing region %q, want %q (Java: service-hint parse)", got, region)
			}
		})
	}
}

// A firehose.endpoint naming no region (LocalStack) signs for us-east-1
// whatever AWS_REGION says, as Java's SDK does (as for kinesis.endpoint).
func TestALocalFirehoseEndpointSignsForUSEast1WhateverAWSRegionSays(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	cfg := baseConfig()
	cfg.FirehoseEndpoint = "http://127.0.0.1:4566"
	c := mustNew(t, cfg)
	if got := c.ServiceRegion(awsclient.FirehoseService); got != "us-east-1" {
		t.Errorf("firehose.endpoint naming no region signs for %q; Java us-east-1", got)
	}
}
