#!/usr/bin/env bash
# What lucid's console costs, side by side with itself and tokio in one run of
# ../shared/peers/run-all.sh (issue 10, "Cost, in benchmarks"):
#   *-off     LUCID_DEADLOCK=off LUCID_STALL_MS=off LUCID_DUMP_SIGNAL=off: no watchdog
#   *-det     the detectors armed (deadlock, stall, dump), no aggregation; the
#             stall threshold is above the longest poll of the workloads
#             (spawn_many spawns 10^6 tasks in one ~200 ms poll, which the
#             default 100 ms threshold rightly reports as a stall)
#   *-agg     LUCID_BENCH_TASK_STATS=1: per-task stats and retention
#   *-con     LUCID_BENCH_TASK_STATS=2: what a connected console turns on
#             (lucid::console::enable_aggregation: the stats plus the
#             resource tracker, an observer of resource events)
#   http-console  the detectors armed, the console server on (which turns
#             aggregation on) and one client reading its events stream at the
#             default 1 s interval (bench/with_console_client.sh): issue 11's
#             "a connected client" against http-det
# Usage: bench/console_cost.sh [build dir, default build/release]
#   BEFORE=/path/to/bench/dir adds the same programs built from an earlier commit.
#   BEFORE_AGG=1 (with BEFORE) also runs those with full aggregation (*-before-agg)
#     and, for HTTP, with the console and a client (lucid-http-before-console),
#     to compare what aggregation and the console cost before and after a
#     change in one run.
#   RUNS=5 bench/console_cost.sh    (any run-all.sh knob passes through)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$(cd "${1:-$ROOT/build/release}" && pwd)/bench"
PEERS="${PEERS:-$ROOT/../shared/peers}"
OFF="env LUCID_DEADLOCK=off LUCID_STALL_MS=off LUCID_DUMP_SIGNAL=off"
DET="env LUCID_STALL_MS=5000"
AGG="env LUCID_STALL_MS=5000 LUCID_BENCH_TASK_STATS=1"
CON="env LUCID_STALL_MS=5000 LUCID_BENCH_TASK_STATS=2"
BEFORE="${BEFORE:-}"  # optional: a bench dir built from an earlier commit
BEFORE_AGG="${BEFORE_AGG:-0}"
rt=""
for f in mt2 st; do
  [[ -n "$BEFORE" ]] && rt+="lucid-$f-before|$BEFORE/lucid_rt_bench $f;"
  [[ -n "$BEFORE" && "$BEFORE_AGG" == 1 ]] && rt+="lucid-$f-before-agg|$AGG $BEFORE/lucid_rt_bench $f;"
  rt+="lucid-$f-off|$OFF $B/lucid_rt_bench $f;lucid-$f-det|$DET $B/lucid_rt_bench $f;"
  rt+="lucid-$f-agg|$AGG $B/lucid_rt_bench $f;lucid-$f-con|$CON $B/lucid_rt_bench $f;"
done
http=""
[[ -n "$BEFORE" ]] && http+="lucid-http-before|$BEFORE/lucid_http_hello {port} 2 {maxsecs};"
[[ -n "$BEFORE" && "$BEFORE_AGG" == 1 ]] &&
  http+="lucid-http-before-agg|$AGG $BEFORE/lucid_http_hello {port} 2 {maxsecs};"
[[ -n "$BEFORE" && "$BEFORE_AGG" == 1 ]] &&
  http+="lucid-http-before-console|$DET $ROOT/bench/with_console_client.sh $BEFORE/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-off|$OFF $B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-det|$DET $B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-agg|$AGG $B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-con|$CON $B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-console|$DET $ROOT/bench/with_console_client.sh $B/lucid_http_hello {port} 2 {maxsecs}"
SKIP_BUILD="${SKIP_BUILD:-1}" SKIP_TRACE=1 PEER_FILTER="${PEER_FILTER:-lucid|tokio-mt2|tokio-ct|hyper-mt2}" \
  EXTRA_RT_PEERS="${rt%;}" EXTRA_HTTP_PEERS="$http" "$PEERS/run-all.sh"
