#!/usr/bin/env bash
# make demo: the reference workload end to end on this machine.
# Starts kinesalite on loopback, creates the stream airline_tickets, runs the
# agent with agent.json.example pointed at a temporary directory and the local
# endpoint, writes airline-ticket CSV files with api_caller --sample, prints the
# first JSON records read back from the stream and the total, and stops
# everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${DEMO_RECORDS:-1000}
work=$(mktemp -d /tmp/aws-kinesis-agent-demo.XXXXXX)
export EMU_DIR=$work/emulators
port=${KINESALITE_PORT:-$(( 20000 + RANDOM % 20000 ))}
agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true
  .ci/emulators/stop.sh
  echo "demo files kept in $work (agent log: $work/agent.log)"
}
trap cleanup EXIT

echo "== starting kinesalite on 127.0.0.1:$port"
eval "$(KINESALITE_PORT=$port .ci/emulators/start.sh kinesalite)"
go run ./internal/cmd/streamcat -endpoint "$KINESALITE_ENDPOINT" -stream airline_tickets -create 2

mkdir -p "$work/airline_tickets"
# The example config, pointed at the demo directory and the local endpoint.
sed -e "s#/var/log/airline_tickets/#$work/airline_tickets/#" \
    -e "s#\"cloudwatch.emitMetrics\": true#\"cloudwatch.emitMetrics\": false, \"kinesis.endpoint\": \"$KINESALITE_ENDPOINT\", \"checkpointFile\": \"$work/checkpoints\", \"awsAccessKeyId\": \"AKIDLOCALDEMO\", \"awsSecretAccessKey\": \"local-demo-secret\"#" \
    -e "s#\"partitionKeyOption\": \"RANDOM\",#\"partitionKeyOption\": \"RANDOM\", \"initialPosition\": \"START_OF_FILE\", \"maxBufferAgeMillis\": 1000,#" \
    agent.json.example > "$work/agent.json"
mkdir -p "$work/agent.d"

echo "== writing $N airline-ticket lines with api_caller --sample"
dist/api_caller --sample "$N" --seed 42 --out-dir "$work/airline_tickets"
head -2 "$work/airline_tickets"/*.log | sed 's/^/   /'

echo "== running aws-kinesis-agent (PutRecords in CBOR, as the Java agent; this kinesalite is shimmed to keep CBOR data: .ci/emulators/kinesalite.js)"
dist/aws-kinesis-agent -c "$work/agent.json" -d "$work/agent.d" -l "$work/agent.log" &
agent_pid=$!

echo "== records read back from stream airline_tickets"
go run ./internal/cmd/streamcat -endpoint "$KINESALITE_ENDPOINT" -stream airline_tickets -want "$N" -wait 60s -print 3
# Stop the agent first: it logs its last progress line at shutdown.
kill "$agent_pid" && wait "$agent_pid" || true
agent_pid=
grep -E 'Agent: (Progress|Startup)' "$work/agent.log" | tail -2 || true
