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
exit $status
