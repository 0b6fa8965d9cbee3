#!/usr/bin/env bash
# HTTP hello servers side by side at several wrk connection counts (the
# peers' run-all.sh has no -c knob: it always runs -c64).
#
# usage: bench/http_conn_scaling.sh NAME='COMMAND {port}' ...
#   env: CONNS="256 1000"  wrk -c values        SECS=5     wrk -d per run
#        RUNS=3            rounds (interleaved)  BASE_PORT=18280
# e.g.
#   bench/http_conn_scaling.sh \
#     lucid='build/release/bench/lucid_http_hello {port} 2 60' \
#     hyper='/work/shared/peers/tokio/target/release/hyper_hello {port} 2 60'
# For every -c, round and server (servers alternate within a round): start
# the server, a 1 s warm-up at that -c, then `wrk -t1 -cN -dSECSs --latency`,
# stop the server. Prints a markdown table of medians (requests/s with half
# the min-max spread, p50, p99, and the server's CPU time per request from
# /proc/PID/stat: user + system, which a busy machine disturbs less than
# requests/s) and keeps the raw wrk outputs in $OUT
# (default /tmp/http_conn_scaling.<stamp>).
set -euo pipefail

CONNS="${CONNS:-256 1000}"
SECS="${SECS:-5}"
RUNS="${RUNS:-3}"
BASE_PORT="${BASE_PORT:-18280}"
OUT="${OUT:-/tmp/http_conn_scaling.$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[[ $# -ge 1 ]] || { sed -n '2,17p' "$0"; exit 2; }
ulimit -n "$(ulimit -Hn)"

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

cpu_ticks() { # user + system CPU time of process $1, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

names=()
for spec in "$@"; do names+=("${spec%%=*}"); done

echo "load before: $(uptime)" | tee "$OUT/env.txt" >&2
for c in $CONNS; do
  for r in $(seq 1 "$RUNS"); do
    i=0
    for spec in "$@"; do
      name="${spec%%=*}"
      tmpl="${spec#*=}"
      port=$((BASE_PORT + i))
      i=$((i + 1))
      cmd="${tmpl//\{port\}/$port}"
      # shellcheck disable=SC2086
      $cmd >"$OUT/server.$name.c$c.$r.log" 2>&1 &
      spid=$!
      if ! wait_port "$port"; then
        echo "[$name] did not listen on $port" >&2
        kill -TERM "$spid" 2>/dev/null || true
        wait "$spid" 2>/dev/null || true
        continue
      fi
      wrk -t1 -c"$c" -d1s "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
      echo "  c=$c round $r [$name]" >&2
      t0=$(cpu_ticks "$spid")
      wrk -t1 -c"$c" -d"${SECS}s" --latency "http://127.0.0.1:$port/" \
        >"$OUT/wrk.$name.c$c.$r.txt" 2>&1 || true
      echo "cpu_ticks: $(($(cpu_ticks "$spid") - t0)) hz: $(getconf CLK_TCK)" >>"$OUT/wrk.$name.c$c.$r.txt"
      kill -TERM "$spid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$spid" 2>/dev/null || true
      wait "$spid" 2>/dev/null || true
    done
  done
done
echo "load after: $(uptime)" | tee -a "$OUT/env.txt" >&2

python3 - "$OUT" "$CONNS" "$SECS" "${names[@]}" <<'EOF'
import glob, re, statistics, sys
out, conns, secs, names = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4:]
def us(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    x = float(m.group(1))
    return x * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
print(f"| -c | server | requests/s | p50 | p99 | server CPU µs/request | errors (last round) |")
print("|---|---|---|---|---|---|---|")
for c in conns:
    for n in names:
        rps, p50, p99, cpu, err = [], [], [], [], "none"
        for f in sorted(glob.glob(f"{out}/wrk.{n}.c{c}.*.txt")):
            t = open(f).read()
            m = re.search(r"Requests/sec:\s+([\d.]+)", t)
            if not m:
                continue
            rps.append(float(m.group(1)))
            p50.append(us(re.search(r"^\s*50%\s+(\S+)", t, re.M).group(1)))
            p99.append(us(re.search(r"^\s*99%\s+(\S+)", t, re.M).group(1)))
            m = re.search(r"cpu_ticks: (\d+) hz: (\d+)", t)
            total = re.search(r"(\d+) requests in", t)
            if m and total and int(total.group(1)) > 0:
                cpu.append(int(m.group(1)) / int(m.group(2)) * 1e6 / int(total.group(1)))
            e = re.search(r"Socket errors: (.*)", t)
            err = e.group(1).strip() if e else "none"
        if not rps:
            print(f"| {c} | {n} | no result | | | | |")
            continue
        med = statistics.median(rps)
        spread = (max(rps) - min(rps)) / 2 / med * 100
        print(f"| {c} | {n} | {med:,.0f} ±{spread:.0f}% | {statistics.median(p50):.0f} µs "
              f"| {statistics.median(p99):.0f} µs "
              f"| {statistics.median(cpu):.2f} ±{(max(cpu) - min(cpu)) / 2:.2f} | {err} |")
EOF
echo "(raw: $OUT)" >&2
