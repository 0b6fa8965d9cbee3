#!/usr/bin/env bash
# The scaling run of issue 16: lucid_rt_bench and the tokio peer at 1, 2, 4,
# 8 and 16 workers and on one thread (lucid `st` against tokio's
# current_thread), then lucid_http_hello against hyper_hello in each HTTP
# configuration, each pair side by side (alternating within a round), from
# the bundle bench/scaling/prepare.sh builds. Made to run as one short
# command on the 16-core device machine; runs anywhere the bundle does.
#
# usage: bench/scaling/run.sh [bundle dir, default build/scaling-bundle]
#   env: WORKERS_LIST="1 2 4 8 16"  ROUNDS=2 (medians over rounds)
#        WORKLOADS="" (all)  HTTP_CONFIGS="" skips HTTP
#        HTTP_SECS=5  HTTP_CONFIGS="16:4:256 2:1:64 2:1:256 2:1:1000"
#        (server workers : wrk threads : connections)  DEST=$OUT or
#        /tmp/scaling.<stamp>
# Writes DEST/raw.txt (every line the benchmarks printed, as they print it)
# and DEST/table.md (medians: ns/op per workload and worker count for both
# runtimes, lucid / tokio, each runtime's speed-up over its own one-worker
# run, bytes per idle task, and requests/s, p99 and wrk's CPU use per HTTP
# configuration), and prints the table. `bench/scaling/run.sh --table raw.txt table.md`
# makes the table again from a raw file. Where the bundle holds
# bin/lucid_rt_bench_base (an earlier build, BASE=<dir> to prepare.sh), it
# runs beside the other two as runtime `base`.
#
# The bundle's programs need glibc 2.35; where the machine's is older they
# run under the glibc the bundle carries (its own loader and libc).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

make_table() {
python3 - "$1" "$2" <<'PY'
import re, statistics, sys
from collections import defaultdict
raw, out = sys.argv[1], sys.argv[2]
ns = defaultdict(list)     # (runtime, workload, workers) -> [ns/op]
mem = defaultdict(list)    # (runtime, workers) -> [bytes per idle task]
http = defaultdict(dict)   # (server, config, round) -> {rps, p99_us, wrk_busy}
for line in open(raw):
    m = re.match(r"(lucid|base|tokio) (\w+) \d+ (\w+): ([\d.]+) ns/op", line)
    if m:
        ns[(m[1], m[3], m[2])].append(float(m[4]))
        b = re.search(r"bytes_per_task=(\d+)", line)
        if b:
            mem[(m[1], m[2])].append(int(b[1]))
        continue
    m = re.match(r"http-(\w+) (\S+) (\d+) wrk-cpu ([\d.]+) ([\d.]+) ([\d.]+)", line)
    if m:  # wrk's user and system CPU seconds, and its wall time
        http[(m[1], m[2], m[3])]["wrk_busy"] = (float(m[4]) + float(m[5])) / float(m[6])
        continue
    m = re.match(r"http-(\w+) (\S+) (\d+) +(Requests/sec:|99%) +([\d.]+)(\w*)", line)
    if m:
        v = float(m[5])
        if m[4] == "99%":
            v *= {"us": 1, "ms": 1e3, "s": 1e6}.get(m[6], 1)
            http[(m[1], m[2], m[3])]["p99_us"] = v
        else:
            http[(m[1], m[2], m[3])]["rps"] = v
med = {k: statistics.median(v) for k, v in ns.items()}
def order(w):
    return (0, 0) if w == "st" else (1, int(w))
workers = sorted({k[2] for k in med}, key=order)
mt = [w for w in workers if w != "st"]
loads = [w for w in ["spawn_many", "chained_spawn", "yield_many", "ping_pong",
                     "mutex_contended", "timers", "timers_sparse", "idle_tasks"]
         if any(k[1] == w for k in med)]
name = lambda w: "1 thread (st / current)" if w == "st" else f"{w} w"
rts = ["lucid", "base", "tokio"] if any(k[0] == "base" for k in med) else ["lucid", "tokio"]
lines = ["ns/op, median of the rounds; `st` is lucid's single-threaded runtime against tokio's current_thread"
         + ("; `base` is the earlier lucid build." if "base" in rts else "."), "",
         "| workload | runtime | " + " | ".join(name(w) for w in workers) + " |",
         "|---|---|" + "---|" * len(workers)]
for load in loads:
    for rt in rts:
        cells = [f"{med[(rt, load, w)]:.1f}" if (rt, load, w) in med else "-" for w in workers]
        lines.append(f"| {load} | {rt} ns/op | " + " | ".join(cells) + " |")
    ratio = [f"**{med[('lucid', load, w)] / med[('tokio', load, w)]:.2f}**"
             if ("lucid", load, w) in med and ("tokio", load, w) in med else "-" for w in workers]
    lines.append(f"| {load} | lucid / tokio | " + " | ".join(ratio) + " |")
    if "base" in rts:
        ratio = [f"{med[('lucid', load, w)] / med[('base', load, w)]:.2f}"
                 if ("lucid", load, w) in med and ("base", load, w) in med else "-" for w in workers]
        lines.append(f"| {load} | lucid / base | " + " | ".join(ratio) + " |")
    for rt in rts:
        one = med.get((rt, load, mt[0])) if mt else None
        sp = ["" if w == "st" else
              (f"{one / med[(rt, load, w)]:.2f}x" if one and (rt, load, w) in med else "-")
              for w in workers]
        lines.append(f"| {load} | {rt} speed-up over {mt[0] if mt else '-'} w | " + " | ".join(sp) + " |")
if mem:
    lines += ["", "| bytes per idle task (idle_tasks, median) | " + " | ".join(name(w) for w in workers) + " |",
              "|---|" + "---|" * len(workers)]
    for rt in rts:
        lines.append(f"| {rt} | " + " | ".join(
            str(int(statistics.median(mem[(rt, w)]))) if mem.get((rt, w)) else "-" for w in workers) + " |")
if http:
    lines += ["", "| HTTP config (server workers : wrk threads : connections) | server | requests/s (median) | p99 (median) | wrk's CPU / (wall x threads), median | lucid / hyper requests/s |",
              "|---|---|---|---|---|---|"]
    configs = sorted({k[1] for k in http}, key=lambda c: [int(x) for x in c.split(":")])
    for cfg in configs:
        rps = {}
        for server in ("lucid", "hyper"):
            rs = [v["rps"] for k, v in http.items() if k[:2] == (server, cfg) and "rps" in v]
            ps = [v["p99_us"] for k, v in http.items() if k[:2] == (server, cfg) and "p99_us" in v]
            bs = [v["wrk_busy"] / int(cfg.split(":")[1])
                  for k, v in http.items() if k[:2] == (server, cfg) and "wrk_busy" in v]
            if rs:
                rps[server] = statistics.median(rs)
            cell = (f"{statistics.median(rs):,.0f} | {statistics.median(ps):,.0f} us" if rs and ps else "- | -")
            busy = f"{statistics.median(bs):.2f}" if bs else "-"
            ratio = (f"**{rps['lucid'] / rps['hyper']:.2f}x**" if server == "hyper" and len(rps) == 2 else "")
            lines.append(f"| {cfg} | {server} | {cell} | {busy} | {ratio} |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
}

if [[ "${1:-}" == --table ]]; then
  make_table "$2" "$3"
  exit
fi

BUNDLE="$(cd "${1:-$ROOT/build/scaling-bundle}" && pwd)" ||
  { echo "run.sh: no bundle; build it with bench/scaling/prepare.sh" >&2; exit 2; }
WORKERS_LIST="${WORKERS_LIST:-1 2 4 8 16}"
ROUNDS="${ROUNDS:-2}"
HTTP_SECS="${HTTP_SECS:-5}"
HTTP_CONFIGS="${HTTP_CONFIGS-16:4:256 2:1:64 2:1:256 2:1:1000}"
WORKLOADS="${WORKLOADS:-}"
DEST="${DEST:-${OUT:-/tmp/scaling.$(date +%Y%m%d-%H%M%S)}}"
mkdir -p "$DEST"
export LUCID_STALL_MS="${LUCID_STALL_MS:-0}"  # no stall reports in the timings
bin="$BUNDLE/bin"
raw="$DEST/raw.txt"
: >"$raw"

# glibc: the machine's where it is new enough, else the bundle's.
have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
run=()
if [[ -z "$have" || "$(printf '%s\n2.35\n' "$have" | sort -V | head -1)" != 2.35 ]]; then
  run=("$BUNDLE/glibc/ld-linux-x86-64.so.2" --library-path "$BUNDLE/lib:$BUNDLE/glibc")
  echo "# glibc ${have:-unknown} is older than 2.35: the bundle's glibc runs the programs" | tee -a "$raw"
else
  export LD_LIBRARY_PATH="$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

{
  echo "# date $(date -Is) nproc $(nproc) kernel $(uname -r) glibc ${have:-unknown}"
  echo "# cpu $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
} | tee -a "$raw"

# One runtime's run: bench <runtime> <workers: st or a count> <round>.
bench() {
  local flavor
  case "$1:$2" in
    tokio:st) flavor=current ;;
    tokio:*) flavor=multi ;;
    *:st) flavor=st ;;
    *) flavor="mt$2" ;;
  esac
  # shellcheck disable=SC2086  # WORKLOADS: a list of words
  case "$1" in
    lucid) "${run[@]}" "$bin/lucid_rt_bench" "$flavor" $WORKLOADS ;;
    base) "${run[@]}" "$bin/lucid_rt_bench_base" "$flavor" $WORKLOADS ;;
    tokio) WORKERS="$2" "${run[@]}" "$bin/tokio_rt_bench" "$flavor" $WORKLOADS ;;
  esac 2>/dev/null | sed "s/^/$1 $2 $3 /" >>"$raw"
}
runtimes=(lucid tokio)
[[ -x "$bin/lucid_rt_bench_base" ]] && runtimes=(lucid base tokio)
for r in $(seq "$ROUNDS"); do
  # The order turns each round, so that no program always runs first.
  order=("${runtimes[@]:$(((r - 1) % ${#runtimes[@]}))}" "${runtimes[@]}")
  order=("${order[@]:0:${#runtimes[@]}}")
  for w in st $WORKERS_LIST; do
    if [[ "$w" == st ]]; then echo "== round $r, one thread" >&2; else echo "== round $r, $w workers" >&2; fi
    for rt in "${order[@]}"; do
      bench "$rt" "$w" "$r"
    done
  done
done

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
port=18700
for r in $(seq "$ROUNDS"); do
  for cfg in $HTTP_CONFIGS; do
    IFS=: read -r sw wt wc <<<"$cfg"
    echo "== round $r, HTTP $cfg" >&2
    servers=(lucid hyper)
    ((r % 2 == 0)) && servers=(hyper lucid)  # turned each round, as above
    for server in "${servers[@]}"; do
      port=$((port + 1))
      if [[ "$server" == lucid ]]; then
        "${run[@]}" "$bin/lucid_http_hello" "$port" "$sw" 120 >/dev/null 2>&1 &
      else
        "${run[@]}" "$bin/hyper_hello" "$port" "$sw" 120 >/dev/null 2>&1 &
      fi
      pid=$!
      if wait_port "$port"; then
        "${run[@]}" "$bin/wrk" -t"$wt" -c"$wc" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1
        # wrk's CPU time against its wall time: near 1 per thread, the
        # client is the bottleneck and the rate is as much wrk's as the server's.
        TIMEFORMAT="wrk-cpu %U %S %R"
        { time "${run[@]}" "$bin/wrk" -t"$wt" -c"$wc" -d"${HTTP_SECS}s" --latency \
          "http://127.0.0.1:$port/" 2>&1; } 2>&1 | sed "s/^/http-$server $cfg $r /" >>"$raw"
      else
        echo "http-$server $cfg $r error: the server did not listen on $port" >>"$raw"
      fi
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    done
  done
done

make_table "$raw" "$DEST/table.md"
echo "raw: $raw  table: $DEST/table.md" >&2
