#!/usr/bin/env bash
# Builds the bundle bench/scaling/run.sh needs on another machine (the
# 16-core device, which has no compiler for this, no Debian packages and no
# network): lucid_rt_bench and lucid_http_hello (release, debug info
# stripped), the tokio peer's rt_bench with its worker count taken from
# $WORKERS (built from a copy of ../shared/peers/tokio whose one
# `.worker_threads(2)` is replaced; the shared peer is not touched), its
# hyper_hello (which takes the count as an argument already), wrk, and
# every shared library they load (glibc's apart, in glibc/: run.sh uses
# them, through their own loader, only on a machine whose glibc is older
# than 2.35), so the bundle runs without Debian's packages.
#
# usage: bench/scaling/prepare.sh [bundle dir, default build/scaling-bundle]
#   env: PEER=<tokio peer dir> (../shared/peers/tokio)
#        BASE=<a build dir of an earlier lucid>: its bench/lucid_rt_bench
#        goes in as bin/lucid_rt_bench_base, which run.sh runs beside
#        (before and after a change, side by side)
# Then, with the device tool: carry the bundle and run
#   bench/scaling/run.sh build/scaling-bundle
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="${1:-$ROOT/build/scaling-bundle}"
PEER="${PEER:-$ROOT/../shared/peers/tokio}"

for tool in cmake cargo strip wrk ldd; do
  command -v "$tool" >/dev/null || { echo "prepare.sh: $tool not found" >&2; exit 2; }
done
[[ -f "$PEER/src/rt_bench.rs" ]] || { echo "prepare.sh: no tokio peer at $PEER" >&2; exit 2; }

rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/bin" "$BUNDLE/lib" "$BUNDLE/glibc" "$BUNDLE/tokio"

cmake --preset release >/dev/null
cmake --build --preset release -j2 --target lucid_rt_bench lucid_http_hello

# The peer, with the worker count from the environment (2 when unset, as
# the shared peer has it).
cp -r "$PEER/Cargo.toml" "$PEER/Cargo.lock" "$PEER/src" "$PEER/.cargo" "$BUNDLE/tokio/"
grep -q '\.worker_threads(2)' "$BUNDLE/tokio/src/rt_bench.rs" ||
  { echo "prepare.sh: the peer's rt_bench.rs has no .worker_threads(2) to replace" >&2; exit 2; }
sed -i 's/\.worker_threads(2)/.worker_threads(std::env::var("WORKERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2))/' \
  "$BUNDLE/tokio/src/rt_bench.rs"
(cd "$BUNDLE/tokio" && cargo build --release --offline --bin rt_bench --bin hyper_hello)

B="$ROOT/build/release/bench"
cp "$B/lucid_rt_bench" "$B/lucid_http_hello" "$BUNDLE/bin/"
if [[ -n "${BASE:-}" ]]; then
  cp "$BASE/bench/lucid_rt_bench" "$BUNDLE/bin/lucid_rt_bench_base"
  strip --strip-debug "$BUNDLE/bin/lucid_rt_bench_base"
fi
strip --strip-debug "$BUNDLE/bin/lucid_rt_bench" "$BUNDLE/bin/lucid_http_hello"
cp "$BUNDLE/tokio/target/release/rt_bench" "$BUNDLE/bin/tokio_rt_bench"
cp "$BUNDLE/tokio/target/release/hyper_hello" "$BUNDLE/bin/hyper_hello"
cp "$(command -v wrk)" "$BUNDLE/bin/wrk"
rm -rf "$BUNDLE/tokio"

# Shared libraries; glibc's own apart (the other machine's is used where it
# is new enough).
glibc='/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so'
ldd "$BUNDLE"/bin/* | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  grep -v -E "$glibc" | while read -r lib; do cp -L "$lib" "$BUNDLE/lib/"; done
ldd "$BUNDLE"/bin/* | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' |
  sort -u | grep -E "$glibc" | while read -r lib; do cp -L "$lib" "$BUNDLE/glibc/"; done
du -sh "$BUNDLE"
ls "$BUNDLE/bin" "$BUNDLE/lib"
