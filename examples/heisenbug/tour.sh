#!/usr/bin/env bash
# The heisenbug tour (`make demo`): runs examples/heisenbug with one bug at a
# time, drives it with its client mode, and shows the lucid tool that names
# the bug. Each step checks that the report names the task, the line of
# examples/heisenbug/heisenbug.cpp (the "// tour:NAME" lines) and the
# resource, so a tour that stops showing them fails: ctest runs this script
# too (tests/examples/CMakeLists.txt).
#
#   examples/heisenbug/tour.sh [HEISENBUG]     (default build/release/examples/heisenbug)
#
# Exits 0 when every step showed what it says; 1 otherwise. Takes about 10 s.
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-build/release/examples/heisenbug}
SRC=examples/heisenbug/heisenbug.cpp
[ -x "$BIN" ] || { echo "tour: $BIN is not built" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
ulimit -c 0  # the steps that abort on purpose leave no core file
failed=0

# The file:line of the line marked "// tour:NAME", as lucid's reports print it.
at() {
  local n
  n=$(grep -n "// tour:$1\b" "$SRC" | cut -d: -f1)
  echo "$SRC:$n"
}

step() { printf '\n\033[1m%s\033[0m\n' "$*"; }
[ -n "${NO_COLOR:-}" ] || [ ! -t 1 ] && step() { printf '\n%s\n' "$*"; }

# start BUG [ENV=VALUE...] [-- ARGS...]: the service in the background on a
# free port; sets PID, ADDR and LOG.
start() {
  local bug=$1
  shift
  local envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift && args=("$@")
  runs=$((${runs:-0} + 1))
  LOG=$TMP/$runs-$bug.log  # one per run: never read the last run's banner
  env "${envs[@]}" "$BIN" --bug="$bug" --addr=127.0.0.1:0 --seconds=20 "${args[@]}" >"$LOG" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    ADDR=$(sed -n 's|^heisenbug: serving on http://\([^ ]*\).*|\1|p' "$LOG")
    [ -n "$ADDR" ] && return 0
    sleep 0.05
  done
  echo "tour: the service did not start:" && cat "$LOG"
  failed=1
}

client() { "$BIN" client "$ADDR" "$@" | tee -a "$TMP/client.log"; }

# finish EXPECTED_RC: waits for the service (signalled with SIGINT unless it
# ends by itself) and checks how it ended.
finish() {
  local want=$1 rc
  if [ "$want" = 0 ]; then kill -INT "$PID" 2>/dev/null; fi
  { wait "$PID"; } 2>/dev/null  # not bash's "Aborted" line: the rc is checked
  rc=$?
  if [ "$rc" != "$want" ]; then
    echo "tour: FAILED: the service exited with $rc, expected $want"
    failed=1
  fi
}

# show [PATTERN]: the service's output (only the lines after its banner).
show() { sed -e '1{/^heisenbug: serving/d}' "${1:-$LOG}" | sed -e 's/^/  | /'; }

# wait_for TEXT: until TEXT is in the service's output (reports are written
# by the watchdog, a little after the fact), at most 10 s.
wait_for() {
  for _ in $(seq 200); do
    grep -qF -- "$1" "$LOG" && return 0
    sleep 0.05
  done
}

# expect TEXT...: each TEXT must be in the service's output.
expect() {
  local t
  for t in "$@"; do
    if ! grep -qF -- "$t" "$LOG"; then
      echo "tour: FAILED: the output does not show: $t"
      failed=1
    fi
  done
}

step "== 1. a panic deep in a task: the report names the task, where it threw and the await chain that led there (LUCID_BACKTRACE=1)"
start panic LUCID_BACKTRACE=1
client /order/4 /order/5
wait_for "async backtrace:"
sleep 0.1
finish 0
show
expect "task 'cache-refresh'" "panicked at $(at throw): stoi" "parse_price" \
  "refresh_cache" "$(at refresh-await)" "update_entry" "$(at update-await)"

step "== 2. a reply that never comes: order 3 hangs; the task dump (kill -QUIT) shows its handler waits on a oneshot whose sender is alive, kept in a vector by the backend"
start lost-reply
client --timeout=1000 /order/1 /order/2 /order/3
kill -QUIT "$PID"
wait_for "the sender is alive"
sleep 0.1
finish 0
show
expect "'http.conn' idle, waiting" "on oneshot#" \
  "(created at $(at reply-channel)) whose sender is probably held by task" \
  "'backend' via a container in its frame (in backend, at $(at backend-recv)): nothing sent yet, the sender is alive" \
  "fetch_price at $(at reply-await)" "get_order at $(at order-await)"

step "== 3. the fix, lucid::timeout: the hang becomes an error the client sees (504) and the log names"
start lost-reply -- --fix
client /order/1 /order/2 /order/3
finish 0
show
expect "order 3: the backend did not answer: operation timed out"
grep -qF "GET /order/3 -> 504" "$TMP/client.log" || {
  echo "tour: FAILED: the client did not get a 504"
  failed=1
}

step "== 4. a blocked worker: the stall report names the task, the blocking function and its line"
start blocking-call LUCID_STALL_MS=100
client /order/2
wait_for "for a verbose backtrace"
finish 0
show
expect "lucid: stall: task " "'http.conn' has been running for " "legacy_audit(int) at $(at blocking)"

step "== 5. a lock held across a slow co_await: the console (LUCID_CONSOLE: its dump and its warnings) shows who holds the inventory lock, since when, where it waits, and who queues behind it"
start slow-lock LUCID_CONSOLE=127.0.0.1:0 LUCID_CONSOLE_INTERVAL_MS=200 LUCID_LOCK_HOLD_MS=300 \
  LUCID_DEADLOCK_MS=300
for _ in $(seq 100); do
  CONSOLE=$(sed -n 's|^lucid console: serving on http://\([^ ]*\) .*|\1|p' "$LOG")
  [ -n "$CONSOLE" ] && break
  sleep 0.05
done
client --timeout=5000 /restock/1 /restock/2 /restock/3 >/dev/null &
CLIENT=$!
sleep 0.8
echo "\$ curl http://$CONSOLE/api/v1/dump"
curl -sS "http://$CONSOLE/api/v1/dump" >"$TMP/dump.txt"
sed -e '/^$/d' -e 's/^/  | /' "$TMP/dump.txt"
sleep 0.4
echo "\$ curl http://$CONSOLE/api/v1/snapshot    (its warnings: the lock lint, LUCID_LOCK_HOLD_MS=300)"
curl -sS "http://$CONSOLE/api/v1/snapshot" | python3 -c '
import json, sys
for w in json.load(sys.stdin)["warnings"]:
    print(w["message"].rstrip())' >"$TMP/warnings.txt"
sed -e 's/^/  | /' "$TMP/warnings.txt"
cat "$TMP/dump.txt" "$TMP/warnings.txt" >>"$LOG"
wait "$CLIENT"
finish 0
expect "'http.conn' idle, waiting" "on mutex#" "held by task" "(locked at $(at restock-lock))" \
  "restock at $(at restock-lock)" "restock at $(at restock-hold)" \
  "supplier_call at $(at supplier)" "(created at $(at inventory))" \
  "lucid: lock held across an await: task " "(locked at $(at restock-lock)) while suspended at $(at supplier)"

# Steps 6 and 7 end the service with SIGABRT on purpose: bash's own "Aborted"
# notice (stderr, whenever it reaps the job) is not part of the tour.
exec 3>&2 2>/dev/null

step "== 6. two handlers that lock in opposite order: the deadlock report names both tasks, both locks, who holds which and the lines (LUCID_DEADLOCK=abort: then SIGABRT, on purpose)"
start deadlock LUCID_DEADLOCK=abort LUCID_DEADLOCK_MS=300
client --timeout=1500 /transfer/a-b /transfer/b-a
finish 134
show
expect "lucid: deadlock: 2 tasks wait on each other in a cycle:" "'http.conn' waits on mutex#" \
  "held by task" "(locked at $(at transfer-first)) at $(at transfer-second)" \
  "(created at $(at warehouse-a))" "(created at $(at warehouse-b))" "transfer at $(at transfer-second)"

step "== 7. block_on inside a handler: the runtime stops the program and names the call (SIGABRT, on purpose)"
start block-on
client /order/1
finish 134
show
expect "block_on called on a runtime worker thread at $(at block-on)" "lucid: crash: SIGABRT" \
  "lookup_stock_sync(int)"
if grep -q "lucid: stall" "$LOG"; then
  echo "tour: FAILED: the stall detector reported the crash report's symbolization"
  failed=1
fi

exec 2>&3 3>&-

echo
if [ "$failed" = 0 ]; then
  echo "tour: every step showed what it says (docs/guide.md: which tool for which symptom)"
else
  echo "tour: some steps did not show what they say (see FAILED above)"
fi
exit "$failed"
