#!/usr/bin/env bash
# Builds pwnbox and runs the whole test suite: once as the current user and, when that is
# root, once more as an unprivileged user (nobody), since pwnbox must work without privileges.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
BUILD_DIR="${PWNBOX_BUILD_DIR:-build}"
JOBS="${PWNBOX_TEST_JOBS:-2}"

echo "== tests as $(id -un)"
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 300 || status=1

if [ "$(id -u)" -eq 0 ] && [ "${PWNBOX_SKIP_UNPRIVILEGED:-0}" != 1 ]; then
  echo "== tests as nobody (unprivileged)"
  # ctest writes its logs under Testing/; let the unprivileged run write there too.
  mkdir -p "$BUILD_DIR/Testing/Temporary"
  chmod -R a+rwX "$BUILD_DIR/Testing"
  # Every directory from / to the build tree must be searchable by nobody.
  setpriv --reuid 65534 --regid 65534 --clear-groups --reset-env \
    env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/tmp HOME=/tmp \
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 300 || status=1
fi
# libFuzzer targets (tests/fuzz/): a clang build of the libraries they need, in a build
# directory of its own, then a short run of each from its seed corpus (ctest label fuzz, about
# 15 s each; PWNBOX_FUZZ_SECONDS changes it). Once, as the current user. PWNBOX_SKIP_FUZZ=1
# skips this.
if [ "${PWNBOX_SKIP_FUZZ:-0}" != 1 ]; then
  FUZZ_DIR="${PWNBOX_FUZZ_BUILD_DIR:-build-fuzz}"
  echo "== fuzz targets (clang, $FUZZ_DIR)"
  if [ ! -f "$FUZZ_DIR/build.ninja" ]; then
    cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPWNBOX_FUZZ=ON \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPWNBOX_BUILD_BENCH=OFF \
      -DPWNBOX_FUZZ_SECONDS="${PWNBOX_FUZZ_SECONDS:-15}" >/dev/null
  fi
  if ninja -C "$FUZZ_DIR" fuzz_targets >&2; then
    ctest --test-dir "$FUZZ_DIR" -L fuzz --output-on-failure -j "$JOBS" --timeout 300 || status=1
  else
    status=1
  fi
fi
exit $status
