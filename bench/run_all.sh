#!/usr/bin/env bash
# Runs the whole benchmark suite and writes bench/RESULTS.md.
#   bench/run_all.sh [--runs N] [--reps N] [--quick] [--out FILE] [--build-dir DIR]
# Builds pwnbox and bench_mechanisms (Release) into build-bench/, runs the micro driver
# (bench_mechanisms) and the macro suite (bench/macro.py), and writes both to RESULTS.md.
# Every step is bounded by a timeout; a pwnbox that does not build only skips pwnbox's rows.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
build="$repo/build-bench"
out="$here/RESULTS.md"
runs=5
reps=7
min_time_ms=200
workloads="tar,find,python,sqlite"
modes="native,policy,policy-paths,trace-narrow,trace-full,record,record-nodata,strace-full,strace-narrow,strace-seccomp"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --quick) runs=3; reps=3; min_time_ms=100; shift ;;
    --out) out="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    --workloads) workloads="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

tmp="$(mktemp -d /tmp/pwnbox-bench-all.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

echo "== configure and build ($build)" >&2
if ! timeout 600 cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPWNBOX_BUILD_TESTS=OFF -DPWNBOX_BUILD_BENCH=ON >"$tmp/configure.log" 2>&1; then
  tail -20 "$tmp/configure.log" >&2
  echo "run_all.sh: configure failed" >&2
  exit 1
fi
if ! timeout 1200 ninja -C "$build" bench_mechanisms >"$tmp/build-bench.log" 2>&1; then
  tail -20 "$tmp/build-bench.log" >&2
  echo "run_all.sh: bench_mechanisms does not build" >&2
  exit 1
fi
pwnbox="$build/cli/pwnbox"
pwnbox_note=""
if ! timeout 1200 ninja -C "$build" pwnbox >"$tmp/build-pwnbox.log" 2>&1; then
  pwnbox_note="pwnbox did not build: its rows are skipped ($(grep -m1 -i error "$tmp/build-pwnbox.log"))"
  echo "run_all.sh: $pwnbox_note" >&2
fi

echo "== micro: bench_mechanisms" >&2
micro_args=(--reps "$reps" --min-time-ms "$min_time_ms")
if [[ -x "$pwnbox" ]]; then
  micro_args+=(--pwnbox "$pwnbox")
  for p in "$repo/policies/default.toml" "$here/policies/getppid-return.toml"; do
    [[ -f "$p" ]] && micro_args+=(--policy "$p")
  done
fi
timeout 1800 "$build/bench/bench_mechanisms" "${micro_args[@]}" >"$tmp/micro.md" 2>"$tmp/micro.log"
micro_rc=$?
cat "$tmp/micro.md"

echo "== macro: macro.py" >&2
timeout 7200 python3 "$here/macro.py" --runs "$runs" --workloads "$workloads" --modes "$modes" \
  --pwnbox "$pwnbox" --markdown "$tmp/macro.md" --json "$tmp/macro.json"
macro_rc=$?

{
  echo "# pwnbox benchmark results"
  echo
  echo "Written by \`bench/run_all.sh\` on $(date '+%Y-%m-%d %H:%M:%S %Z')."
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs,"
  echo "kernel $(uname -r), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")."
  commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || true)"
  [[ -n "$commit" ]] && echo "Commit: $commit."
  [[ -n "$pwnbox_note" ]] && { echo; echo "Note: $pwnbox_note."; }
  echo
  echo "See bench/README.md for what each number means. Shared 2-core VMs are noisy: compare"
  echo "only figures measured side by side in this one run."
  echo
  echo "## Micro: getppid per call, by mechanism"
  echo
  echo "\`bench_mechanisms ${micro_args[*]}\` (exit status $micro_rc)"
  echo
  cat "$tmp/micro.md"
  echo
  echo "## Macro: wall time of real workloads"
  echo
  echo "\`macro.py --runs $runs --workloads $workloads --modes $modes\` (exit status $macro_rc)"
  echo
  if [[ -f "$tmp/macro.md" ]]; then
    sed '1{/^# /d}' "$tmp/macro.md" | sed '1{/^$/d}'
  else
    echo "macro.py wrote no report (exit status $macro_rc)."
  fi
} >"$out"
echo "== wrote $out" >&2
[[ $micro_rc -eq 0 && $macro_rc -eq 0 ]]
