package batch

import "github.com/kinesis-agent-go/aws-kinesis-agent/processors/javanum"

// AppendJavaDouble appends f as Java's Double.toString prints it (RANDOM
// partition keys); see package javanum.
func AppendJavaDouble(dst []byte, f float64) []byte { return javanum.AppendDouble(dst, f) }
