#!/usr/bin/env bash
# CPU the lucid_http_hello process spends per request (user + sys of all its
# threads, from /proc/PID/stat, over a `wrk -t1 -c64 -dD s` run, divided by the
# requests wrk completed), for each configuration in turn, ROUNDS times.
# Less sensitive than requests/s to what else the 2 cores run: a round's
# requests/s moves by 10-20% here, its CPU per request by a few percent.
#   det      the detectors armed (the default), LUCID_STALL_MS=5000 as in console_cost.sh
#   con      aggregation on, as a console turns it on (LUCID_BENCH_TASK_STATS=2)
#   console  LUCID_CONSOLE on and one client reading /api/v1/events
#   before   as det, the lucid_http_hello in $BEFORE (another build's bench dir)
#   hyper    the peer: $HYPER (default ../shared/peers/tokio/target/release/hyper_hello)
# Usage: bench/cpu_per_request.sh [bench dir, default build/release/bench] [configs, default "det console"]
#   ROUNDS=6 D=5 bench/cpu_per_request.sh
#   BEFORE=/path/to/old/build/release/bench bench/cpu_per_request.sh build/release/bench det before hyper
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="${1:-$ROOT/build/release/bench}"
shift || true
CONFIGS="${*:-det console}"
ROUNDS="${ROUNDS:-6}"
D="${D:-5}"
port="${PORT:-18090}"
ticks_per_s="$(getconf CLK_TCK)"
for _ in $(seq "$ROUNDS"); do
  for c in $CONFIGS; do
    port=$((port + 1))
    extra=()
    case "$c" in
      det) ;;
      con) extra=(LUCID_BENCH_TASK_STATS=2) ;;
      console) extra=(LUCID_CONSOLE="127.0.0.1:$((port + 1000))") ;;
      before) ;;
      hyper) ;;
      *) echo "unknown configuration $c" >&2; exit 2 ;;
    esac
    server="$B/lucid_http_hello"
    [[ "$c" == before ]] && server="${BEFORE:?set BEFORE to the bench dir of the other build}/lucid_http_hello"
    [[ "$c" == hyper ]] && server="${HYPER:-$ROOT/../shared/peers/tokio/target/release/hyper_hello}"
    env LUCID_STALL_MS=5000 "${extra[@]}" "$server" "$port" 2 120 >/dev/null 2>&1 &
    pid=$!
    client=""
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$port/" && break
      sleep 0.05
    done
    if [[ "$c" == console ]]; then
      curl -sN -o /dev/null "http://127.0.0.1:$((port + 1000))/api/v1/events" &
      client=$!
    fi
    wrk -t1 -c64 -d1s "http://127.0.0.1:$port/" >/dev/null
    t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    out=$(wrk -t1 -c64 -d"${D}s" "http://127.0.0.1:$port/")
    t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    [[ -n "$client" ]] && kill "$client" 2>/dev/null
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    n=$(echo "$out" | awk '/requests in/{print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    awk -v c="$c" -v t=$((t1 - t0)) -v hz="$ticks_per_s" -v n="$n" -v rps="$rps" \
      'BEGIN { printf "%-8s cpu_ns/request %7.0f   requests/s %8.0f\n", c, t * 1e9 / hz / n, rps }'
  done
done
