#!/usr/bin/env bash
# Stops the servers started by start.sh, by PID file only.
here=$(cd "$(dirname "$0")" && pwd); EMU_DIR=${EMU_DIR:-$here/.run}
for f in "$EMU_DIR"/*.pid; do
  [ -e "$f" ] || continue; pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$f"
done
exit 0
