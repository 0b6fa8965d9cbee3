#!/usr/bin/env bash
# lucid-console --dump: the task dump of a recording's state at a time, and
# clear errors (exit 2) for a missing file, a file that is not a recording,
# and a bad --at.
# Usage: console_dump_test.sh LUCID_CONSOLE FIXTURE
set -u
BIN=$1
FIX=$2
fail() { echo "FAIL: $*"; exit 1; }

out=$("$BIN" --dump "$FIX" --at 12s) || fail "--dump --at 12s exited $?"
echo "$out" | grep -q "at t=12.0s (seq 13)" || fail "the state at t=12: $out"
echo "$out" | grep -q "lucid task dump: 7 tasks" || fail "7 tasks at t=12"
echo "$out" | grep -q "task 11 'late-task' idle" || fail "late-task lives at t=12"
echo "$out" | grep -q "task 3 'alpha-worker' idle, waiting 10.0 s on mutex#4" || fail "the wait line"

out=$("$BIN" --dump "$FIX" --at 2.5) || fail "--dump --at 2.5"
echo "$out" | grep -q "at t=2.0s" || fail "the last update at or before 2.5 s: $out"
echo "$out" | grep -q "late-task" && fail "late-task did not exist at t=2"

out=$("$BIN" --dump "$FIX") || fail "--dump without --at"
echo "$out" | grep -q "at t=20.0s" || fail "the end of the recording (the partial last line skipped): $out"

# A rotated recording: path.1 holds the older half, path starts with a header and a keyframe.
rot=$(mktemp -d)
k=$(grep -n '"type": "snapshot", "version": 1, "seq": 11,' "$FIX" | cut -d: -f1)
[ -n "$k" ] || fail "the fixture's keyframe at t=10"
head -n $((k - 1)) "$FIX" >"$rot/rec.jsonl.1"
{ head -n 1 "$FIX"; tail -n +"$k" "$FIX"; } >"$rot/rec.jsonl"
out=$("$BIN" --dump "$rot/rec.jsonl" --at 5s) || fail "--dump of a rotated recording at 5 s"
echo "$out" | grep -q "at t=5.0s" || fail "path.1 is played first: $out"
out=$("$BIN" --dump "$rot/rec.jsonl" --at 15s) || fail "--dump of a rotated recording at 15 s"
echo "$out" | grep -q "at t=15.0s" || fail "then path: $out"
rm -rf "$rot"

err=$("$BIN" --dump /nonexistent/rec.jsonl --at 1s 2>&1); rc=$?
[ $rc -eq 2 ] || fail "missing file: exit $rc, not 2"
echo "$err" | grep -q "cannot open recording /nonexistent/rec.jsonl" || fail "missing file message: $err"

bad=$(mktemp)
echo "hello" >"$bad"
err=$("$BIN" --dump "$bad" --at 1s 2>&1); rc=$?
rm -f "$bad"
[ $rc -eq 2 ] || fail "bad file: exit $rc, not 2"
echo "$err" | grep -q "not a lucid-console recording" || fail "bad file message: $err"

err=$("$BIN" --dump "$FIX" --at soon 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad --at: exit $rc"
echo "$err" | grep -q "not a time" || fail "bad --at message: $err"

"$BIN" --help | grep -q "usage: lucid-console" || fail "--help"
echo PASS
