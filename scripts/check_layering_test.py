#!/usr/bin/env python3
"""Proves that check_layering.py fails: copies include/ and src/ to a
temporary folder, adds an upward include to an rt source file (rt -> http)
and to an rt header (rt -> sync), and expects the check to exit 1 naming
both files and lines.

Usage: check_layering_test.py [ROOT]   (ROOT: the repository, default: this script's)
"""
import os
import shutil
import subprocess
import sys
import tempfile


def add_include(path, header):
    """Appends `#include "header"` to path; returns its line number."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    lines.append(f'#include "{header}"')
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def first_file(folder, suffix):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(suffix):
                return os.path.join(dirpath, name)
    raise SystemExit(f"check_layering_test: no *{suffix} under {folder}")


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    root = argv[1] if len(argv) > 1 else os.path.dirname(here)
    with tempfile.TemporaryDirectory(prefix="lucid-layering-") as tmp:
        for d in ("include", "src"):
            shutil.copytree(os.path.join(root, d), os.path.join(tmp, d))
        src = first_file(os.path.join(tmp, "src", "rt"), ".cpp")
        hdr = first_file(os.path.join(tmp, "include", "lucid", "rt"), ".hpp")
        src_line = add_include(src, "lucid/http/server.hpp")
        hdr_line = add_include(hdr, "lucid/sync/mutex.hpp")
        expected = [
            f'{os.path.relpath(src, tmp)}:{src_line}: rt -> http ("lucid/http/server.hpp") '
            "is not allowed: rt may use base, trace, debug",
            f'{os.path.relpath(hdr, tmp)}:{hdr_line}: rt -> sync ("lucid/sync/mutex.hpp") '
            "is not allowed: rt may use base, trace, debug",
        ]
        run = subprocess.run([sys.executable, os.path.join(here, "check_layering.py"), tmp],
                             capture_output=True, text=True)
        print(run.stdout, end="")
        print(run.stderr, end="", file=sys.stderr)
        ok = run.returncode == 1
        if not ok:
            print(f"check_layering_test: expected exit 1, got {run.returncode}")
        for e in expected:
            if e not in run.stdout.splitlines():
                print(f"check_layering_test: missing from the output: {e}")
                ok = False
        if ok:
            print("check_layering_test: the check fails on an upward include, naming file and line")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
