"""How long the journey SVG takes to render (never collected by pytest).

Run: .venv/bin/python bench/charts_bench.py [--runs N]

Renders the 40-session sample journey (every lane filled in) for each audience and
width, and a caseload's worth of sparklines, and prints median and p95 wall time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

from plusone.charts import render_journey, render_sparkline
from plusone.charts.sample import sample_journey


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Median and p95 wall time, and median CPU time, in ms."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    wall.sort()
    return statistics.median(wall), wall[int(0.95 * (len(wall) - 1))], statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args(argv)

    journey = sample_journey(40)
    phq = list(journey.symptoms.values.values()) if journey.symptoms else []
    cases = {
        "journey, 40 sessions, therapist, 960 px": lambda: render_journey(journey),
        "journey, 40 sessions, client, 960 px": lambda: render_journey(journey, audience="client"),
        "journey, 40 sessions, therapist, 360 px": lambda: render_journey(journey, width=360),
        "sample journey built + rendered": lambda: render_journey(sample_journey(40)),
        "80 sparklines (a caseload), 40 scores each": lambda: [
            render_sparkline(phq, cutoff=10, label="PHQ-9", scale=(0, 27)) for _ in range(80)
        ],
    }
    size = len(render_journey(journey).svg)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.runs} runs each")
    print(f"journey SVG size (therapist, 960 px): {size} bytes")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"{'case':<46} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>8}")
    for name, fn in cases.items():
        median, p95, cpu = _time(fn, args.runs)
        print(f"{name:<46} {median:>10.2f} {p95:>8.2f} {cpu:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
