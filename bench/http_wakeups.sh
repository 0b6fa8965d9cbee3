#!/usr/bin/env bash
# How often an HTTP server's threads sleep and wake per request: futex calls,
# epoll waits, context switches and scheduler wake-ups of the server process
# (perf stat tracepoints), and each thread's voluntary and nonvoluntary
# context switches (/proc/PID/task/*/status), over a `wrk -t1 -c64` run.
# On a machine whose cores the load generator shares, every wake of a second
# worker is paid for by the server or by wrk (bench/RESULTS.md, "Issue 16:
# where the time goes").
#
# usage: bench/http_wakeups.sh NAME='COMMAND {port}' ...
#   env: SECS=5 (wrk -d), RUNS=2 (rounds, servers alternate), PORT=18610
# e.g.
#   bench/http_wakeups.sh \
#     lucid='build/release/bench/lucid_http_hello {port} 2 60' \
#     hyper='/work/shared/peers/tokio/target/release/hyper_hello {port} 2 60'
# Needs perf (linux-perf) with tracepoint access (root, or
# kernel.perf_event_paranoid <= 1).
set -euo pipefail

SECS="${SECS:-5}"
RUNS="${RUNS:-2}"
port="${PORT:-18610}"
[[ $# -ge 1 ]] || { sed -n '2,17p' "$0"; exit 2; }
command -v perf >/dev/null || { echo "http_wakeups.sh: perf not found (apt-get install linux-perf)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "http_wakeups.sh: wrk not found (apt-get install wrk)" >&2; exit 2; }

switches() {  # "comm voluntary nonvoluntary" per thread of $1
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm")" \
      "$(awk '/^voluntary_ctxt/{v=$2} /^nonvoluntary_ctxt/{n=$2} END{print v, n}' "$t/status")"
  done
}

events=syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait2,context-switches,sched:sched_wakeup
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for r in $(seq "$RUNS"); do
  for spec in "$@"; do
    name="${spec%%=*}"
    cmd="${spec#*=}"
    port=$((port + 1))
    # shellcheck disable=SC2086  # the command is split into words on purpose
    env LUCID_STALL_MS=5000 ${cmd//\{port\}/$port} >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$port/" && break
      sleep 0.05
    done
    wrk -t1 -c64 -d1s "http://127.0.0.1:$port/" >/dev/null
    switches "$pid" >"$tmp/before"
    perf stat -x, -e "$events" -p "$pid" -o "$tmp/stat" -- sleep "$SECS" &
    perf_pid=$!
    out=$(wrk -t1 -c64 -d"${SECS}s" "http://127.0.0.1:$port/")
    wait "$perf_pid" || true
    switches "$pid" >"$tmp/after"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    n=$(echo "$out" | awk '/requests in/{print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    echo "== $name (round $r): $n requests, $rps requests/s; per request:"
    awk -F, -v n="$n" '$1 ~ /^[0-9]+$/ { printf "   %-34s %.4f\n", $3, $1 / n }' "$tmp/stat"
    paste -d' ' "$tmp/before" "$tmp/after" | awk -v n="$n" \
      '$5 - $2 + $6 - $3 > 0 { printf "   %-16s voluntary %.4f  nonvoluntary %.4f\n", $1, ($5 - $2) / n, ($6 - $3) / n }'
  done
done
