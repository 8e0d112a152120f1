"""Benchmark ``plusone analyze`` on a large synthetic caseload.

1. Generates the input with ``plusone synth`` into bench/out/ (once; reused).
2. Runs ``plusone analyze FILE`` end to end in a child process,
   with PLUSONE_TIMINGS=1 so that it reports parse, compute and trace
   separately, once with --format csv (no traces) and once with --format json
   (every client's trace); records the wall time and the peak memory
   (resource.getrusage ru_maxrss of the command and its workers).
3. In this process, times the vectorised compute (``run_batch``) against the
   plain per-client reference (bench/reference.py, ``propose`` per client) on
   the same parsed caseload, and checks they agree.

Usage: .venv/bin/python bench/analyze_bench.py [--clients 50000] [--sessions 6] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from plusone.analytics.analyze_cmd import load  # noqa: E402
from plusone.core.batch import histories_of, run_batch  # noqa: E402
from plusone.core.policy import Policy  # noqa: E402
from plusone.core.propose import _instrument_infos  # noqa: E402
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


def end_to_end(path: Path, fmt: str) -> dict[str, float]:
    env = {**os.environ, "PLUSONE_TIMINGS": "1"}
    started = time.perf_counter()
    proc = subprocess.run(
        [*MEASURED, "analyze", str(path), "--format", fmt],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"analyze exited {proc.returncode}: {proc.stderr[-2000:]}")
    m = re.search(r"parse ([\d.]+) s, compute ([\d.]+) s, explain ([\d.]+) s", proc.stderr)
    peak = re.search(r"peak (\d+)", proc.stderr)
    assert m and peak, proc.stderr
    return {
        "wall": wall,
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
    policy, infos = Policy(), _instrument_infos()
    batch_times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = run_batch(cl, today=today, policy=policy, measures=infos)
        batch_times.append(time.perf_counter() - t)
    histories = histories_of(cl)
    t = time.perf_counter()
    ref = reference(histories, today=today, policy=policy, measures=infos)
    ref_time = time.perf_counter() - t
    disagree = sum(
        1
        for i, (kind, alerts) in enumerate(ref)
        if (kind, alerts) != (result.kind_name(i), result.alert_names(i))
    )
    return {
        "rows": float(len(cl.adm_client) + len(cl.goal_client) + len(cl.felt_client))
        + len(cl.refl_client),
        "clients": float(cl.n_clients),
        "batch": statistics.median(batch_times),
        "reference": ref_time,
        "disagree": float(disagree),
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
    runs = {fmt: end_to_end(path, fmt) for fmt in ("csv", "json")}
    cmp_ = compute_vs_reference(path, ns.runs)
    load1 = os.getloadavg()[0]
    print(f"analyze benchmark: {path.name}: {lines} rows, {int(cmp_['clients'])} clients")
    print(f"  load average (1 min) at the end: {load1:.2f} on {os.cpu_count()} cores")
    for fmt, e2e in runs.items():
        what = "summary rows, no trace" if fmt == "csv" else "every client with its trace"
        print(
            f"  --format {fmt} ({what}): {e2e['wall']:.2f} s end to end "
            f"(parse {e2e['parse']:.2f} s, "
            f"compute {e2e['compute']:.2f} s, trace {e2e['explain']:.2f} s); "
            f"peak memory {e2e['peak_mb']:.0f} MB"
        )
    ratio = cmp_["reference"] / cmp_["batch"]
    print(
        f"  compute: batch {cmp_['batch']:.3f} s (median of {ns.runs}) vs per-client reference "
        f"{cmp_['reference']:.2f} s: {ratio:.0f}x; disagreements: {int(cmp_['disagree'])}"
    )
    return 0 if cmp_["disagree"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
