// Command aws-kinesis-agent tails log files and ships them to Amazon
// Kinesis Data Streams and Firehose; a drop-in for the Java agent.
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	fmt.Fprintln(os.Stderr, "aws-kinesis-agent", version, ": not wired yet")
	os.Exit(1)
}
