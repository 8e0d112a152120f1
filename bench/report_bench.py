"""Report benchmark: the clinical progress report PDF of a 40-session episode.

Usage (from the repository root)::

    .venv/bin/python bench/report_bench.py [--runs 5] [--json]

Runs in-process on a fresh SQLite database in a temporary directory (set up by
``bench/checkin_bench.py``, as the other benches are). It builds a therapist with one
client and a 40-session history (``tests/journey_fixtures.give_history``, through
``bench/dashboard_bench._caseload``), then times ``plusone.reports.views.clinical_pdf``:
the journey's rows read, the chart drawn, the template rendered and the PDF written by
WeasyPrint with ``pdf_tags=True``. One untimed run first loads WeasyPrint and its fonts
(its time is printed as "first"). The client version is timed the same way. Target
(issue 14): the clinical report under 2 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))

# Sets up Django (test profile, temporary data dir); dashboard_bench holds the fill.
import checkin_bench  # noqa: E402
import dashboard_bench  # noqa: E402


def _times(call: Any, runs: int) -> tuple[float, list[float], list[float], int]:
    """The first (cold) run's seconds, then ``runs`` timed runs (wall and CPU seconds:
    the CPU time says what the wall time means on a busy machine), and the PDF's size."""
    start = time.perf_counter()
    size = len(call().pdf)
    first = time.perf_counter() - start
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return first, wall, cpu, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    checkin_bench._setup_database()
    from plusone.reports.views import client_pdf, clinical_pdf

    therapist, episode = dashboard_bench._caseload(size=1)
    results = {}
    for name, call in (
        ("clinical, 40 sessions", lambda: clinical_pdf(episode, user=therapist)),
        ("client, 40 sessions", lambda: client_pdf(episode)),
    ):
        first, times, cpu, size = _times(call, args.runs)
        results[name] = {
            "first_s": round(first, 3),
            "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "cpu_median_s": round(statistics.median(cpu), 3),
            "runs": len(times),
            "pdf_bytes": size,
        }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"{'report':<24} {'first s':>8} {'median s':>9} {'max s':>7} {'CPU s':>7} {'bytes':>9}"
        )
        for name, r in results.items():
            print(
                f"{name:<24} {r['first_s']:>8.3f} {r['median_s']:>9.3f} "
                f"{r['max_s']:>7.3f} {r['cpu_median_s']:>7.3f} {r['pdf_bytes']:>9}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
