#!/usr/bin/env python3
"""Checks a lucid timeline file against the Chrome Trace Event format,
independently of lucid's code (python's json module), and prints a summary
as JSON on stdout for the test to compare with the expected shape.

usage: check_timeline.py FILE [--allow-open]
Exit status 0 and {"ok": true, ...} when the file is valid; otherwise 1 and
{"ok": false, "errors": [...]}.

Checked: the top level is {"traceEvents": [...]}; every event has a name,
a known phase, integer pid/tid, a numeric ts (except metadata), a
non-negative dur on X; per track (pid, tid), B/E pairs match and slices
(X and B/E) nest: no partial overlap; every flow id has exactly one "s" and
one "f", each bound to a slice on its own track (s: a slice that contains
its ts; f with bp "e": a slice that encloses its ts).
"""
import json
import sys

EPS = 0.0015  # ts has 3 decimals (microseconds)
PHASES = {"X", "B", "E", "i", "I", "s", "t", "f", "M", "C"}


def main(argv):
    path = argv[1]
    allow_open = "--allow-open" in argv
    errors = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        print(json.dumps({"ok": False, "errors": [f"not JSON: {e}"], "size": len(text)}))
        return 1
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        print(json.dumps({"ok": False, "errors": ["top level is not {traceEvents: [...]}"]}))
        return 1
    events = doc["traceEvents"]
    names = {}       # (pid, tid) -> thread_name ; (pid, 0) -> process name
    slices = {}      # (pid, tid) -> [(start, end, event)]
    open_b = {}      # (pid, tid) -> stack of B events
    flows = {}       # id -> {"s": [...], "f": [...]}
    instants = []
    for i, e in enumerate(events):
        where = f"event {i}"
        if not isinstance(e, dict):
            errors.append(f"{where}: not an object")
            continue
        ph = e.get("ph")
        if ph not in PHASES:
            errors.append(f"{where}: unknown ph {ph!r}")
            continue
        if not isinstance(e.get("name"), str):
            errors.append(f"{where}: no name")
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int):
            errors.append(f"{where}: pid/tid not integers")
            continue
        track = (e["pid"], e["tid"])
        if ph == "M":
            if e["name"] in ("thread_name", "process_name"):
                n = e.get("args", {}).get("name")
                if not isinstance(n, str):
                    errors.append(f"{where}: metadata without args.name")
                names[(e["pid"], e["tid"] if e["name"] == "thread_name" else None)] = n
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)):
            errors.append(f"{where}: ts not a number")
            continue
        if "args" in e and not isinstance(e["args"], dict):
            errors.append(f"{where}: args not an object")
        if ph == "X":
            dur = e.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                errors.append(f"{where}: X without a non-negative dur")
                continue
            slices.setdefault(track, []).append((ts, ts + dur, e))
        elif ph == "B":
            open_b.setdefault(track, []).append(e)
        elif ph == "E":
            st = open_b.get(track)
            if not st:
                errors.append(f"{where}: E without B on track {track}")
                continue
            b = st.pop()
            if b["name"] != e["name"]:
                errors.append(f"{where}: E {e['name']!r} closes B {b['name']!r} on {track}")
            if ts + EPS < b["ts"]:
                errors.append(f"{where}: E before its B")
            merged = dict(b)
            merged["args"] = dict(b.get("args", {}))
            slices.setdefault(track, []).append((b["ts"], ts, merged))
        elif ph in ("i", "I"):
            if e.get("s", "t") not in ("t", "p", "g"):
                errors.append(f"{where}: instant scope {e.get('s')!r}")
            instants.append(e)
        elif ph in ("s", "t", "f"):
            if "id" not in e:
                errors.append(f"{where}: flow event without id")
                continue
            if ph == "f" and e.get("bp") != "e":
                errors.append(f"{where}: flow end not bound to an enclosing slice (bp != e)")
            flows.setdefault(e["id"], {"s": [], "f": [], "t": []})[ph].append(e)
    for track, st in open_b.items():
        if st and not allow_open:
            errors.append(f"track {track}: {len(st)} B without E ({st[-1]['name']!r})")
    # Nesting per track: sort by start, longest first; a slice must end within
    # every slice still open at its start.
    for track, sl in slices.items():
        sl.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for start, end, e in sl:
            while stack and stack[-1][1] <= start + EPS:
                stack.pop()
            if stack and end > stack[-1][1] + EPS:
                top = stack[-1]
                errors.append(
                    f"track {track}: {e['name']!r} [{start}, {end}] partially overlaps "
                    f"{top[2]['name']!r} [{top[0]}, {top[1]}]")
            stack.append((start, end, e))

    def enclosing(track, ts):
        best = None
        for start, end, e in slices.get(track, []):
            if start - EPS <= ts <= end + EPS:
                if best is None or start >= best[0]:
                    best = (start, end, e)
        return best

    flow_out = []
    for fid, fl in flows.items():
        if len(fl["s"]) != 1 or len(fl["f"]) != 1:
            errors.append(f"flow {fid}: {len(fl['s'])} starts and {len(fl['f'])} ends")
            continue
        s, f = fl["s"][0], fl["f"][0]
        ss = enclosing((s["pid"], s["tid"]), s["ts"])
        fs = enclosing((f["pid"], f["tid"]), f["ts"])
        if ss is None:
            errors.append(f"flow {fid}: start at {s['ts']} on {(s['pid'], s['tid'])} is in no slice")
        if fs is None:
            errors.append(f"flow {fid}: end at {f['ts']} on {(f['pid'], f['tid'])} is in no slice")
        if f["ts"] + EPS < s["ts"]:
            errors.append(f"flow {fid}: ends before it starts")
        if ss and fs:
            flow_out.append({
                "id": fid,
                "from": names.get((s["pid"], s["tid"]), str(s["tid"])),
                "from_slice": ss[2]["name"], "from_poll": ss[2].get("args", {}).get("poll"),
                "to": names.get((f["pid"], f["tid"]), str(f["tid"])),
                "to_slice": fs[2]["name"], "to_poll": fs[2].get("args", {}).get("poll"),
            })

    def track_name(t):
        return names.get(t, f"{t[0]}/{t[1]}")

    tasks = {}
    for (pid, tid), n in names.items():
        if pid == 2 and tid is not None:
            tasks[n] = {"polls": 0, "spans": [], "instants": []}
    for track, sl in slices.items():
        if track[0] != 2:
            continue
        t = tasks.setdefault(track_name(track), {"polls": 0, "spans": [], "instants": []})
        for start, end, e in sl:
            if e.get("cat") == "poll":
                t["polls"] += 1
            else:
                t["spans"].append({"name": e["name"], "args": e.get("args", {})})
    for e in instants:
        if e["pid"] == 2:
            t = tasks.setdefault(track_name((2, e["tid"])), {"polls": 0, "spans": [], "instants": []})
            t["instants"].append({"name": e["name"], "args": e.get("args", {})})
    summary = {
        "ok": not errors,
        "errors": errors[:50],
        "events": len(events),
        "processes": {str(k[0]): v for k, v in names.items() if k[1] is None},
        "threads": sorted(n for (pid, tid), n in names.items() if pid == 1 and tid is not None),
        "tasks": tasks,
        "flows": flow_out,
        "global_instants": [e["name"] for e in instants if e.get("s") == "g"],
        "thread_slices": sum(len(v) for k, v in slices.items() if k[0] == 1),
    }
    print(json.dumps(summary))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
