#!/usr/bin/env bash
# Installs the Debian 12 packages lucid needs to build and test (when run as
# root and something is missing), and the web console's npm packages from its
# lockfile. Safe to run repeatedly: it does nothing when everything is present.
set -euo pipefail

PKGS=(cmake make g++ clang-14 lld-14 clang-format ninja-build pkg-config
      libfmt-dev libdw-dev libunwind8 libgtest-dev libgmock-dev
      libclang-rt-14-dev curl ccache python3
      nlohmann-json3-dev libncurses-dev tmux
      chromium fonts-dejavu-core gdb)
# The web console (web/console) is built with node and npm; a machine that
# has them from elsewhere (NodeSource) keeps its own.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "lucid setup: missing Debian packages: ${missing[*]}" >&2
    echo "lucid setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "lucid setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The web console's npm packages, pinned by web/console/package-lock.json
# (the build runs the same `npm ci` when node_modules is older than the lock).
web="$(cd "$(dirname "$0")/.." && pwd)/web/console"
if [[ ! -f "$web/node_modules/.package-lock.json" || "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]]; then
  echo "lucid setup: npm ci in web/console" >&2
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi
