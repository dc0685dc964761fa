#!/usr/bin/env python3
"""Issue 15's speed comparison: exploring N outcomes of one call deep in a program with a slow
start-up (python3 importing modules, then opening a file), with `pwnbox explore` (one run,
forked at the call) against re-running the program once per outcome with `strace --inject`
(the anchor's only way: count-triggered, from scratch each time). Side by side, in one run.

  bench/explore_vs_strace.py --pwnbox build/cli/pwnbox [--outcomes 8] [--reps 3] [--jobs 1,2]

Prints a Markdown table: median wall seconds per method, and the speed-up."""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ERRNOS = ["ENOENT", "EACCES", "EMFILE", "ENFILE", "ENOSPC", "EDQUOT", "EROFS", "EISDIR",
          "ELOOP", "ENOTDIR", "ENOMEM", "ETXTBSY"]


def timed(argv):
    t = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pwnbox", default="build/cli/pwnbox")
    ap.add_argument("--outcomes", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jobs", default="1,2")
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="pwnbox-bench-explore-")
    target = os.path.join(d, "data.txt")
    with open(target, "w") as f:
        f.write("data\n")
    script = ("import json, decimal, asyncio, email.parser, http.client, argparse, csv\n"
              f"print(open({target!r}).read(), end='')\n")
    # The interpreter itself (python3 on PATH may be a shim script that starts it).
    exe = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    cmd = [os.path.realpath(exe), "-c", script]
    outcomes = ERRNOS[: args.outcomes]

    # strace's when=N counts every openat of the process: find the rank of ours.
    log = os.path.join(d, "trace")
    subprocess.run(["strace", "-qq", "-e", "trace=openat", "-o", log] + cmd,
                   stdout=subprocess.DEVNULL, check=True)
    rank = 0
    with open(log) as f:
        for line in f:
            if line.startswith("openat("):
                rank += 1
                if target in line:
                    break

    rows = []
    native = [timed(cmd) for _ in range(args.reps)]
    rows.append(("one native run (no exploration)", statistics.median(native)))
    rows.append((f"{len(outcomes)} native runs (any re-run's floor)",
                 len(outcomes) * statistics.median(native)))
    strace = []
    for _ in range(args.reps):
        t = time.monotonic()
        for e in outcomes:
            subprocess.run(["strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e",
                            "trace=openat", "-e",
                            f"inject=openat:error={e}:when={rank}"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        strace.append(time.monotonic() - t)
    s_med = statistics.median(strace)
    rows.append((f"strace -f --seccomp-bpf --inject, {len(outcomes)} re-runs", s_med))
    for jobs in [int(j) for j in args.jobs.split(",")]:
        runs = [timed([args.pwnbox, "explore", "--at", f"openat:path={target}", "--outcomes",
                       ",".join(outcomes), "--jobs", str(jobs), "--"] + cmd)
                for _ in range(args.reps)]
        rows.append((f"pwnbox explore, {len(outcomes)} branches, --jobs {jobs}",
                     statistics.median(runs)))
    print(f"python3 start-up with imports, then one open; {len(outcomes)} outcomes at that open "
          f"(openat #{rank}); median of {args.reps}, seconds; load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| method | wall (s) | vs strace re-runs |")
    print("|---|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t:.3f} | {s_med / t:.1f}x |")


if __name__ == "__main__":
    main()
