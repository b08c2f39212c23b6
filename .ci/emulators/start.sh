#!/usr/bin/env bash
# Starts local Kinesis servers on loopback and prints `export X_ENDPOINT=...` lines.
# Usage: eval "$(.ci/emulators/start.sh kinesalite [kinesis-mock])"
# Stop them with .ci/emulators/stop.sh (by PID file, never by process name).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
EMU_DIR=${EMU_DIR:-$here/.run}; mkdir -p "$EMU_DIR"
[ -d "$here/node_modules/kinesalite" ] || (cd "$here" && npm ci --no-audit --no-fund --omit=optional >/dev/null)
KINESALITE_PORT=${KINESALITE_PORT:-4567}
KINESIS_MOCK_PORT=${KINESIS_MOCK_PORT:-4568}
KINESIS_MOCK_TLS_PORT=${KINESIS_MOCK_TLS_PORT:-4569}
wait_http() { # name url timeout_s
  local name=$1 url=$2 deadline=$((SECONDS + $3)) pid; pid=$(cat "$EMU_DIR/$name.pid")
  until curl -s -o /dev/null --max-time 1 "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited early:" >&2; tail -5 "$EMU_DIR/$name.log" >&2; return 1; fi
    if (( SECONDS >= deadline )); then echo "timeout waiting for $url" >&2; return 1; fi
    sleep 0.05
  done
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for emu in "${@:-kinesalite}"; do
  case $emu in
    kinesalite)
      port_free "$KINESALITE_PORT" || { echo "port $KINESALITE_PORT already in use" >&2; exit 1; }
      node "$here/kinesalite.js" --port "$KINESALITE_PORT" \
        --createStreamMs 50 --deleteStreamMs 50 --updateStreamMs 50 --shardLimit 1000 \
        >"$EMU_DIR/kinesalite.log" 2>&1 &
      echo $! >"$EMU_DIR/kinesalite.pid"
      wait_http kinesalite "http://127.0.0.1:$KINESALITE_PORT/" 30
      echo "export KINESALITE_ENDPOINT=http://127.0.0.1:$KINESALITE_PORT" ;;
    kinesis-mock)
      km="$here/node_modules/kinesis-local"
      for p in "$KINESIS_MOCK_PORT" "$KINESIS_MOCK_TLS_PORT"; do port_free "$p" || { echo "port $p already in use" >&2; exit 1; }; done
      KINESIS_MOCK_PLAIN_PORT=$KINESIS_MOCK_PORT KINESIS_MOCK_TLS_PORT=$KINESIS_MOCK_TLS_PORT \
      KINESIS_MOCK_CERT_PATH="$km/server.json" LOG_LEVEL=${KINESIS_MOCK_LOG_LEVEL:-WARN} \
      CREATE_STREAM_DURATION=50ms DELETE_STREAM_DURATION=50ms SHARD_LIMIT=1000 \
        node "$km/main.js" >"$EMU_DIR/kinesis-mock.log" 2>&1 &
      echo $! >"$EMU_DIR/kinesis-mock.pid"
      wait_http kinesis-mock "http://127.0.0.1:$KINESIS_MOCK_PORT/healthcheck" 60
      echo "export KINESIS_MOCK_ENDPOINT=http://127.0.0.1:$KINESIS_MOCK_PORT" ;;
    *) echo "unknown emulator $emu" >&2; exit 2 ;;
  esac
done
