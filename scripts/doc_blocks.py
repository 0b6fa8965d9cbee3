#!/usr/bin/env python3
"""Extracts every ```cpp block of Markdown files into C++ translation units.

The test suite compiles them (tests/docs/CMakeLists.txt), so a code block in
README.md or docs/*.md that does not compile against the real API fails a
test that names the Markdown file and line: each generated file carries
#line directives, so the compiler reports errors at `docs/x.md:LINE`.

Conventions for a block (see docs/README.md, "Code blocks"):
  - A block with an #include line is a whole translation unit; it is linked
    into a program when it defines main().
  - A block without #include gets `#include "lucid/lucid.hpp"` and
    `using namespace std::chrono_literals;` prepended.
  - Statement fragments say where they run, in an HTML comment on the line(s)
    just before the block:
        <!-- compile: in-task(int id, lucid::trace::span& other) -->
    wraps the block in `lucid::task<> f(int id, lucid::trace::span& other)`;
    `in-function(...)` wraps it in a plain `void` function; `top-level` (the
    default) leaves it at namespace scope. Further lines of the comment,
    before `-->`, are hidden code placed at namespace scope before the block
    (declarations the fragment uses).
  - A block that is not C++ (shell, program output, grammar) is fenced with
    another language (sh, text). A fence without a language is an error.

Usage: doc_blocks.py --root DIR --out DIR --manifest FILE MD...
Writes one .cpp per block into --out and a CMake manifest that calls
lucid_doc_block(<name> <kind> <source> <origin>) for each, kind being
`program` (has main) or `object`. A malformed block or directive becomes a
translation unit holding #error at that Markdown line, so it fails the same
way a block that does not compile does.
"""

import argparse
import os
import re
import sys

FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([^\s`]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*compile:\s*(.*)$")
MODE = re.compile(r"^(top-level|in-function|in-task)\s*(?:\((.*)\))?\s*$")
MAIN = re.compile(r"^\s*int\s+main\s*\(", re.M)
INCLUDE = re.compile(r"^\s*#\s*include\b", re.M)

PROLOGUE = '#include "lucid/lucid.hpp"\nusing namespace std::chrono_literals;\n'


class Block:
    def __init__(self, md, line):
        self.md = md          # path as named in diagnostics
        self.line = line      # 1-based line of the opening fence
        self.code = []        # lines of the block
        self.mode = "top-level"
        self.params = ""
        self.hidden = []      # (line, text) of the directive's hidden code
        self.error = None     # a malformed block: the message for #error
        self.error_line = None


def c_string(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def parse(md_path, shown):
    """The blocks of one Markdown file (cpp blocks and malformed ones)."""
    with open(md_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks = []
    pending = None  # a directive waiting for its block: (line, text lines)
    i = 0
    while i < len(lines):
        text = lines[i]
        m = DIRECTIVE.match(text)
        if m:
            start = i + 1
            body = [m.group(1)]
            while "-->" not in body[-1] and i + 1 < len(lines):
                i += 1
                body.append(lines[i])
            if "-->" not in body[-1]:
                b = Block(shown, start)
                b.error, b.error_line = "unterminated <!-- compile: --> comment", start
                blocks.append(b)
                break
            body[-1] = body[-1][: body[-1].index("-->")]
            pending = (start, body)
            i += 1
            continue
        m = FENCE.match(text)
        if m:
            indent, marker, lang = m.group(1), m.group(2), m.group(3)
            start = i + 1
            code = []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(marker):
                # a fence inside a list item: drop its indentation
                line = lines[i]
                code.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
                i += 1
            i += 1  # the closing fence
            if lang == "":
                b = Block(shown, start)
                b.error = ("a code fence without a language: write ```cpp for C++ "
                           "(it is compiled), or ```sh / ```text for the rest")
                b.error_line = start
                blocks.append(b)
            elif lang in ("cpp", "c++"):
                b = Block(shown, start)
                b.code = code
                if pending is not None:
                    apply_directive(b, *pending)
                blocks.append(b)
            elif pending is not None:
                b = Block(shown, pending[0])
                b.error, b.error_line = "a compile directive before a block that is not cpp", pending[0]
                blocks.append(b)
            pending = None
            continue
        if pending is not None and text.strip() != "":
            b = Block(shown, pending[0])
            b.error, b.error_line = "a compile directive must come just before a ```cpp block", pending[0]
            blocks.append(b)
            pending = None
        i += 1
    if pending is not None:
        b = Block(shown, pending[0])
        b.error, b.error_line = "a compile directive must come just before a ```cpp block", pending[0]
        blocks.append(b)
    return blocks


def apply_directive(b, line, body):
    m = MODE.match(body[0].strip())
    if not m:
        b.error = ("bad compile directive '%s': expected top-level, in-function(params) "
                   "or in-task(params)" % body[0].strip())
        b.error_line = line
        return
    b.mode = m.group(1)
    b.params = m.group(2) or ""
    b.hidden = [(line + k, t) for k, t in enumerate(body[1:], start=1)]


def render(b):
    """The translation unit of one block."""
    out = ["// Generated by scripts/doc_blocks.py from %s:%d; do not edit." % (b.md, b.line)]
    md = c_string(b.md)
    if b.error:
        out.append('#line %d "%s"' % (b.error_line, md))
        out.append('#error "%s"' % c_string(b.error))
        return "\n".join(out) + "\n"
    code = "\n".join(b.code)
    if not INCLUDE.search(code):
        out.append(PROLOGUE.rstrip("\n"))
    for line, text in b.hidden:
        out.append('#line %d "%s"' % (line, md))
        out.append(text)
    if b.mode == "top-level":
        out.append('#line %d "%s"' % (b.line + 1, md))
        out.extend(b.code)
    else:
        ret = "lucid::task<>" if b.mode == "in-task" else "void"
        out.append("%s lucid_doc_block_%d(%s) {" % (ret, b.line, b.params))
        out.append('#line %d "%s"' % (b.line + 1, md))
        out.extend(b.code)
        if b.mode == "in-task":
            out.append("  co_return;")
        out.append("}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="paths in diagnostics are relative to this")
    ap.add_argument("--out", required=True, help="folder for the generated .cpp files")
    ap.add_argument("--manifest", required=True, help="the CMake file to write")
    ap.add_argument("md", nargs="+")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    manifest = ["# Generated by scripts/doc_blocks.py; do not edit."]
    keep = set()
    for md in args.md:
        shown = os.path.relpath(os.path.abspath(md), os.path.abspath(args.root))
        for b in parse(md, shown):
            name = "doc_" + re.sub(r"[^A-Za-z0-9]", "_", shown) + "_L%d" % b.line
            src = os.path.join(os.path.abspath(args.out), name + ".cpp")
            text = render(b)
            keep.add(os.path.basename(src))
            # Rewrite only what changed, so unchanged blocks are not rebuilt.
            old = None
            if os.path.exists(src):
                with open(src, encoding="utf-8") as f:
                    old = f.read()
            if old != text:
                with open(src, "w", encoding="utf-8") as f:
                    f.write(text)
            kind = "program" if not b.error and MAIN.search("\n".join(b.code)) else "object"
            manifest.append('lucid_doc_block(%s %s "%s" "%s:%d")' % (name, kind, src, shown, b.line))
    for f in os.listdir(args.out):
        if f.endswith(".cpp") and f not in keep:
            os.remove(os.path.join(args.out, f))
    text = "\n".join(manifest) + "\n"
    old = None
    if os.path.exists(args.manifest):
        with open(args.manifest, encoding="utf-8") as f:
            old = f.read()
    if old != text:
        with open(args.manifest, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
