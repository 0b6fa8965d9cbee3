#!/usr/bin/env bash
# lucid used from outside its tree, the three ways the README documents:
#   install: `cmake --install` of this build into a fresh prefix, then a
#            project with find_package(lucid) and a pkg-config build;
#   subdir:  a project that add_subdirectory()s the source tree.
# Usage: run.sh install|subdir SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
mode="$1" src="$2" build="$3" work="$4"
rm -rf "$work" && mkdir -p "$work"
check() {  # the consumer's output
  out="$("$1")"
  echo "$out"
  grep -q "sum 55" <<<"$out" && grep -q "dump ok" <<<"$out"
}
case "$mode" in
  install)
    cmake --install "$build" --prefix "$work/prefix" >/dev/null
    cmake -S "$src/tests/package/consumer" -B "$work/build" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
    cmake --build "$work/build" >/dev/null
    check "$work/build/consumer"
    # Whole outputs into grep, never a pipe into grep -q: under pipefail, the
    # writer's SIGPIPE when grep -q stops reading early fails the test.
    grep -q "from a module alone" <<<"$("$work/build/consumer_trace" 2>&1)"
    # pkg-config, as another build system would.
    PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --exists lucid
    # shellcheck disable=SC2046
    g++ -O1 "$src/tests/package/consumer/main.cpp" -o "$work/consumer_pc" \
      $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs lucid)
    check "$work/consumer_pc"
    # The gdb extension: installed for `source`, and embedded (lucid_rt's
    # .debug_gdb_scripts) in a program built against the installed libraries.
    test -f "$work/prefix/share/lucid/gdb/lucid_gdb.py"
    if command -v readelf >/dev/null; then
      grep -q '\.debug_gdb_scripts' <<<"$(readelf -SW "$work/build/consumer")"
    fi
    ;;
  subdir)
    # The same compiler flags as the release preset, so ccache serves what
    # the main build compiled (CCACHE_NOHASHDIR: the build folder differs).
    export CCACHE_NOHASHDIR=1
    cmake -S "$src/tests/package/subdir" -B "$work/build" -G Ninja -DLUCID_SOURCE_DIR="$src" \
      -DCMAKE_CXX_COMPILER=g++ -DLUCID_WERROR=ON \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -g -DNDEBUG" >/dev/null
    cmake --build "$work/build" -j2 >/dev/null
    check "$work/build/consumer"
    test ! -e "$work/build/lucid/tests" || { echo "a subproject built lucid's tests"; exit 1; }
    ;;
  *) echo "usage: run.sh install|subdir SOURCE_DIR BUILD_DIR WORK_DIR" >&2; exit 2 ;;
esac
echo "package $mode: ok"
