#!/usr/bin/env python3
"""Issue 15's speed comparison: exploring N outcomes of one call deep in a program with a slow
start-up (python3 importing modules, then opening a file), with `pwnbox explore` (one run,
forked at the call) against re-running the program once per outcome with `strace --inject`
(the anchor's only way: count-triggered, from scratch each time). Side by side, in one run.

  bench/explore_vs_strace.py --pwnbox build/cli/pwnbox [--outcomes 8] [--reps 3] [--jobs 1,2]
                             [--pwnbox-before OLD_BUILD/cli/pwnbox]

Prints a Markdown table: median wall seconds per method, the speed-up against the strace
re-runs, and the median CPU seconds (user + system of the method's whole process tree: less
sensitive than wall time to the load of a shared machine). With --pwnbox-before, an older build
is measured in the same run (before/after). Repetitions are interleaved across the methods, so
that a change of the machine's load hits every method alike."""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ERRNOS = ["ENOENT", "EACCES", "EMFILE", "ENFILE", "ENOSPC", "EDQUOT", "EROFS", "EISDIR",
          "ELOOP", "ENOTDIR", "ENOMEM", "ETXTBSY"]


def timed(argvs):
    """Runs each of `argvs` in turn; returns (wall seconds, CPU seconds of their trees)."""
    t = time.monotonic()
    cpu = 0.0
    for argv in argvs:
        pid = os.fork()
        if pid == 0:
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 1)
            os.dup2(null, 2)
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        _, _, ru = os.wait4(pid, 0)
        cpu += ru.ru_utime + ru.ru_stime
    return time.monotonic() - t, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pwnbox", default="build/cli/pwnbox")
    ap.add_argument("--outcomes", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--pwnbox-before", default="", help="an older build, measured alongside")
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

    # The injection hits our open (not another one: the count would be off).
    check = subprocess.run(["strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e",
                            "trace=openat", "-e", f"inject=openat:error=ENOENT:when={rank}"] + cmd,
                           capture_output=True, text=True, check=False)
    assert "FileNotFoundError" in check.stderr and target in check.stderr, check.stderr

    methods = [("one native run (no exploration)", [cmd])]
    methods.append((f"strace -f --seccomp-bpf --inject, {len(outcomes)} re-runs",
                    [["strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e",
                      "trace=openat", "-e", f"inject=openat:error={e}:when={rank}"] + cmd
                     for e in outcomes]))
    builds = [("", args.pwnbox)]
    if args.pwnbox_before:
        builds = [(" (before)", args.pwnbox_before), (" (after)", args.pwnbox)]
    for jobs in [int(j) for j in args.jobs.split(",")]:
        for tag, exe in builds:
            methods.append((f"pwnbox explore, {len(outcomes)} branches, --jobs {jobs}{tag}",
                            [[exe, "explore", "--at", f"openat:path={target}", "--outcomes",
                              ",".join(outcomes), "--jobs", str(jobs), "--"] + cmd]))
    walls = {name: [] for name, _ in methods}
    cpus = {name: [] for name, _ in methods}
    for _ in range(args.reps):
        for name, argvs in methods:
            w, c = timed(argvs)
            walls[name].append(w)
            cpus[name].append(c)
    med = {name: statistics.median(v) for name, v in walls.items()}
    cmed = {name: statistics.median(v) for name, v in cpus.items()}
    rows = [(name, med[name], cmed[name]) for name, _ in methods]
    native = methods[0][0]
    rows.insert(1, (f"{len(outcomes)} native runs (any re-run's floor)",
                    len(outcomes) * med[native], len(outcomes) * cmed[native]))
    s_med = med[methods[1][0]]
    s_cpu = cmed[methods[1][0]]
    print(f"python3 start-up with imports, then one open; {len(outcomes)} outcomes at that open "
          f"(openat #{rank}); median of {args.reps}, seconds; load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| method | wall (s) | vs strace re-runs | CPU (s) | CPU vs strace |")
    print("|---|---:|---:|---:|---:|")
    for name, t, c in rows:
        print(f"| {name} | {t:.3f} | {s_med / t:.1f}x | {c:.3f} | {s_cpu / c:.1f}x |")


if __name__ == "__main__":
    main()
