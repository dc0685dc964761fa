#!/usr/bin/env bash
# Runs a libFuzzer target briefly for ctest: run_fuzz.sh FUZZER SEED_DIR SECONDS ARTIFACT_DIR.
# A fixed seed keeps the run repeatable (as far as the time limit allows). New inputs go to a
# temporary directory (the seed corpus in the source tree stays as it is);
# a crash, timeout or out-of-memory fails the run and leaves the input in ARTIFACT_DIR.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3 artifacts=$4
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Leaks are not what these short runs look for (libseccomp and static caches would be noise).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
# bpf_firstmatch_fuzz: small policies (see the comment on Small() there).
export PWNBOX_FUZZ_BPF_SMALL=1
"$fuzzer" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$(basename "$fuzzer")-" "$work" "$seeds"
