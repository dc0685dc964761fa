#!/usr/bin/env bash
# Installs what is missing, configures and builds pwnbox into build/ (or $PWNBOX_BUILD_DIR).
# Extra arguments go to cmake's configure step (e.g. -DPWNBOX_ASAN=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BUILD_DIR="${PWNBOX_BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${PWNBOX_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
fi
ninja -C "$BUILD_DIR" >&2
