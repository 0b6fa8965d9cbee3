#!/usr/bin/env python3
"""Writes fixtures/demo.jsonl: a hand-made console recording (header, a
snapshot, deltas every second, a keyframe at t=10, a warning) per
docs/console-protocol.md, for lucid-console's tests (--replay, --dump).

Usage: make_recording.py > fixtures/demo.jsonl
"""
import json
import sys

SRC = "examples/console_demo.cpp"


def loc(line, fn):
    return {"file": SRC, "line": line, "function": fn}


def hist(buckets):
    # buckets: [(low, high, count)]
    count = sum(c for _, _, c in buckets)
    total = sum((lo + hi) // 2 * c for lo, hi, c in buckets)
    return {"count": count, "sum": total, "min": buckets[0][0] if buckets else 0,
            "max": buckets[-1][0] if buckets else 0, "p50": buckets[0][0] if buckets else 0,
            "p90": buckets[-1][0] if buckets else 0, "p99": buckets[-1][0] if buckets else 0,
            "buckets": [list(b) for b in buckets]}


EMPTY = {"count": 0, "sum": 0, "min": 0, "max": 0, "p50": 0, "p90": 0, "p99": 0, "buckets": []}


def wait(kind, resource, created, holders=(), joined=0, what="", waiting=1.0, woken_by="task",
         capacity=-1, length=-1, senders=-1, permits=-1, closed=-1):
    return {"kind": kind, "resource": resource, "created_at": created, "joined": joined,
            "what": what, "waiting_s": waiting, "woken_by": woken_by,
            "holders": [{"task": t, "acquired_at": a, "held_s": h} for t, a, h in holders],
            "capacity": capacity, "length": length, "senders": senders, "permits": permits,
            "readers": -1, "closed": closed}


def stats(t, polls, busy, sched):
    return {"polls": polls, "total_s": t, "busy_s": busy, "scheduled_s": sched,
            "idle_s": max(0.0, t - busy - sched), "first_poll_after_s": 0.00002,
            "wakes": {"self": 0, "other_task": polls, "runtime": 1, "external": 0},
            "wakers": {"registered": polls, "released": max(0, polls - 1)},
            "poll_duration_ns": hist([(768, 1024, 3), (4096, 5120, polls), (40960, 49152, 1)]),
            "scheduled_latency_ns": hist([(256, 320, 2), (2048, 2560, polls)])}


def task(id, parent, name, state, line, fn, chain, w, st, worker=-1, running=-1.0):
    return {"id": id, "parent": parent, "name": name, "runtime": 1, "state": state,
            "spawned_at": loc(line, "main"), "cancel_requested": False, "worker": worker,
            "running_s": running, "finished_ago_s": -1,
            "chain": [loc(l, f) for l, f in chain], "wait": w, "branches": [], "stats": st}


def state_at(t):
    """The tasks, resources and edges at time t (seconds)."""
    lock_a, lock_b = loc(20, "main"), loc(21, "main")
    held = max(0.0, t - 2)
    tasks = [
        task(1, 0, "main", "idle", 90, "main", [(95, "main")],
             wait("join handle", 0, None, joined=2, waiting=t), stats(t + 0.5, 3, 0.001, 0.0001)),
        task(2, 1, "acceptor", "idle", 40, "accept_loop", [(44, "accept_loop")],
             wait("tcp listener", 0, None, what="accept", waiting=t, woken_by="driver"),
             stats(t + 0.4, 5 + int(t), 0.002, 0.0003)),
        task(3, 1, "alpha-worker", "idle", 50, "worker_a", [(55, "lock_both"), (60, "worker_a")],
             wait("mutex", 4, lock_a, holders=[(5, loc(72, "lock_both_reversed"), held)],
                  waiting=held), stats(t + 0.3, 7, 0.0005, 0.00005)),
        task(5, 1, "beta-worker", "idle", 51, "worker_b",
             [(73, "lock_both_reversed"), (80, "worker_b")],
             wait("mutex", 6, lock_b, holders=[(3, loc(54, "lock_both"), held)], waiting=held),
             stats(t + 0.2, 9, 0.004, 0.0002)),
        task(8, 1, "zeta-consumer", "idle", 52, "consume", [(65, "consume")],
             wait("mpsc", 7, loc(22, "main"), waiting=0.2, capacity=16, length=0, senders=1),
             stats(t + 0.1, 40 + 10 * int(t), 0.03 + 0.01 * t, 0.002)),
        task(9, 1, "producer", "running", 53, "produce", [],
             None, stats(t + 0.1, 41 + 10 * int(t), 0.05 + 0.02 * t, 0.001), worker=0,
             running=0.0004),
    ]
    if 3 <= t < 15:
        tasks.append(task(11, 8, "late-task", "idle", 66, "consume", [(67, "handle_item")],
                          wait("timer", 0, None, what="sleep", waiting=0.5, woken_by="driver"),
                          stats(t - 3, 2, 0.0001, 0.00001)))
    finished = []
    if t >= 15:
        f = task(11, 8, "late-task", "completed", 66, "consume", [], None,
                 stats(12, 14, 0.0001, 0.00001))
        f["finished_ago_s"] = t - 15
        finished.append(f)
    resources = [
        {"id": 4, "kind": "mutex", "created_at": lock_a,
         "holders": [{"task": 5, "acquired_at": loc(72, "lock_both_reversed"), "held_s": held}],
         "waiters": [{"task": 3, "waiting_s": held, "at": loc(55, "lock_both")}],
         "capacity": -1, "length": -1, "senders": -1, "permits": -1, "readers": -1, "closed": -1},
        {"id": 6, "kind": "mutex", "created_at": lock_b,
         "holders": [{"task": 3, "acquired_at": loc(54, "lock_both"), "held_s": held}],
         "waiters": [{"task": 5, "waiting_s": held, "at": loc(73, "lock_both_reversed")}],
         "capacity": -1, "length": -1, "senders": -1, "permits": -1, "readers": -1, "closed": -1},
        {"id": 7, "kind": "mpsc", "created_at": loc(22, "main"), "holders": [],
         "waiters": [{"task": 8, "waiting_s": 0.2, "at": loc(65, "consume")}],
         "capacity": 16, "length": 0, "senders": 1, "permits": -1, "readers": -1, "closed": 0},
    ]
    edges = [
        {"kind": "joins", "task": 1, "resource": 0, "other": 2},
        {"kind": "waits_on", "task": 3, "resource": 4, "other": 0},
        {"kind": "held_by", "task": 5, "resource": 4, "other": 0},
        {"kind": "waits_on", "task": 5, "resource": 6, "other": 0},
        {"kind": "held_by", "task": 3, "resource": 6, "other": 0},
        {"kind": "waits_on", "task": 8, "resource": 7, "other": 0},
    ]
    return tasks, finished, resources, edges


def runtime(tasks):
    states = [x["state"] for x in tasks]
    return {"runtimes": 1, "live": len(tasks), "idle": states.count("idle"),
            "scheduled": states.count("scheduled"), "running": states.count("running"),
            "aggregation": True}


HIST = {"poll_duration_ns": hist([(4096, 5120, 100)]),
        "scheduled_latency_ns": hist([(2048, 2560, 100)])}
WARNING = {"kind": "deadlock", "task": 3,
           "message": "deadlock: task 3 'alpha-worker' waits on mutex#4 held by task 5 "
                      "'beta-worker', which waits on mutex#6 held by task 3", "t": 5.5}


def snapshot(seq, t, warnings):
    tasks, finished, resources, edges = state_at(t)
    return {"type": "snapshot", "version": 1, "seq": seq, "t": t,
            "process": {"pid": 4242, "program": "console_demo", "interval_ms": 1000},
            "runtime": runtime(tasks), "tasks": tasks, "finished": finished,
            "resources": resources, "edges": edges, "cycles": [[3, 5]] if t >= 2 else [],
            "histograms": HIST, "warnings": warnings}


def delta(seq, t, prev_t):
    tasks, finished, resources, edges = state_at(t)
    ptasks, pfinished, _, _ = state_at(prev_t)
    ids = {x["id"] for x in tasks}
    fids = {x["id"] for x in finished}
    return {"type": "delta", "seq": seq, "t": t, "runtime": runtime(tasks),
            "tasks": {"upsert": tasks, "remove": sorted(x["id"] for x in ptasks if x["id"] not in ids)},
            "finished": {"upsert": finished,
                         "remove": sorted(x["id"] for x in pfinished if x["id"] not in fids)},
            "resources": {"upsert": resources, "remove": []},
            "edges": edges, "cycles": [[3, 5]] if t >= 2 else [], "histograms": HIST}


def main():
    out = sys.stdout
    out.write(json.dumps({"type": "header", "format": "lucid-console-recording", "version": 1,
                          "pid": 4242, "program": "console_demo", "interval_ms": 1000,
                          "started_unix_ms": 1764662400000}) + "\n")
    out.write(json.dumps(snapshot(1, 0.0, [])) + "\n")
    warnings = []
    for seq in range(2, 22):
        t = float(seq - 1)
        if seq == 11:  # a keyframe at t=10
            out.write(json.dumps(snapshot(seq, t, warnings)) + "\n")
        else:
            out.write(json.dumps(delta(seq, t, t - 1)) + "\n")
        if seq == 6:
            warnings.append(WARNING)
            out.write(json.dumps({"type": "warning", "seq": seq, "t": 5.5, "warning": WARNING})
                      + "\n")
    # A crash cut the last line short: readers skip it.
    out.write('{"type": "delta", "seq": 22, "t": 21.0, "runtime": {"runti')


main()
