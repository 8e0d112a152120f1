"""Benchmark ``plusone analyze`` on a large synthetic caseload.

1. Generates the input with ``plusone synth`` into bench/out/ (once; reused).
2. Runs ``plusone analyze FILE`` end to end in a child process, ``--runs``
   times each, with PLUSONE_TIMINGS=1 so that it reports parse, compute and
   trace separately: ``--format csv`` (summary rows), ``--format json
   --no-trace`` (everything but trace and question) and ``--format json``
   (every client's trace). It records the wall time, the CPU time (user +
   sys of the command and its worker processes, which depends less on what
   else the machine is doing) and the peak memory (ru_maxrss of the command
   and its workers), and prints every run and the best.
3. In this process, times the vectorised compute (``run_batch``, best of
   ``--runs``) against the plain per-client reference (bench/reference.py,
   ``propose`` per client) on the same parsed caseload, in wall and CPU
   time, and checks they agree.

Usage: .venv/bin/python bench/analyze_bench.py [--clients 50000] [--sessions 6] [--seed 7]
       [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from plusone.analytics.analyze.load import load  # noqa: E402
from plusone.core.batch import histories_of, run_batch  # noqa: E402
from plusone.core.measure_info import instrument_infos  # noqa: E402
from plusone.core.policy import Policy  # noqa: E402
from reference import reference  # noqa: E402

PLUSONE = [sys.executable, "-c", "import sys; from plusone.cli import main; sys.exit(main())"]


def ensure_input(clients: int, sessions: int, seed: int) -> Path:
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    path = out / f"caseload_{clients}x{sessions}_s{seed}.csv"
    truth = out / f"caseload_{clients}x{sessions}_s{seed}_truth.csv"
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        subprocess.run(
            [
                *PLUSONE,
                "synth",
                "--clients",
                str(clients),
                "--sessions",
                str(sessions),
                "--seed",
                str(seed),
                "--out",
                str(path),
                "--truth",
                str(truth),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


# Runs the console entry point and reports its own peak memory (and its workers') on stderr.
MEASURED = [
    sys.executable,
    "-c",
    "import resource, sys; from plusone.cli import main; code = main(); "
    "peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
    "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
    "print(f'peak {peak}', file=sys.stderr); sys.exit(code)",
]


def end_to_end(path: Path, args: list[str]) -> dict[str, float]:
    env = {**os.environ, "PLUSONE_TIMINGS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        [*MEASURED, "analyze", str(path), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"analyze exited {proc.returncode}: {proc.stderr[-2000:]}")
    m = re.search(r"parse ([\d.]+) s, compute ([\d.]+) s, explain ([\d.]+) s", proc.stderr)
    peak = re.search(r"peak (\d+)", proc.stderr)
    assert m and peak, proc.stderr
    return {
        "wall": wall,
        # The child's and its reaped workers' CPU seconds.
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "parse": float(m.group(1)),
        "compute": float(m.group(2)),
        "explain": float(m.group(3)),
        "peak_mb": int(peak.group(1)) / 1024,
    }


def compute_vs_reference(path: Path, runs: int) -> dict[str, float]:
    loaded = load(str(path))
    cl = loaded.caseload
    assert loaded.latest_day is not None
    today = date.fromordinal(loaded.latest_day)
    policy, infos = Policy(), instrument_infos()
    batch_wall, batch_cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = run_batch(cl, today=today, policy=policy, measures=infos)
        batch_wall.append(time.perf_counter() - t)
        batch_cpu.append(time.process_time() - c)
    histories = histories_of(cl)
    t, c = time.perf_counter(), time.process_time()
    ref = reference(histories, today=today, policy=policy, measures=infos)
    ref_wall, ref_cpu = time.perf_counter() - t, time.process_time() - c
    disagree = sum(
        1
        for i, (kind, alerts) in enumerate(ref)
        if (kind, alerts) != (result.kind_name(i), result.alert_names(i))
    )
    return {
        "clients": float(cl.n_clients),
        "batch": min(batch_wall),
        "batch_cpu": min(batch_cpu),
        "reference": ref_wall,
        "reference_cpu": ref_cpu,
        "disagree": float(disagree),
    }


RUNS = {
    "--format csv": (["--format", "csv"], "summary rows, no trace"),
    "--format json --no-trace": (["--format", "json", "--no-trace"], "no trace or question"),
    "--format json": (["--format", "json"], "every client with its trace"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50_000)
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3)
    ns = ap.parse_args(argv)
    path = ensure_input(ns.clients, ns.sessions, ns.seed)
    lines = sum(1 for _ in path.open("rb")) - 1
    load0 = os.getloadavg()[0]
    results: dict[str, list[dict[str, float]]] = {name: [] for name in RUNS}
    for _ in range(ns.runs):
        for name, (args, _what) in RUNS.items():
            results[name].append(end_to_end(path, args))
    cmp_ = compute_vs_reference(path, ns.runs)
    load1 = os.getloadavg()[0]
    print(f"analyze benchmark: {path.name}: {lines} rows, {int(cmp_['clients'])} clients")
    print(
        f"  load average (1 min) at the start: {load0:.2f}, at the end: {load1:.2f} "
        f"on {os.cpu_count()} cores"
    )
    for name, (_args, what) in RUNS.items():
        print(f"  {name} ({what}):")
        for e2e in results[name]:
            print(
                f"    {e2e['wall']:.2f} s end to end, {e2e['cpu']:.2f} s CPU "
                f"(parse {e2e['parse']:.2f} s, compute {e2e['compute']:.2f} s, "
                f"trace {e2e['explain']:.2f} s); peak memory {e2e['peak_mb']:.0f} MB"
            )
        best = min(results[name], key=lambda e: e["wall"])
        print(
            f"    best of {ns.runs}: {best['wall']:.2f} s end to end; "
            f"median {statistics.median(e['wall'] for e in results[name]):.2f} s; "
            f"least CPU {min(e['cpu'] for e in results[name]):.2f} s"
        )
    ratio = cmp_["reference"] / cmp_["batch"]
    ratio_cpu = cmp_["reference_cpu"] / cmp_["batch_cpu"]
    print(
        f"  compute: batch {cmp_['batch']:.3f} s wall, {cmp_['batch_cpu']:.3f} s CPU "
        f"(best of {ns.runs}) vs per-client reference {cmp_['reference']:.2f} s wall, "
        f"{cmp_['reference_cpu']:.2f} s CPU: {ratio:.0f}x wall, {ratio_cpu:.0f}x CPU; "
        f"disagreements: {int(cmp_['disagree'])}"
    )
    return 0 if cmp_["disagree"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
