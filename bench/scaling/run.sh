#!/usr/bin/env bash
# The scaling run of issue 16: lucid_rt_bench and the tokio peer at 1, 2, 4,
# 8 and 16 workers, then lucid_http_hello against hyper_hello at the largest
# worker count, each pair side by side (alternating within a round), from the
# bundle bench/scaling/prepare.sh builds. Made to run as one short command
# on the 16-core device machine; runs anywhere the bundle does.
#
# usage: bench/scaling/run.sh [bundle dir, default build/scaling-bundle]
#   env: WORKERS_LIST="1 2 4 8 16"  ROUNDS=2 (medians over rounds)
#        HTTP_SECS=5  WRK_THREADS=4  WRK_CONNS=256  DEST=$OUT or /tmp/scaling.<stamp>
# Writes DEST/raw.txt (every line the benchmarks printed) and DEST/table.md
# (medians: ns/op per workload and worker count for both runtimes, lucid /
# tokio, and each runtime's speed-up over its own one-worker run), and
# prints the table.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$(cd "${1:-$ROOT/build/scaling-bundle}" && pwd)" ||
  { echo "run.sh: no bundle; build it with bench/scaling/prepare.sh" >&2; exit 2; }
WORKERS_LIST="${WORKERS_LIST:-1 2 4 8 16}"
ROUNDS="${ROUNDS:-2}"
HTTP_SECS="${HTTP_SECS:-5}"
WRK_THREADS="${WRK_THREADS:-4}"
WRK_CONNS="${WRK_CONNS:-256}"
DEST="${DEST:-${OUT:-/tmp/scaling.$(date +%Y%m%d-%H%M%S)}}"
mkdir -p "$DEST"
export LD_LIBRARY_PATH="$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LUCID_STALL_MS="${LUCID_STALL_MS:-0}"  # no stall reports in the timings
bin="$BUNDLE/bin"
raw="$DEST/raw.txt"
: >"$raw"

{
  echo "# date $(date -Is) nproc $(nproc) kernel $(uname -r)"
  echo "# cpu $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
} | tee -a "$raw"

for r in $(seq "$ROUNDS"); do
  for w in $WORKERS_LIST; do
    echo "== round $r, $w workers" >&2
    "$bin/lucid_rt_bench" "mt$w" 2>/dev/null | sed "s/^/lucid $w $r /" >>"$raw"
    WORKERS="$w" "$bin/tokio_rt_bench" multi 2>/dev/null | sed "s/^/tokio $w $r /" >>"$raw"
  done
done

# HTTP at the largest worker count.
max_w=$(echo "$WORKERS_LIST" | tr ' ' '\n' | sort -n | tail -1)
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
port=18700
for r in $(seq "$ROUNDS"); do
  for server in lucid hyper; do
    port=$((port + 1))
    if [[ "$server" == lucid ]]; then
      "$bin/lucid_http_hello" "$port" "$max_w" 120 >/dev/null 2>&1 &
    else
      "$bin/hyper_hello" "$port" "$max_w" 120 >/dev/null 2>&1 &
    fi
    pid=$!
    if wait_port "$port"; then
      "$bin/wrk" -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1
      "$bin/wrk" -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${HTTP_SECS}s" --latency \
        "http://127.0.0.1:$port/" 2>&1 | sed "s/^/http-$server $max_w $r /" >>"$raw"
    else
      echo "http-$server $max_w $r error: the server did not listen on $port" >>"$raw"
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
done

python3 - "$raw" "$DEST/table.md" <<'PY'
import re, statistics, sys
from collections import defaultdict
raw, out = sys.argv[1], sys.argv[2]
ns = defaultdict(list)     # (runtime, workload, workers) -> [ns/op]
http = defaultdict(dict)   # (server, workers, round) -> {rps, p99}
for line in open(raw):
    m = re.match(r"(lucid|tokio) (\d+) \d+ (\w+): ([\d.]+) ns/op", line)
    if m:
        ns[(m[1], m[3], int(m[2]))].append(float(m[4]))
        continue
    m = re.match(r"http-(\w+) (\d+) (\d+) +(Requests/sec:|99%) +([\d.]+)(\w*)", line)
    if m:
        v = float(m[5])
        if m[4] == "99%":
            v *= {"us": 1, "ms": 1e3, "s": 1e6}.get(m[6], 1)
            http[(m[1], int(m[2]), m[3])]["p99_us"] = v
        else:
            http[(m[1], int(m[2]), m[3])]["rps"] = v
med = {k: statistics.median(v) for k, v in ns.items()}
workers = sorted({k[2] for k in med})
loads = [w for w in ["spawn_many", "chained_spawn", "yield_many", "ping_pong",
                     "mutex_contended", "timers", "timers_sparse", "idle_tasks"]
         if any(k[1] == w for k in med)]
lines = ["| workload | runtime | " + " | ".join(f"{w} w" for w in workers) + " |",
         "|---|---|" + "---|" * len(workers)]
for load in loads:
    for rt in ("lucid", "tokio"):
        cells = [f"{med[(rt, load, w)]:.1f}" if (rt, load, w) in med else "-" for w in workers]
        lines.append(f"| {load} | {rt} ns/op | " + " | ".join(cells) + " |")
    ratio = [f"{med[('lucid', load, w)] / med[('tokio', load, w)]:.2f}"
             if ("lucid", load, w) in med and ("tokio", load, w) in med else "-" for w in workers]
    lines.append(f"| {load} | lucid / tokio | " + " | ".join(ratio) + " |")
    for rt in ("lucid", "tokio"):
        one = med.get((rt, load, workers[0]))
        sp = [f"{one / med[(rt, load, w)]:.2f}x" if one and (rt, load, w) in med else "-"
              for w in workers]
        lines.append(f"| {load} | {rt} speed-up over {workers[0]} w | " + " | ".join(sp) + " |")
if http:
    lines += ["", "| HTTP server | workers | requests/s (median) | p99 (median) |", "|---|---|---|---|"]
    for server in ("lucid", "hyper"):
        for w in sorted({k[1] for k in http if k[0] == server}):
            rs = [v["rps"] for k, v in http.items() if k[:2] == (server, w) and "rps" in v]
            ps = [v["p99_us"] for k, v in http.items() if k[:2] == (server, w) and "p99_us" in v]
            lines.append(f"| {server} | {w} | {statistics.median(rs):,.0f} | "
                         f"{statistics.median(ps):,.0f} us |" if rs and ps else f"| {server} | {w} | - | - |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "raw: $raw  table: $DEST/table.md" >&2
