#!/usr/bin/env bash
# lucid-console in a real terminal: runs it in detached tmux sessions
# (120x40 and 80x24), sends keys with `tmux send-keys` and reads the screen
# with `tmux capture-pane -p`. Each check polls the screen until the text
# appears (or is gone), up to a generous bound; no fixed sleep is an assertion.
#
# Usage: console_tui_test.sh LUCID_CONSOLE FIXTURE_DIR [CONSOLE_DEMO [HANG_PROGRAM]]
#   LUCID_CONSOLE  the lucid-console binary
#   FIXTURE_DIR    tests/tools (demo.jsonl under fixtures/, fake_console_server.py)
#   CONSOLE_DEMO   optional: examples/console_demo, for the check against a real program
#   HANG_PROGRAM   optional: tests/integration/programs/hang_program, for a hang's holders
# Exit status: 0 pass, 1 fail, 77 skipped (no tmux).
set -u
BIN=$1
DIR=$2
DEMO=${3:-}
HANG=${4:-}
FIX=$DIR/fixtures/demo.jsonl
BOUND=${TUI_TEST_BOUND:-20}  # seconds each check may wait

if ! command -v tmux >/dev/null 2>&1; then
  echo "SKIP: tmux is not installed (scripts/setup.sh installs it); lucid-console's terminal test needs it"
  exit 77
fi
export LANG=C.UTF-8 LC_ALL=C.UTF-8
SOCK=lucid-tui-test-$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  tmux -L "$SOCK" kill-server >/dev/null 2>&1
  for p in "${PIDS[@]}"; do kill "$p" >/dev/null 2>&1; done
  rm -rf "$WORK"
}
trap cleanup EXIT
T() { tmux -L "$SOCK" "$@"; }

fail() {
  echo "FAIL: $*"
  if [ -n "${S:-}" ]; then
    echo "---- screen of $S ----"
    T capture-pane -p -t "$S" 2>/dev/null
    echo "----------------------"
  fi
  exit 1
}

# start NAME WIDTH HEIGHT ARGS...: lucid-console in a new detached session.
start() {
  S=$1
  local w=$2 h=$3
  shift 3
  local cmd
  cmd=$(printf '%q ' "$BIN" "$@")
  T new-session -d -s "$S" -x "$w" -y "$h" \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 $cmd; echo \"lucid-console exited \$?\"; sleep 30" ||
    fail "tmux new-session"
}
screen() { T capture-pane -p -t "$S"; }
# expect PATTERN [what]: waits until the screen matches the extended regex.
expect() {
  local end=$((SECONDS + BOUND))
  while [ $SECONDS -le $end ]; do
    if screen | grep -Eq -- "$1"; then return 0; fi
    sleep 0.1
  done
  fail "${2:-screen never showed /$1/}"
}
# expect_gone PATTERN [what]: waits until the screen does not match.
expect_gone() {
  local end=$((SECONDS + BOUND))
  while [ $SECONDS -le $end ]; do
    if ! screen | grep -Eq -- "$1"; then return 0; fi
    sleep 0.1
  done
  fail "${2:-screen kept showing /$1/}"
}
keys() { T send-keys -t "$S" "$@"; }
# The first task row (the line after the header).
first_row() { screen | sed -n '3p'; }
# expect_quit: q ends lucid-console with status 0 (a sanitizer report would not).
expect_quit() {
  keys q
  expect "lucid-console exited 0" "q quits with status 0"
  T kill-session -t "$S" >/dev/null 2>&1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# A session that lives for the whole test, so that the tmux server does not
# exit (and race the next new-session) whenever a checked session ends.
T new-session -d -s keep -x 20 -y 5 "sleep 3600" || fail "tmux cannot start a server"
UP='(▲|\^)'
DOWN='(▼|v)'

echo "== replay at 120x40"
start big 120 40 --replay "$FIX"
expect "alpha-worker" "task names in the table"
expect "zeta-consumer"
expect "replay t=" "replay status line"
keys Space
expect "replay t=[0-9.]+s x1 paused" "space pauses the replay"
for _ in 1 2 3 4 5 6 7 8 9; do keys n; done
keys .
expect "replay t=([5-9]|1[0-9])\.[0-9]s" "n steps through the events"
expect "late-task"
expect "ID$UP" "sort indicator on ID"
keys l l l
expect "Name$UP" "l moves the sort indicator to Name"
expect_gone "ID$UP"
screen | sed -n '3p' | grep -q "acceptor" || fail "sorted by name, acceptor comes first"
keys i
expect "Name$DOWN" "i inverts the sort"
expect "^ *[0-9]+ .*zeta-consumer" "rows after i"
first_row | grep -q "zeta-consumer" || fail "inverted name order: zeta-consumer first"
keys h
expect "State$DOWN" "h moves the sort indicator back"
keys i Home
expect "State$UP"
keys / z e t a Enter
expect "filter: zeta" "the filter in the status line"
expect_gone "producer" "the filter hides the other tasks"
expect "zeta-consumer"
keys Enter
expect "Await chain" "Enter opens the detail"
expect "at examples/console_demo.cpp:65" "the await line with file:line"
expect "Poll duration: p50" "the poll histogram"
expect "waits on mpsc#7"
keys Escape
expect "State$UP" "Esc goes back to the tasks"
keys Escape
expect "producer" "Esc clears the filter"
keys T
expect "^ +[0-9]+ .*  acceptor" "T indents children under their parent"
keys T
keys g
expect "task 3 'alpha-worker' --waits on--> mutex#4 --held by--> task 5 'beta-worker'" "the graph"
expect "CYCLE: task 3 'alpha-worker' --> mutex#4 --> task 5 'beta-worker'" "the cycle"
keys '?'
expect "Tasks columns" "the help"
expect "Sched +time spent woken"
keys r
expect "Created at" "the resources view"
expect "0/16 queued"
keys Enter
expect "Holders \(1\)" "a resource's detail"
expect "task 3 'alpha-worker' for .* \(at examples/console_demo.cpp:55\)" "its waiter"
keys Escape
expect "Created at"
keys t
keys w
expect "deadlock +task 3 'alpha-worker'" "the warnings view"
keys + +
expect "x4 paused" "+ speeds the replay up"
keys -
expect "x2 paused"
expect_quit

echo "== replay at 80x24"
start small 80 24 --replay "$FIX"
expect "alpha-worker" "task names at 80x24"
expect "ID$UP"
keys Space l
expect "Warn$UP" "l at 80x24"
keys Down Enter
expect "at examples/console_demo.cpp:44" "detail at 80x24"
keys Escape
T resize-window -t "$S" -x 100 -y 30 >/dev/null 2>&1
expect "Warn$UP" "after a resize"
expect_quit

echo "== nothing listens"
PORT=$(free_port)
start gone 120 40 "127.0.0.1:$PORT"
expect "cannot reach 127.0.0.1:$PORT: connection refused" "the unreachable message"
expect "retrying"
keys Space
expect "paused" "space pauses live updates"
keys Space
expect_gone "paused"
echo "== the program comes back"
python3 "$DIR/fake_console_server.py" "$FIX" "$WORK/port0" --port "$PORT" &
PIDS+=($!)
expect "alpha-worker" "reconnects when the program is there"
expect_gone "cannot reach" "the status line after reconnecting"
expect_quit

echo "== a console server (a stand-in serving the recording as events)"
python3 "$DIR/fake_console_server.py" "$FIX" "$WORK/port" --token s3cret &
PIDS+=($!)
end=$((SECONDS + BOUND))
while [ ! -s "$WORK/port" ] && [ $SECONDS -le $end ]; do sleep 0.1; done
[ -s "$WORK/port" ] || fail "the stand-in server did not start"
PORT=$(cat "$WORK/port")
start notoken 120 40 "http://127.0.0.1:$PORT"
expect "the program requires a token \(--token\)" "401 without a token"
expect_quit
start live 120 40 "127.0.0.1:$PORT" --token s3cret
expect "alpha-worker" "tasks from the event stream"
expect "console_demo pid 4242" "the program in the status line"
expect "late-task" "deltas apply"
expect "1 warn" "the warning event"
expect_quit

if [ -n "$DEMO" ] && [ -x "$DEMO" ]; then
  echo "== a real program: $DEMO"
  PORT=$(free_port)
  LUCID_CONSOLE=127.0.0.1:$PORT LUCID_CONSOLE_INTERVAL_MS=200 LUCID_CONSOLE_RECORD="$WORK/rec.jsonl" \
    "$DEMO" 60 >"$WORK/demo.log" 2>&1 &
  PIDS+=($!)
  start demo 120 40 "127.0.0.1:$PORT"
  expect "pool-worker" "the demo's tasks"
  expect "slow-consumer"
  expect "console_demo pid [0-9]+" "the demo in the status line"
  expect "ingest .*mpsc#[0-9]+ \(4/4 queued" "ingest waits on its full channel"
  keys / o r d e r - c l i e n t Enter
  expect "filter: order-client"
  expect_gone "pool-worker" "the filter narrows the demo's rows"
  keys Enter
  expect "Await chain" "the demo's task detail"
  expect "[0-9]+\. at examples/console_demo.cpp:[0-9]+  in order_client" "an await line with file:line"
  expect "Poll duration: p50"
  keys Escape Escape g
  expect "waits on--> mutex#[0-9]+ --held by--> task" "the demo's graph: the inventory mutex"
  expect "'ingest' --waits on--> mpsc#[0-9]+ --received by--> task [0-9]+ 'slow-consumer'" \
    "the demo's graph: the full channel and the task that receives from it"
  expect "no cycles"
  keys r
  expect "examples/console_demo.cpp:[0-9]+ +[0-9]+ +[0-9,]+" "the mutex with holder and waiters"
  expect_quit
  start demo_small 80 24 "127.0.0.1:$PORT"
  expect "pool-worker" "the demo at 80x24"
  expect_quit
  echo "== the demo's recording"
  out=$("$BIN" --dump "$WORK/rec.jsonl" --at 1s) || fail "--dump of the demo's recording"
  echo "$out" | grep -q "task [0-9]* 'pool-worker'" || fail "the demo's dump at 1 s: $out"
  start demo_replay 120 40 --replay "$WORK/rec.jsonl"
  expect "slow-consumer" "the demo's recording replayed"
  expect "replay t=[0-9.]+s x1"
  expect_quit
fi

# Starts `$HANG MODE` with its console (extra VAR=value arguments go to its
# environment), and lucid-console on it in tmux session NAME, WIDTH wide.
start_hang() {
  local mode=$1 name=$2 width=$3
  shift 3
  PORT=$(free_port)
  env LUCID_CONSOLE=127.0.0.1:$PORT LUCID_CONSOLE_INTERVAL_MS=200 "$@" \
    "$HANG" "$mode" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  start "$name" "$width" 40 "127.0.0.1:$PORT"
}

# Filters the task table by WORD (typed as keys).
filter() {
  # shellcheck disable=SC2046
  keys / $(echo "$1" | sed 's/./& /g') Enter
}

if [ -n "$HANG" ] && [ -x "$HANG" ]; then
  echo "== a hang: $HANG leaked_sender (main joins the consumer while it holds the sender)"
  start_hang leaked_sender hang 120 LUCID_DEADLOCK_MS=300
  expect "consumer" "the hung program's tasks"
  filter consumer
  expect_gone "ticker" "the filter keeps the consumer"
  keys Enter
  expect "sender held by task [0-9]+ 'main' in leaked_sender \(at tests/integration/programs/hang_program.cpp:[0-9]+\)" \
    "the consumer's detail names the task whose frame holds the sender"
  keys Escape Escape g
  expect "'consumer' --waits on--> mpsc#[0-9]+ --sender held by--> task [0-9]+ 'main' +\[in cycle\]" \
    "the graph: the sender's holder closes the cycle"
  expect_quit

  echo "== a hang: $HANG parked_reply (the backend keeps the reply's sender in a std::vector)"
  start_hang parked_reply parked 120
  expect "asker" "the parked reply's tasks"
  filter asker
  expect_gone "ticker" "the filter keeps the asker (and the backend, whose senders it holds)"
  keys j Enter  # the asker's row, below the backend's (task 3)
  expect "sender probably held by task [0-9]+ 'backend' via a container in its frame, in backend \(at tests/" \
    "the asker's detail names the task whose vector probably holds the sender"
  expect_quit

  echo "== a hang: $HANG pending_calls (a client keeps the reply's sender in a member map)"
  start_hang pending_calls pending 160
  expect "caller" "the pending call's tasks"
  filter caller
  expect_gone "ticker" "the filter keeps the caller"
  keys End Enter  # the caller's row, the last
  expect "sender probably held by task [0-9]+ 'reader' via a container in an object its frame points to, in read_loop \(at tests/" \
    "the caller's detail names the reader, whose frame points to the client"
  expect_quit

  echo "== a hang: $HANG kept_session (a writer's session keeps the writer's channel open)"
  start_hang kept_session session 160
  expect "session_writer" "the session's tasks"
  filter session_writer
  expect_gone "connection" "the filter keeps the writer"
  keys End Enter  # the writer's row, the only one
  expect "sender probably held by task [0-9]+ 'session_writer' in an object its frame points to, in session_writer \(at tests/" \
    "the writer's detail names itself, whose frame points to the session"
  expect_quit

  echo "== a hang: $HANG session_registry (a server's map keeps its sessions, and their senders)"
  start_hang session_registry registry 180
  expect "registered_writer" "the registry's tasks"
  filter registered_writer
  expect_gone "session_server " "the filter keeps the writers"
  keys Enter  # the first writer's row
  expect "sender probably held by task [0-9]+ 'session_server' in an object a container in its frame points to, in session_server \(at tests/" \
    "a writer's detail names the server, whose map points to the session"
  expect_quit

  echo "== a hang: $HANG server_registry (the same map, a member of a server object)"
  start_hang server_registry hub 180
  expect "hub_writer" "the hub's tasks"
  filter hub_writer
  expect_gone "session_hub " "the filter keeps the writers"
  keys Enter  # the first writer's row
  expect "sender probably held by task [0-9]+ 'session_hub' in an object listed in a container of an object its frame points to, in serve \(at tests/" \
    "a writer's detail names the server, whose object's map points to the session"
  expect_quit
fi
echo "PASS"
