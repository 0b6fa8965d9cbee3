#!/usr/bin/env bash
# Installs the Debian 12 packages lucid needs to build and test (when run as
# root and something is missing). Safe to run repeatedly: it does nothing when
# every package is present.
set -euo pipefail

PKGS=(cmake make g++ clang-14 lld-14 clang-format ninja-build pkg-config
      libfmt-dev libdw-dev libunwind8 libgtest-dev libgmock-dev
      libclang-rt-14-dev curl ccache python3
      nlohmann-json3-dev libncurses-dev tmux)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "lucid setup: missing Debian packages: ${missing[*]}" >&2
  echo "lucid setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "lucid setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends "${missing[@]}"
