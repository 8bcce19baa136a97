#!/usr/bin/env bash
# Installs the Debian 12 packages Veritrace needs (scripts/deps-debian.txt) and builds the
# release configuration into build/ (CMake preset "release": Ninja, RelWithDebInfo, -Werror).
#
#   bash scripts/setup.sh            # packages (only the missing ones) + incremental build
#   bash scripts/setup.sh --deps     # packages only
#   bash scripts/setup.sh --check    # list missing packages, exit 1 if any; installs nothing
#   bash scripts/setup.sh --target veritrace_cli   # packages + build only that target (and its deps)
#
# Idempotent: when every package is installed it does not touch apt at all, and the build is
# incremental (a second run takes about a second). Needs root or sudo only when something is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=all
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --deps) mode=deps ;;
    --check) mode=check ;;
    --target) targets+=(--target "${2:?--target needs a name}"); shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# --- packages --------------------------------------------------------------------------------
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/deps-debian.txt | grep -v '^$')
missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [ "${status:0:2}" = ii ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$mode" = check ]; then
    echo "setup.sh: missing packages: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup.sh: installing ${#missing[@]} missing package(s): ${missing[*]}" >&2
  if [ "$(id -u)" = 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all ${#wanted[@]} packages from scripts/deps-debian.txt are installed" >&2
fi
[ "$mode" = all ] || exit 0

# --- build -----------------------------------------------------------------------------------
# An existing build/ made with another generator cannot be reused by the Ninja preset.
if [ -f build/CMakeCache.txt ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/CMakeCache.txt; then
  echo "setup.sh: build/ was configured with another generator; remove it (rm -rf build) and rerun" >&2
  exit 1
fi
cmake --preset release >/dev/null
cmake --build --preset release "${targets[@]}"
echo "setup.sh: build/ is up to date${targets:+ (${targets[*]})}" >&2
