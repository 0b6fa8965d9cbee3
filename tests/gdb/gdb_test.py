#!/usr/bin/env python3
"""The gdb extension's tests (tests/gdb/CMakeLists.txt).

usage: gdb_test.py MODE GDB_TARGET LUCID_GDB_PY
  core        gdb_target aborts from a task; gdb reads the core file
  attach      gdb_target prints "ready" and sleeps; gdb attaches (-p PID)
              (where attaching is not permitted: as under_gdb)
  under_gdb   gdb runs gdb_target, which stops itself with a SIGINT when ready
  no_runtime  gdb on the program before it runs: "no lucid runtime"

The core and attach cases rely on the script embedded in the program
(.debug_gdb_scripts, auto-loaded): they never `source` it. gdb only runs
auto-loaded scripts of programs under its auto-load safe-path, so they
add the program's directory to it (-iex add-auto-load-safe-path).

gdb_target prints "expect NAME: FILE:LINE" for every await the output must
name. Exit 77: skipped (no gdb).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77


def fail(msg, out=None):
    if out is not None:
        sys.stderr.write("---- gdb output ----\n%s\n--------------------\n" % out)
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def parse_expect(text):
    exp = {}
    for m in re.finditer(r"^expect (\S+): (\S+):(\d+)$", text, re.M):
        exp[m.group(1)] = "%s:%s" % (os.path.basename(m.group(2)), m.group(3))
    return exp


def gdb_base(target):
    return ["gdb", "-nx", "-batch", "-iex", "set pagination off",
            "-iex", "add-auto-load-safe-path %s" % os.path.dirname(os.path.abspath(target))]


def run_gdb(args, timeout=120):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout, text=True, errors="replace")
    return p.stdout


def task_ids(out):
    """name -> id from `lucid tasks` rows."""
    ids = {}
    for m in re.finditer(r"^\s*(\d+)\s+(idle|scheduled|running|finished)\s+(\S+)", out, re.M):
        ids[m.group(3)] = int(m.group(1))
    return ids


def row(out, name):
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0].isdigit() and f[2] == name:
            return line
    return None


def check_common(out, bt, exp):
    """What both the core and the live process must show."""
    if "Traceback" in out or "Traceback" in bt:
        fail("a Python traceback", out + bt)
    if "live task" not in out:
        fail("`lucid tasks` did not run (was the script auto-loaded?)", out)
    # Each task named, suspended at the co_await the program printed.
    for name, key, wait in (("order_waiter", "order_waiter", "oneshot"),
                            ("lock_holder", "lock_holder", "timer"),
                            ("lock_waiter", "lock_waiter", "mutex"),
                            ("sleeper", "sleeper", "timer"),
                            ("producer", "producer", "mpsc"),
                            ("permit_waiter", "permit_waiter", "semaphore")):
        r = row(out, name)
        if r is None:
            fail("no task row for %s" % name, out)
        if exp[key] not in r:
            fail("%s is not shown at %s" % (name, exp[key]), out)
        if wait not in r:
            fail("%s is not shown waiting on a %s" % (name, wait), out)
        if " idle " not in r:
            fail("%s is not idle" % name, out)
        # Nothing read from the wrong member of the wait record's last word
        # (a timer's deadline taken for a detail string shows "[<unreadable").
        if "<unreadable" in r:
            fail("%s's wait is misread" % name, out)
    # A wait inside a combinator: the mutex, under a timeout.
    r = row(out, "deadline_waiter")
    if r is None or "timeout(mutex #" not in r or exp["deadline_waiter"] not in r:
        fail("deadline_waiter is not shown in a timeout(mutex) at %s" % exp["deadline_waiter"],
             out)
    # lock_holder's chain: the sleep inside hold(), then the co_await hold() outside.
    # Each frame is named by its coroutine (read from the promise's function
    # word, which the site's packed file:line word does not carry).
    m = re.search(r"^  #0 (.*)$", bt, re.M)
    if m is None or "%s (hold)" % exp["lock_holder"] not in m.group(1):
        fail("bt #0 is not %s (hold)" % exp["lock_holder"], bt)
    m = re.search(r"^  #1 (.*)$", bt, re.M)
    if m is None or "%s (lock_holder)" % exp["lock_holder_outer"] not in m.group(1):
        fail("bt #1 is not %s (lock_holder)" % exp["lock_holder_outer"], bt)
    if not re.search(r"spawned at \S*gdb_target\.cpp:\d+ \(.*root", bt):
        fail("bt does not give the spawn site in root()", bt)
    if not re.search(r"parent task \d+", bt):
        fail("bt does not give the parent task", bt)
    # The mutex: created in root(), held by lock_holder (acquired at its lock
    # line), awaited by lock_waiter at its lock line.
    m = re.search(r"^mutex #\d+, created at (.*)\n((?:  .*\n)*)", out, re.M)
    if m is None:
        fail("no mutex in `lucid resources`", out)
    if exp["mutex"] not in m.group(1):
        fail("the mutex's creation site is not %s" % exp["mutex"], out)
    body = m.group(2)
    if not re.search(r'held by task \d+ "lock_holder", acquired at \S*%s' %
                     re.escape(exp["lock_holder_locks"]), body):
        fail("the mutex is not held by lock_holder (acquired at %s)" % exp["lock_holder_locks"],
             out)
    if not re.search(r'waiter task \d+ "lock_waiter" at \S*%s' % re.escape(exp["lock_waiter"]),
                     body):
        fail("lock_waiter is not the mutex's waiter at %s" % exp["lock_waiter"], out)
    if not re.search(r'waiter task \d+ "deadline_waiter" at \S*%s' %
                     re.escape(exp["deadline_waiter"]), body):
        fail("deadline_waiter (in a timeout) is not the mutex's waiter at %s" %
             exp["deadline_waiter"], out)
    for kind, name, state in (("mpsc", "producer", ["capacity 1", "1 queued", "1 sender"]),
                              ("semaphore", "permit_waiter", ["0 permits available"])):
        m = re.search(r"^%s #\d+, created at \S*gdb_target\.cpp:\d+.*\n((?:  .*\n)*)" % kind,
                      out, re.M)
        if m is None:
            fail("no %s in `lucid resources`" % kind, out)
        for st in state:
            if "  %s\n" % st not in m.group(1):
                fail("the %s's state has no '%s'" % (kind, st), out)
        if not re.search(r'waiter task \d+ "%s" at \S*%s' % (name, re.escape(exp[name])),
                         m.group(1)):
            fail("%s is not the %s's waiter at %s" % (name, kind, exp[name]), out)
    # The full channel's senders wait for the task that receives from it.
    m = re.search(r"^mpsc #\d+, created at .*\n((?:  .*\n)*)", out, re.M)
    if m is None or not re.search(r'received by task \d+ "[^"]*", which received from it at '
                                  r'\S*%s' % re.escape(exp["root_receives"]), m.group(1)):
        fail("the full channel is not received by the root task at %s" % exp["root_receives"],
             out)
    m = re.search(r"^oneshot #\d+, created at .*\n((?:  .*\n)*)", out, re.M)
    if m is None or not re.search(r'waiter task \d+ "order_waiter"', m.group(1)):
        fail("no oneshot with order_waiter waiting", out)
    if "sender alive" not in m.group(1):
        fail("the oneshot's sender is not shown alive", out)
    # The sender lives in the root task's frame (suspended at its last sleep,
    # or at the crasher's join in a core).
    if not re.search(r'sender held by task \d+ "main", in its frame suspended at '
                     r'\S*gdb_target\.cpp:\d+', m.group(1)):
        fail("the oneshot's sender is not found in the root task's frame", out)
    # The senders the sleeping dispatcher keeps in no frame: found through a
    # std::vector's pointers, a std::map's nodes and a std::deque's map and
    # buffer in its frame, as a member of the session its frame points to
    # (which the writer, waiting on that channel, points to too), and as a
    # member of a session its std::map of sessions points to.
    in_frame = "via a container in its frame suspended at"
    for kind, waiter, where, at in (
            ("mpsc", "mail_reader", "vector", in_frame),
            ("oneshot", "reply_waiter", "map", in_frame),
            ("oneshot", "queue_waiter", "deque", in_frame),
            ("mpsc", "session_writer", "session",
             "in an object its frame points to, suspended at"),
            ("mpsc", "registered_writer", "map of sessions",
             "in an object a container in its frame points to, suspended at")):
        m = re.search(r'^%s #\d+, created at .*\n((?:  .*\n)*?)  waiter task \d+ "%s"' %
                      (kind, waiter), out, re.M)
        if m is None or not re.search(r'sender probably held by task \d+ "dispatcher", %s '
                                      r'\S*%s' % (re.escape(at), re.escape(exp["dispatcher"])),
                                      m.group(1)):
            fail("the sender in the dispatcher's %s is not found" % where, out)
    # And the session a server object's map keeps, whose member coroutine
    # sleeps: three pointers from its frame.
    m = re.search(r'^mpsc #\d+, created at .*\n((?:  .*\n)*?)  waiter task \d+ "hub_writer"',
                  out, re.M)
    if m is None or not re.search(
            r'sender probably held by task \d+ "session_hub", in an object listed in a container '
            r'of an object its frame points to, suspended at \S*%s' % re.escape(exp["hub"]),
            m.group(1)):
        fail("the sender in the session hub's map is not found", out)


def gdb_commands(extra_args, target_args, first):
    """Runs `lucid tasks` + `lucid resources`, then `lucid bt` on lock_holder."""
    out = run_gdb(extra_args + ["-ex", "lucid tasks", "-ex", "lucid resources"] + target_args)
    ids = task_ids(out)
    if "lock_holder" not in ids:
        fail("lock_holder is not listed", out)
    bt = run_gdb(extra_args + ["-ex", "lucid bt %d" % ids["lock_holder"]] + target_args)
    sys.stdout.write(out + bt)
    return out, bt


def make_core(target, tmp):
    """A core file of `gdb_target abort`, and the program's output."""
    core_pattern = ""
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            core_pattern = f.read().strip()
    except OSError:
        pass
    text = ""
    if core_pattern and not core_pattern.startswith("|") and "/" not in core_pattern:
        p = subprocess.run(["sh", "-c", 'ulimit -c unlimited && exec "$0" abort', target],
                           cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60, text=True, errors="replace")
        text = p.stdout
        cores = [f for f in os.listdir(tmp) if f.startswith("core")]
        if cores:
            print("core file from the kernel (core_pattern %r)" % core_pattern)
            return os.path.join(tmp, cores[0]), text
    # core_pattern pipes elsewhere (or no core was written): gdb writes one.
    print("core_pattern %r: the core file is written by gdb (generate-core-file)" % core_pattern)
    core = os.path.join(tmp, "core.gdb")
    out = run_gdb(["gdb", "-nx", "-batch", "-iex", "set auto-load python-scripts off",
                   "-ex", "run", "-ex", "generate-core-file %s" % core, "--args", target, "abort"])
    if not os.path.exists(core):
        fail("gdb wrote no core file", out)
    return core, out


def test_core(target):
    tmp = tempfile.mkdtemp(prefix="lucid_gdb_")
    try:
        core, text = make_core(target, tmp)
        exp = parse_expect(text)
        if "lock_holder" not in exp:
            fail("gdb_target printed no expect lines", text)
        out, bt = gdb_commands(gdb_base(target), [target, core], True)
        check_common(out, bt, exp)
        r = row(out, "crasher")
        if r is None or " running " not in r:
            fail("the aborting task is not shown running", out)
        if "task 1" not in bt and not re.search(r"parent task \d+", bt):
            fail("no parent", bt)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_attach(target):
    p = subprocess.Popen([target, "ready"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace")
    text = ""
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            text += line
            if line.strip() == "ready":
                break
        if "ready" not in text:
            fail("gdb_target did not get ready", text)
        exp = parse_expect(text)
        probe = run_gdb(gdb_base(target) + ["-p", str(p.pid), "-ex", "lucid tasks"])
        if "ptrace" in probe and "not permitted" in probe:
            # No attaching here (ptrace scope, a container without CAP_SYS_PTRACE):
            # the same checks on the program run under gdb and interrupted.
            print("cannot attach (%s); running gdb_target under gdb instead" %
                  probe.strip().splitlines()[-1])
            return test_under_gdb(target)
        out, bt = gdb_commands(gdb_base(target), ["-p", str(p.pid)], True)
        check_common(out, bt, exp)
        if row(out, "crasher") is not None:
            fail("a crasher in the ready mode", out)
        # gdb detached: the program runs on.
        time.sleep(0.2)
        if p.poll() is not None:
            fail("gdb_target died after gdb detached", out)
    finally:
        p.kill()
        p.wait()


def test_under_gdb(target):
    """gdb_target run under gdb, stopped by a SIGINT once it is ready; the task
    is named in `lucid bt` (one gdb session: ids are only known inside it)."""
    out = run_gdb(gdb_base(target) + ["-ex", "run", "-ex", "lucid tasks", "-ex", "lucid resources",
                                      "-ex", "lucid bt lock_holder", "-ex", "kill",
                                      "--args", target, "stop"])
    sys.stdout.write(out)
    if "SIGINT" not in out:
        fail("gdb_target did not stop at its SIGINT", out)
    exp = parse_expect(out)
    if "lock_holder" not in exp:
        fail("gdb_target printed no expect lines", out)
    check_common(out, out, exp)


def test_no_runtime(target, script):
    out = run_gdb(["gdb", "-nx", "-batch", "-iex", "set auto-load python-scripts off",
                   "-ex", "source %s" % script, "-ex", "lucid tasks", target])
    sys.stdout.write(out)
    if "Traceback" in out:
        fail("a Python traceback", out)
    if "no lucid runtime in this process" not in out:
        fail("no 'no lucid runtime' message for a program that is not running", out)
    out = run_gdb(["gdb", "-nx", "-batch", "-ex", "source %s" % script, "-ex", "lucid tasks",
                   "-ex", "lucid bt 1", "/bin/true"])
    sys.stdout.write(out)
    if "Traceback" in out or "no lucid runtime in this process" not in out:
        fail("no 'no lucid runtime' message for a program without lucid", out)


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    mode, target, script = sys.argv[1:]
    if shutil.which("gdb") is None:
        print("gdb is not installed: skipped")
        return SKIP
    if mode == "core":
        test_core(target)
    elif mode == "attach":
        test_attach(target)
    elif mode == "under_gdb":
        test_under_gdb(target)
    elif mode == "no_runtime":
        test_no_runtime(target, script)
    else:
        sys.stderr.write(__doc__)
        return 2
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
