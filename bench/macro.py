#!/usr/bin/env python3
"""Macro benchmark: wall time of real workloads, native vs pwnbox vs strace, side by side.

Runs every (workload, mode) pair interleaved (A B C A B C ...) after a warm-up round, so that
drift in the machine's speed hits every mode alike. Reports median/min/max wall time, user+sys
CPU, and ratios against native and against strace. A mode whose exit status differs from
native's (or that times out, or cannot start) is reported as a failure, never as a time.

Python 3 standard library only. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PY_WORKLOAD = r"""
import argparse, asyncio, decimal, email.parser, glob, hashlib, http.client, json, os, re
import sqlite3, unittest, xml.etree.ElementTree, zlib
n = size = packed = 0
h = hashlib.sha256()
for root in sorted(glob.glob('/usr/lib/python3*')):
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            try:
                st = os.stat(p)
            except OSError:
                continue
            n += 1
            size += st.st_size
            if f.endswith('.py'):
                with open(p, 'rb') as fh:
                    data = fh.read()
                h.update(data)
                packed += len(zlib.compress(data, 1))
print(json.dumps({'files': n, 'bytes': size, 'packed': packed, 'sha': h.hexdigest()[:16]}))
"""

SQL_WORKLOAD = """\
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000)
INSERT INTO t(k, v) SELECT (x * 7919) % 1000, hex(randomblob(16)) FROM c;
CREATE INDEX t_k ON t(k);
SELECT k, count(*), max(v) FROM t GROUP BY k ORDER BY k LIMIT 3;
SELECT count(*) FROM t a JOIN t b ON a.k = b.k WHERE a.id < 300;
"""

# name -> (argv, stdin text or None, description)
WORKLOADS = {
    "tar": (["tar", "cf", "/dev/null", "/usr/include"], None, "tar cf /dev/null /usr/include"),
    "find": (["find", "/usr", "-name", "*.h"], None, "find /usr -name '*.h' >/dev/null"),
    "python": (["/usr/bin/python3", "-c", PY_WORKLOAD], None,
               "python3: import 15 modules, walk+stat /usr/lib/python3*, read and zlib every .py"),
    "sqlite": (["sqlite3", ":memory:"], SQL_WORKLOAD,
               "sqlite3 :memory: < script (300k inserts, index, group by, join)"),
}

# Modes: name -> description. The argv prefix is built by mode_prefix().
MODES = {
    "native": "the command alone",
    "policy": "pwnbox --policy policies/default.toml --",
    "policy-paths": "pwnbox --policy bench/policies/paths.toml -- (path rules: escalated openat)",
    "trace-narrow": "pwnbox trace -e trace=openat -o /dev/null --",
    "trace-full": "pwnbox trace -o FILE -- (full trace to a file in a tmp dir)",
    "record": "pwnbox record -o FILE.pwnr --",
    "record-nodata": "pwnbox record --no-data -o FILE.pwnr -- (what show prints, no replay data)",
    "strace-full": "strace -f -o FILE (full trace to a file in a tmp dir)",
    "strace-narrow": "strace -f -e trace=openat -o /dev/null",
    "strace-seccomp": "strace -f --seccomp-bpf -e trace=openat -o /dev/null",
}
DEFAULT_MODES = ["native", "policy", "trace-narrow", "trace-full", "strace-full", "strace-narrow",
                 "strace-seccomp"]
PWNBOX_MODES = {"policy", "policy-paths", "trace-narrow", "trace-full", "record", "record-nodata"}
# The strace mode each mode is compared with in the "x strace" column.
# Median absolute deviation / median above this (in a mode or in native) marks its ratios as not
# to be trusted. Robust to one disturbed run, unlike max - min.
NOISY_MAD = 0.05
STRACE_REF = {"trace-narrow": "strace-narrow", "strace-narrow": "strace-narrow",
              "strace-seccomp": "strace-narrow"}


def mode_prefix(mode, args, tmpdir, tag):
    """Returns (argv prefix, output file to inspect or None) for one run of a mode."""
    if mode == "native":
        return [], None
    if mode == "policy":
        return [args.pwnbox, "--policy", args.policy, "--"], None
    if mode == "policy-paths":
        return [args.pwnbox, "--policy", args.paths_policy, "--"], None
    if mode == "trace-narrow":
        return [args.pwnbox, "trace", "-e", "trace=openat", "-o", "/dev/null", "--"], None
    if mode == "trace-full":
        out = os.path.join(tmpdir, f"pwnbox-{tag}.trace")
        return [args.pwnbox, "trace", "-o", out, "--"], out
    if mode == "record":
        out = os.path.join(tmpdir, f"pwnbox-{tag}.pwnr")
        return [args.pwnbox, "record", "-o", out, "--"], out
    if mode == "record-nodata":
        out = os.path.join(tmpdir, f"pwnbox-{tag}.pwnr")
        return [args.pwnbox, "record", "--no-data", "-o", out, "--"], out
    if mode == "strace-full":
        out = os.path.join(tmpdir, f"strace-{tag}.trace")
        return [args.strace, "-f", "-o", out], out
    if mode == "strace-narrow":
        return [args.strace, "-f", "-e", "trace=openat", "-o", "/dev/null"], None
    if mode == "strace-seccomp":
        return [args.strace, "-f", "--seccomp-bpf", "-e", "trace=openat", "-o", "/dev/null"], None
    raise ValueError(mode)


class Run:
    __slots__ = ("status", "wall", "cpu", "maxrss_kb", "stderr", "timed_out", "out_lines",
                 "out_bytes", "start_error")

    def __init__(self):
        self.status = None
        self.wall = 0.0
        self.cpu = 0.0
        self.maxrss_kb = 0
        self.stderr = ""
        self.timed_out = False
        self.out_lines = None
        self.out_bytes = None
        self.start_error = None


def describe_status(status):
    if status is None:
        return "no status"
    if status < 0:
        return f"killed by signal {-status}"
    return f"exit status {status}"


def run_once(argv, stdin_path, timeout, out_file):
    """Runs argv once, stdout to /dev/null; returns a Run with wall and CPU times."""
    r = Run()
    if out_file and os.path.exists(out_file):
        os.unlink(out_file)
    with open(stdin_path or os.devnull, "rb") as stdin, \
            open(os.devnull, "wb") as devnull, \
            tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, stdin=stdin, stdout=devnull, stderr=err,
                                    start_new_session=True)
        except OSError as e:
            r.start_error = f"cannot start {argv[0]}: {e.strerror}"
            return r
        def expire():
            r.timed_out = True
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            while True:
                try:
                    _, wstatus, rusage = os.wait4(proc.pid, 0)
                    break
                except InterruptedError:
                    continue
        finally:
            timer.cancel()
        r.wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(wstatus)  # Keeps Popen from waiting again.
        r.status = proc.returncode
        r.cpu = rusage.ru_utime + rusage.ru_stime
        r.maxrss_kb = rusage.ru_maxrss
        err.seek(0)
        r.stderr = err.read()[-2000:].decode("utf-8", "replace")
    if out_file and os.path.exists(out_file):
        r.out_bytes = os.path.getsize(out_file)
        if not out_file.endswith(".pwnr"):  # a recording is binary: lines mean nothing
            with open(out_file, "rb") as f:
                r.out_lines = sum(1 for _ in f)
        os.unlink(out_file)
    return r


def machine_info(args):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "kernel": platform.release(),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"),
        "pwnbox": args.pwnbox,
        "strace": None,
    }
    try:
        out = subprocess.run([args.strace, "-V"], capture_output=True, text=True, timeout=10)
        info["strace"] = out.stdout.splitlines()[0] if out.stdout else None
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        if out.returncode == 0:
            info["commit"] = out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return info


def fmt_s(x):
    return f"{x:.3f}"


def fmt_ratio(x):
    return "" if x is None else f"{x:.2f}"


def summarize(results, workloads, modes):
    """results[(w, m)] -> dict with runs and failure; returns per-(w, m) summary dicts."""
    summary = {}
    for w in workloads:
        for m in modes:
            res = results[(w, m)]
            entry = {"failure": res["failure"], "skipped": res["skipped"]}
            walls = [r.wall for r in res["runs"]]
            if walls and not res["failure"] and not res["skipped"]:
                entry.update(median=statistics.median(walls), min=min(walls), max=max(walls),
                             cpu=statistics.median([r.cpu for r in res["runs"]]),
                             maxrss_kb=max(r.maxrss_kb for r in res["runs"]),
                             out_lines=res["runs"][0].out_lines,
                             out_bytes=res["runs"][0].out_bytes, n=len(walls))
                entry["spread"] = (entry["max"] - entry["min"]) / entry["median"]
                entry["mad"] = statistics.median(abs(x - entry["median"]) for x in walls) / \
                    entry["median"]
            summary[(w, m)] = entry
    for w in workloads:
        native = summary.get((w, "native"), {}).get("median")
        native_min = summary.get((w, "native"), {}).get("min")
        native_mad = summary.get((w, "native"), {}).get("mad", 0)
        for m in modes:
            e = summary[(w, m)]
            if "median" not in e:
                continue
            e["x_native"] = e["median"] / native if native else None
            e["x_native_min"] = e["min"] / native_min if native_min else None
            e["noisy"] = max(e["mad"], native_mad) > NOISY_MAD
            ref = STRACE_REF.get(m, "strace-full")
            ref_med = summary.get((w, ref), {}).get("median")
            e["x_strace"] = e["median"] / ref_med if ref_med else None
            e["x_strace_ref"] = ref
    return summary


def render(info, args, workloads, modes, summary, notes, markdown):
    lines = []
    if markdown:
        lines += ["# pwnbox macro benchmark", ""]
    lines.append(f"Machine: {info['cpu']}, {info['nproc']} CPUs, kernel {info['kernel']}, "
                 f"{info['date']}" + (f", commit {info['commit']}" if info.get("commit") else ""))
    lines.append(f"pwnbox: {info['pwnbox']}; strace: {info['strace'] or 'not found'}; "
                 f"{args.runs} interleaved runs after {args.warmup} warm-up round(s); wall "
                 "seconds. `x strace` compares with strace-full (narrow modes: strace-narrow).")
    lines.append("")
    for w in workloads:
        lines.append(f"{'### ' if markdown else '== '}{w}: {WORKLOADS[w][2]}")
        lines.append("")
        header = ["mode", "median s", "min s", "max s", "spread", "cpu s", "x native",
                  "x native (min)", "x strace", "out lines", "out MB"]
        rows = []
        for m in modes:
            e = summary[(w, m)]
            if e["skipped"]:
                rows.append([m, "skipped: " + e["skipped"]] + [""] * 9)
            elif e["failure"]:
                reason = e["failure"].split("; stderr:")[0]
                rows.append([m, "FAILED: " + reason + " (see below)"] + [""] * 9)
            elif "median" in e:
                rows.append([m, fmt_s(e["median"]), fmt_s(e["min"]), fmt_s(e["max"]),
                             f"{100 * e['spread']:.0f}%" + (" !" if e["noisy"] else ""),
                             fmt_s(e["cpu"]), fmt_ratio(e.get("x_native")),
                             fmt_ratio(e.get("x_native_min")), fmt_ratio(e.get("x_strace")),
                             "" if e["out_lines"] is None else str(e["out_lines"]),
                             "" if e["out_bytes"] is None else f"{e['out_bytes'] / 1e6:.2f}"])
        if markdown:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
            for r in rows:
                lines.append("| " + " | ".join(x.replace("|", "\\|") for x in r) + " |")
        else:
            widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
            widths[1] = min(widths[1], 60)
            lines.append("  ".join(h.ljust(widths[i]) for i, h in enumerate(header)))
            for r in rows:
                lines.append("  ".join(x.ljust(widths[i]) for i, x in enumerate(r)))
        lines.append("")
    # Headline figures against the targets in issues 3, 4 and 6.
    heads = []

    def noisy(*entries):
        return " (NOISY: deviation > {:.0f}%, rerun on a quiet machine)".format(
            100 * NOISY_MAD) if any(x.get("noisy") for x in entries) else ""
    for w in workloads:
        tf = summary.get((w, "trace-full"), {})
        if tf.get("x_strace") is not None:
            heads.append(f"{w}: pwnbox trace (full, to file) / strace -f (full, to file) = "
                         f"{tf['x_strace']:.2f} (target <= 0.33)" +
                         noisy(tf, summary[(w, "strace-full")]))
        rec = summary.get((w, "record"), {})
        if rec.get("median") is not None and tf.get("median") is not None:
            heads.append(f"{w}: pwnbox record / pwnbox trace -o FILE = "
                         f"{rec['median'] / tf['median']:.2f} (target <= 1.2)" + noisy(rec, tf))
        sf = summary.get((w, "strace-full"), {})
        for mode, what in (("record", ".pwnr"), ("record-nodata", ".pwnr --no-data")):
            r = summary.get((w, mode), {})
            if r.get("out_bytes") and sf.get("out_bytes"):
                heads.append(f"{w}: {what} size / strace -f text size = "
                             f"{r['out_bytes'] / 1e6:.2f} / {sf['out_bytes'] / 1e6:.2f} MB = "
                             f"{r['out_bytes'] / sf['out_bytes']:.2f} (target <= 0.25)")
        tn = summary.get((w, "trace-narrow"), {})
        if tn.get("x_native") is not None:
            heads.append(f"{w}: pwnbox trace -e trace=openat / native = {tn['x_native']:.2f}, "
                         f"min/min {tn['x_native_min']:.2f} (target <= 1.10)" + noisy(tn))
        po = summary.get((w, "policy"), {})
        if po.get("x_native") is not None:
            heads.append(f"{w}: pwnbox --policy default / native = {po['x_native']:.2f}, "
                         f"min/min {po['x_native_min']:.2f} (target <= 1.03)" + noisy(po))
    if heads:
        lines.append(("### " if markdown else "== ") + "Headline ratios")
        lines.append("")
        lines += [("- " if markdown else "  ") + h for h in heads]
        lines.append("")
    failures = [(w, m, summary[(w, m)]["failure"]) for w in workloads for m in modes
                if summary[(w, m)]["failure"]]
    skipped = [(w, m, summary[(w, m)]["skipped"]) for w in workloads for m in modes
               if summary[(w, m)]["skipped"]]
    if failures or skipped or notes:
        lines.append(("### " if markdown else "== ") + "Failures and notes")
        lines.append("")
        for w, m, f in failures:
            text = f.replace("\n", " / ")
            lines.append(("- " if markdown else "  ") + f"{w} / {m}: FAILED: {text}")
        seen = set()
        for w, m, s in skipped:
            if (m, s) not in seen:
                seen.add((m, s))
                lines.append(("- " if markdown else "  ") + f"{m}: skipped: {s}")
        for n in notes:
            lines.append(("- " if markdown else "  ") + n)
        lines.append("")
    lines.append("Shared 2-core VMs are noisy: compare only figures measured side by side in one "
                 "run. spread = (max - min) / median; `!` marks a row whose median absolute "
                 f"deviation (or native's) is above {100 * NOISY_MAD:.0f}% of the median: its "
                 "ratios are not to be trusted. `x native (min)` compares minima, which are less "
                 "disturbed by load.")
    return "\n".join(lines) + "\n"


def parse_list(text, allowed, what):
    items = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in items if x not in allowed]
    if bad:
        sys.exit(f"macro.py: unknown {what}: {', '.join(bad)} (known: {', '.join(allowed)})")
    return items


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="workloads: " + ", ".join(WORKLOADS) + "\nmodes:\n" +
                                "\n".join(f"  {k:14} {v}" for k, v in MODES.items()))
    p.add_argument("--runs", type=int, default=5, help="timed runs per (workload, mode)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up rounds (not timed)")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma list")
    p.add_argument("--modes", default=",".join(DEFAULT_MODES), help="comma list")
    p.add_argument("--pwnbox", default=os.path.join(".", "build", "cli", "pwnbox"))
    p.add_argument("--policy", default=os.path.join(REPO, "policies", "default.toml"))
    p.add_argument("--paths-policy", default=os.path.join(REPO, "bench", "policies",
                                                          "paths.toml"))
    p.add_argument("--strace", default=shutil.which("strace") or "strace")
    p.add_argument("--timeout", type=float, default=300, help="seconds per single run")
    p.add_argument("--markdown", metavar="FILE", help="also write a RESULTS.md-style report")
    p.add_argument("--json", metavar="FILE", help="also write the raw figures as JSON")
    args = p.parse_args()
    workloads = parse_list(args.workloads, WORKLOADS, "workload")
    modes = parse_list(args.modes, MODES, "mode")
    if "native" not in modes:
        modes.insert(0, "native")  # Exit statuses and ratios are checked against native.
    if args.runs < 1:
        sys.exit("macro.py: --runs must be >= 1")

    notes = []
    skip = {}
    pwnbox_ok = os.access(args.pwnbox, os.X_OK)
    for m in modes:
        if m in PWNBOX_MODES and not pwnbox_ok:
            skip[m] = f"pwnbox not found at {args.pwnbox} (use --pwnbox PATH)"
        elif m == "policy" and not os.path.exists(args.policy):
            skip[m] = f"policy file {args.policy} does not exist yet"
        elif m == "policy-paths" and not os.path.exists(args.paths_policy):
            skip[m] = f"policy file {args.paths_policy} does not exist"
        elif m.startswith("strace") and not shutil.which(args.strace):
            skip[m] = "strace is not installed"

    results = {(w, m): {"runs": [], "failure": None, "skipped": skip.get(m), "native_status": None}
               for w in workloads for m in modes}
    info = machine_info(args)
    with tempfile.TemporaryDirectory(prefix="pwnbox-bench-") as tmpdir:
        stdin_files = {}
        for w in workloads:
            text = WORKLOADS[w][1]
            if text is not None:
                path = os.path.join(tmpdir, f"{w}.stdin")
                with open(path, "w") as f:
                    f.write(text)
                stdin_files[w] = path
        native_status = {}
        total_rounds = args.warmup + args.runs
        for rnd in range(total_rounds):
            timed = rnd >= args.warmup
            label = f"run {rnd - args.warmup + 1}/{args.runs}" if timed else \
                f"warm-up {rnd + 1}/{args.warmup}"
            for w in workloads:
                # Native runs first in the first round (the other modes are checked against its
                # exit status); after that the order is shuffled per round, so that no mode
                # always runs right after another's long run (a cold or busy machine).
                order = list(modes)
                if rnd > 0:
                    random.Random(rnd * 7919 + len(w)).shuffle(order)
                for m in order:
                    res = results[(w, m)]
                    if res["skipped"] or res["failure"]:
                        continue
                    if m != "native" and w not in native_status:
                        continue  # Native failed to start: nothing to compare with.
                    prefix, out_file = mode_prefix(m, args, tmpdir, f"{w}-{rnd}")
                    argv = prefix + WORKLOADS[w][0]
                    print(f"[{label}] {w:7} {m:14} ...", end="", file=sys.stderr, flush=True)
                    r = run_once(argv, stdin_files.get(w), args.timeout, out_file)
                    print(f" {r.wall:8.3f}s {describe_status(r.status)}", file=sys.stderr)
                    failure = None
                    if r.start_error:
                        failure = r.start_error
                    elif r.timed_out:
                        failure = f"timed out after {args.timeout:.0f}s"
                    elif m == "native":
                        native_status.setdefault(w, r.status)
                        if r.status != native_status[w]:
                            failure = (f"native exit status changed between runs: "
                                       f"{native_status[w]} then {r.status}")
                    elif r.status != native_status[w]:
                        failure = (f"{describe_status(r.status)} where native gives "
                                   f"{describe_status(native_status[w])}")
                    elif m in ("trace-full", "strace-full", "record", "record-nodata") and \
                            not r.out_bytes:
                        failure = f"exit status as native, but the output file is empty"
                    if failure:
                        tail = r.stderr.strip().splitlines()[-3:] if r.stderr else []
                        if tail:
                            failure += "; stderr: " + " | ".join(tail)
                        res["failure"] = failure
                        continue
                    if timed:
                        res["runs"].append(r)
        for w in workloads:
            if w in native_status and native_status[w] != 0:
                notes.append(f"{w}: native exit status is {native_status[w]} (modes must match "
                             "it)")

    summary = summarize(results, workloads, modes)
    text = render(info, args, workloads, modes, summary, notes, markdown=False)
    sys.stdout.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(render(info, args, workloads, modes, summary, notes, markdown=True))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "runs": args.runs,
                       "results": [{"workload": w, "mode": m, **summary[(w, m)],
                                    "walls": [r.wall for r in results[(w, m)]["runs"]]}
                                   for w in workloads for m in modes]}, f, indent=1)
    return 1 if any(summary[k]["failure"] for k in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
