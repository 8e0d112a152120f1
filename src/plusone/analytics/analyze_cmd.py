"""``plusone analyze``: proposals, alerts and risk for a whole caseload export (docs/cli.md).

The CSV is read into columns once, every row is checked (bad rows are
reported as ``line N: reason`` and left out), scores come from
``plusone.core.scoring.score_many`` and the rules run for every client at
once in ``plusone.core.batch``. The trace and question for each client come
from ``plusone.core.propose`` on the same data, and the two paths are checked
against each other as the output is written. The steps live in
``plusone.analytics.analyze``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from plusone.analytics.analyze.load import Strict, load
from plusone.analytics.analyze.payloads import analyze
from plusone.analytics.analyze.summary import TABLE_COLUMNS, summary_cells, write_json
from plusone.analytics.io import (
    UsageError,
    add_format_argument,
    progress,
    report_error,
    resolve_format,
    write_cells,
)
from plusone.core.batch import run_batch
from plusone.core.measure_info import instrument_infos
from plusone.core.policy import Policy, PolicyError, load_policy


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "analyze",
        help="proposals, alerts and risk for a caseload export",
        description="Proposals, alerts and risk per client, from a long-format caseload CSV.",
    )
    p.add_argument("file", help="caseload CSV (docs/cli.md gives the columns); - for stdin")
    p.add_argument("--today", help="judge as of this date, YYYY-MM-DD (default: latest date)")
    p.add_argument("--policy", help="TOML file overriding policy values (docs/policy.md)")
    p.add_argument("--strict", action="store_true", help="stop at the first bad row")
    p.add_argument(
        "--no-trace",
        dest="trace",
        action="store_false",
        help="json only: leave out each client's trace and question (much faster)",
    )
    add_format_argument(p)
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    fmt = resolve_format(ns.format)
    try:
        policy = load_policy(Path(ns.policy)) if ns.policy else Policy()
        today_arg = None
        if ns.today:
            try:
                today_arg = date.fromisoformat(ns.today)
            except ValueError:
                raise UsageError(f"--today: {ns.today!r} is not a date (YYYY-MM-DD)") from None
        progress(f"reading {ns.file}")
        try:
            loaded = load(ns.file, strict=ns.strict, on_error=report_error)
        except Strict:
            return 1
    except (UsageError, PolicyError) as exc:
        print(f"plusone analyze: error: {exc}", file=sys.stderr)
        return 2
    if today_arg is not None:
        today = today_arg
    elif loaded.latest_day is not None:
        today = date.fromordinal(loaded.latest_day)
    else:
        today = date(1970, 1, 1)
    progress(f"analysing {loaded.caseload.n_clients} clients as of {today.isoformat()}")
    errors = [e.as_dict() for e in loaded.errors]
    if fmt == "json":
        lines, timings = analyze(loaded, today=today, policy=policy, as_json=True, trace=ns.trace)
        write_json(today, lines, errors)
    else:
        # table and csv carry no trace: the rules run once for everyone and nothing more.
        started = time.perf_counter()
        result = run_batch(loaded.caseload, today=today, policy=policy, measures=instrument_infos())
        timings = {"compute": time.perf_counter() - started, "explain": 0.0}
        write_cells(summary_cells(loaded, result), TABLE_COLUMNS, fmt)
    if os.environ.get("PLUSONE_TIMINGS"):
        print(
            f"timings: parse {loaded.seconds:.3f} s, compute {timings['compute']:.3f} s, "
            f"explain {timings['explain']:.3f} s",
            file=sys.stderr,
        )
    return 1 if loaded.errors else 0
