#!/usr/bin/env bash
# Installs the Debian 12 packages pwnbox needs to build and test, when they are missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libseccomp-dev libboost-program-options-dev libtomlplusplus-dev liblz4-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  strace sqlite3 python3 tar findutils util-linux
  socat   # a relay that drops SCM_RIGHTS: tests/integration/proxy_relay_test.cc
  groff-base zsh   # man pages rendered (nroff) and the zsh completion checked by tests/integration/ux_test.cc
  clang libclang-rt-14-dev  # libFuzzer targets (tests/fuzz/, scripts/test.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "pwnbox setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "pwnbox setup: missing packages (${missing[*]}); run this script as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
