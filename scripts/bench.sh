#!/usr/bin/env bash
# make bench: Go micro-benchmarks and the end-to-end benchmark of the built agent.
#
#   1. go test -bench over processors, flows, checkpoint, the sink and the
#      agent's TLS body path (agent/awsclient) (-benchmem), raw
#      output in bench/out/micro-<date>.txt, compared with the previous run by
#      benchstat (nested tools module);
#   2. internal/cmd/e2ebench: dist/aws-kinesis-agent against the fast sink over
#      HTTPS (CSVTOJSON and raw million-line runs, live append, alone and
#      beside 500 quiet files, 1 GB backlog
#      against a slow sink, a busy neighbour file in the flow's directory, ten
#      progress logs whose lines never end)
#      and against kinesalite; results in
#      bench/out/e2e-<date>.{json,md} with a comparison to the previous run,
#      CPU/allocation profiles of one CSVTOJSON run in bench/out/prof-<date>/.
#
# Knobs (environment): BENCH_COUNT (micro -count, default 6), BENCH_TIME
# (micro -benchtime, default 200ms), E2E_RUNS (default 3), E2E_SCENARIOS
# (default csv,raw,live,live-lines,live-quiet,kinesalite,backlog,neighbour,progress), E2E_AGENT (agent binary, default
# dist/aws-kinesis-agent), E2E_ARGS (more e2ebench flags, e.g.
# "--agent-env GOGC=50 --sink-http1"), BENCH_SKIP_MICRO=1, BENCH_SKIP_E2E=1.
# It stops everything it started (kinesalite by its PID file).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
count=${BENCH_COUNT:-6}
btime=${BENCH_TIME:-200ms}

benchstat() { go -C tools tool benchstat "$@"; }
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

echo "== $(date -u '+%F %T') UTC on $(nproc) cores, $(go version | cut -d' ' -f3)"

if [ "${BENCH_SKIP_MICRO:-}" != 1 ]; then
  prev=$(ls -1 "$out"/micro-*.txt 2>/dev/null | tail -1 || true)
  cur="$out/micro-$stamp.txt"
  echo "== micro-benchmarks (-count $count -benchtime $btime) -> $cur"
  go test -run '^$' -bench . -benchmem -count "$count" -benchtime "$btime" -timeout 10m \
    ./processors/... ./flows/... ./checkpoint/... ./internal/sink/... ./agent/awsclient/... | tee "$cur" | grep -E '^(Benchmark|ok|FAIL|---)' || true
  if [ -n "$prev" ]; then
    echo "== benchstat $(basename "$prev") -> $(basename "$cur")"
    benchstat "$(abs "$prev")" "$(abs "$cur")" | tee "$out/micro-$stamp.benchstat.txt"
  else
    benchstat "$(abs "$cur")" >"$out/micro-$stamp.benchstat.txt" || true
  fi
fi

if [ "${BENCH_SKIP_E2E:-}" != 1 ]; then
  scenarios=${E2E_SCENARIOS:-csv,raw,live,live-lines,live-quiet,kinesalite,backlog,neighbour,progress}
  work=$(mktemp -d /tmp/aws-kinesis-agent-bench.XXXXXX)
  export EMU_DIR=$work/emulators
  cleanup() { .ci/emulators/stop.sh; rm -rf "$work"; }
  trap cleanup EXIT
  kin_args=()
  if [[ ,$scenarios, == *,kinesalite,* ]]; then
    port=${KINESALITE_PORT:-$(( 20000 + RANDOM % 20000 ))}
    eval "$(KINESALITE_PORT=$port .ci/emulators/start.sh kinesalite)"
    kin_args=(--kinesalite "$KINESALITE_ENDPOINT")
  fi
  prev=$(ls -1 "$out"/e2e-*.json 2>/dev/null | tail -1 || true)
  go build -o "$work/e2ebench" ./internal/cmd/e2ebench
  echo "== end to end ($scenarios, ${E2E_RUNS:-3} runs each) -> $out/e2e-$stamp.{json,md}"
  # shellcheck disable=SC2086 # E2E_ARGS is a list of flags
  "$work/e2ebench" --agent "${E2E_AGENT:-dist/aws-kinesis-agent}" ${E2E_ARGS:-} \
    --work "$work/data" --runs "${E2E_RUNS:-3}" --scenarios "$scenarios" \
    --profile "$out/prof-$stamp" --out "$out/e2e-$stamp.json" ${prev:+--previous "$prev"} "${kin_args[@]}" \
    | tee "$out/e2e-$stamp.md"
  if [ -f "$out/prof-$stamp/cpu.pprof" ]; then
    echo "== top CPU (CSVTOJSON run): go tool pprof -top ${E2E_AGENT:-dist/aws-kinesis-agent} $out/prof-$stamp/cpu.pprof"
    go tool pprof -top -nodecount 15 "${E2E_AGENT:-dist/aws-kinesis-agent}" "$out/prof-$stamp/cpu.pprof" 2>/dev/null | sed -n '4,22p'
  fi
fi
