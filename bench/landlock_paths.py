#!/usr/bin/env python3
"""Path allow-lists on Landlock vs the supervisor (issue 16, docs/policy.md "Path rules on
Landlock").

Runs `tar cf /dev/null /usr/include` and `find /usr -name '*.h'` natively, under
bench/policies/landlock_paths.toml with Landlock deciding open/openat ("landlock"), the same
policy forced through the supervisor (PWNBOX_LANDLOCK=off: "supervisor"), and the policy that
also path-rules the stat family ("landlock+stat", stat stays in the supervisor: Landlock does not
restrict it). Every (workload, mode) pair is run interleaved (A B C D A B C D ...) after a
warm-up round; prints median/min/max wall seconds and the median's ratio to native.

  bench/landlock_paths.py [--runs N] [--pwnbox build/cli/pwnbox] [--markdown]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {
    "tar": ["tar", "cf", "/dev/null", "/usr/include"],
    "find": ["find", "/usr", "-name", "*.h"],
}


def modes(pwnbox):
    pol = os.path.join(REPO, "bench", "policies", "landlock_paths.toml")
    stat = os.path.join(REPO, "bench", "policies", "landlock_paths_stat.toml")
    return {
        "native": ([], {}),
        "landlock": ([pwnbox, "--policy", pol, "--"], {}),
        "supervisor": ([pwnbox, "--policy", pol, "--"], {"PWNBOX_LANDLOCK": "off"}),
        "landlock+stat": ([pwnbox, "--policy", stat, "--"], {}),
        "supervisor+stat": ([pwnbox, "--policy", stat, "--"], {"PWNBOX_LANDLOCK": "off"}),
    }


def run(argv, env):
    e = dict(os.environ)
    e.update(env)
    t = time.perf_counter()
    p = subprocess.run(argv, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t, p.returncode, p.stderr.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--pwnbox", default=os.path.join(REPO, "build", "cli", "pwnbox"))
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    ms = modes(args.pwnbox)
    times = {(w, m): [] for w in WORKLOADS for m in ms}
    status = {}
    for rnd in range(args.runs + 1):  # round 0 warms the caches and is not counted
        for w, argv in WORKLOADS.items():
            for m, (prefix, env) in ms.items():
                dt, rc, err = run(prefix + argv, env)
                if status.setdefault((w, m), rc) != rc or (m != "native" and rc != status[(w, "native")]):
                    sys.exit(f"{w} {m}: exit status {rc}, native {status[(w, 'native')]}\n{err}")
                if rnd:
                    times[(w, m)].append(dt)
    sep = " | " if args.markdown else "  "
    print(sep.join(["workload", "mode", "median s", "min s", "max s", "x native"]))
    if args.markdown:
        print("|".join(["---"] * 6))
    for w in WORKLOADS:
        base = statistics.median(times[(w, "native")])
        for m in ms:
            t = times[(w, m)]
            med = statistics.median(t)
            print(sep.join([w, m, f"{med:.3f}", f"{min(t):.3f}", f"{max(t):.3f}", f"{med / base:.2f}x"]))
    print(f"({args.runs} runs per pair, interleaved, after a warm-up round)")


if __name__ == "__main__":
    main()
