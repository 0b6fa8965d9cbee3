#!/usr/bin/env bash
# Runs a program with the console server on (LUCID_CONSOLE) and one client
# reading its events stream (GET /api/v1/events) for the whole run: issue 11's
# "a connected client at the default interval". Used by bench/console_cost.sh.
# Usage: bench/with_console_client.sh PROGRAM [ARGS...]
#   LUCID_BENCH_CONSOLE_PORT=6670   the console's port
set -euo pipefail
port="${LUCID_BENCH_CONSOLE_PORT:-6670}"
export LUCID_CONSOLE="127.0.0.1:$port"
"$@" &
pid=$!
client=""
cleanup() {
  [[ -n "$client" ]] && kill "$client" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
}
trap cleanup EXIT TERM INT
for _ in $(seq 200); do
  curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/snapshot" && break
  sleep 0.05
done
curl -sN -o /dev/null "http://127.0.0.1:$port/api/v1/events" &
client=$!
wait "$pid"
