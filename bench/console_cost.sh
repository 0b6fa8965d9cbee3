#!/usr/bin/env bash
# What lucid's console costs, side by side with itself and tokio in one run of
# ../shared/peers/run-all.sh (issue 10, "Cost, in benchmarks"):
#   *-off     LUCID_DEADLOCK=off LUCID_STALL_MS=off LUCID_DUMP_SIGNAL=off: no watchdog
#   *-det     the default: the detectors armed (deadlock, stall, dump), no aggregation
#   *-agg     LUCID_BENCH_TASK_STATS=1: full aggregation (per-task stats, retention)
# Usage: bench/console_cost.sh [build dir, default build/release]
#   RUNS=5 bench/console_cost.sh    (any run-all.sh knob passes through)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$(cd "${1:-$ROOT/build/release}" && pwd)/bench"
PEERS="${PEERS:-$ROOT/../shared/peers}"
OFF="env LUCID_DEADLOCK=off LUCID_STALL_MS=off LUCID_DUMP_SIGNAL=off"
AGG="env LUCID_BENCH_TASK_STATS=1"
rt=""
for f in mt2 st; do
  rt+="lucid-$f-off|$OFF $B/lucid_rt_bench $f;lucid-$f-det|$B/lucid_rt_bench $f;lucid-$f-agg|$AGG $B/lucid_rt_bench $f;"
done
http="lucid-http-off|$OFF $B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-det|$B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-agg|$AGG $B/lucid_http_hello {port} 2 {maxsecs}"
SKIP_BUILD="${SKIP_BUILD:-1}" SKIP_TRACE=1 PEER_FILTER="${PEER_FILTER:-lucid|tokio-mt2|tokio-ct|hyper-mt2}" \
  EXTRA_RT_PEERS="${rt%;}" EXTRA_HTTP_PEERS="$http" "$PEERS/run-all.sh"
