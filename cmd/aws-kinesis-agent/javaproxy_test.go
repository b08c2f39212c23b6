package main

import (
	"strings"
	"testing"
)

// The Java agent's proxy is set in JVM_ARGS (-Dhttps.proxyHost=...), which
// this agent does not read: with no HTTPS_PROXY, the proxy was ignored with
// no word, and sends failed where only the proxy reaches AWS. The start
// says so. From a replay of Java agent users' questions
// (awslabs/amazon-kinesis-agent#61, #122).
func TestAJavaProxyInJVMArgsWithoutAProxyVariableIsTold(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	jvm := "-Dhttps.proxyHost=proxy.corp -Dhttps.proxyPort=3128"
	if msg := javaProxyUnread(env("JVM_ARGS", jvm)); !strings.Contains(msg, "HTTPS_PROXY=http://host:port") {
		t.Errorf("not told: %q", msg)
	}
	for _, e := range [][]string{{"JVM_ARGS", jvm, "HTTPS_PROXY", "http://proxy.corp:3128"}, {"JVM_ARGS", jvm, "https_proxy", "http://p:1"}, {"JVM_ARGS", "-Xmx512m"}, {}} {
		if msg := javaProxyUnread(env(e...)); msg != "" {
			t.Errorf("%v: told %q", e, msg)
		}
	}
}
