"""``plusone gains``: sudden gains or losses per person (docs/cli.md).

Reads a long CSV (one row per id and session). The session column holds whole
session numbers; a session with no row, or with a missing score, is a gap.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from typing import Any

from plusone.analytics import io
from plusone.core.gains import select_gains, sudden_gains

GAIN_COLUMNS = ("id", "pre_time", "post_time", "pre_score", "post_score", "magnitude", "reversal")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "gains",
        help="sudden gains and losses (Tang & DeRubeis 1999)",
        description=(
            "Sudden gains (or losses) between consecutive sessions, with criterion 3 "
            "adjusted for missing scores (Lutz et al. 2013), and reversals."
        ),
    )
    p.add_argument("file", metavar="FILE", help="CSV file with a header row ('-' for stdin)")
    p.add_argument("--id", required=True, metavar="COL", help="column holding the person id")
    p.add_argument(
        "--time", required=True, metavar="COL", help="column holding whole session numbers"
    )
    p.add_argument("--score", required=True, metavar="COL", help="column holding the score")
    p.add_argument(
        "--crit1", required=True, type=float, metavar="X", help="criterion 1: the minimum change"
    )
    p.add_argument("--losses", action="store_true", help="find sudden losses (rises) instead")
    p.add_argument(
        "--select",
        choices=("first", "largest", "all"),
        default="all",
        help="which gains to keep per person (default: all)",
    )
    io.add_format_argument(p)
    p.set_defaults(func=run)


# A bound on session numbers keeps one stray value from building a huge series.
MAX_SESSION = 10_000


def _session(text: str) -> int:
    value = float(text)
    if not math.isfinite(value) or value != int(value) or not 0 <= value <= MAX_SESSION:
        raise ValueError(text)
    return int(value)


def _read(
    ns: argparse.Namespace,
) -> tuple[dict[str, dict[int, float | None]], list[io.RowError]]:
    _, rows = io.open_csv(ns.file, (ns.id, ns.time, ns.score))
    people: dict[str, dict[int, float | None]] = {}
    first_line: dict[tuple[str, int], int] = {}
    errors: list[io.RowError] = []
    for line, row in rows:
        if "__error__" in row:
            errors.append(io.RowError(line, row["__error__"]))
            continue
        person = row[ns.id]
        if not person:
            errors.append(io.RowError(line, f"empty {ns.id}"))
            continue
        try:
            session = _session(row[ns.time])
        except ValueError:
            errors.append(
                io.RowError(
                    line,
                    f"{ns.time} {row[ns.time]!r} is not a whole session number "
                    f"from 0 to {MAX_SESSION}",
                )
            )
            continue
        try:
            score = io.parse_score(row[ns.score], column=ns.score)
        except ValueError as exc:
            errors.append(io.RowError(line, str(exc)))
            continue
        key = (person, session)
        if key in first_line:
            errors.append(
                io.RowError(
                    line,
                    f"a second score for {ns.id} {person} session {session} "
                    f"(first on line {first_line[key]})",
                )
            )
            continue
        first_line[key] = line
        people.setdefault(person, {})[session] = score
    return people, errors


def _analyse(ns: argparse.Namespace, people: dict[str, dict[int, float | None]]) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    for person, by_session in people.items():
        first, last = min(by_session), max(by_session)
        # The series is indexed by session number: absent sessions are gaps.
        series = [by_session.get(s) for s in range(first, last + 1)]
        gains = select_gains(sudden_gains(series, crit1=ns.crit1, losses=ns.losses), ns.select)
        found.extend(
            {
                "id": person,
                "pre_time": first + g.pre_index,
                "post_time": first + g.post_index,
                "pre_score": g.pre_score,
                "post_score": g.post_score,
                "magnitude": g.magnitude,
                "reversal": g.reversal,
            }
            for g in gains
        )
    magnitudes = [g["magnitude"] for g in found]
    summary = {
        "n_gains": len(found),
        "n_people": len({g["id"] for g in found}),
        "n_series": len(people),
        "n_reversals": sum(1 for g in found if g["reversal"]),
        "magnitude_mean": statistics.fmean(magnitudes) if magnitudes else None,
        "magnitude_sd": statistics.stdev(magnitudes) if len(magnitudes) > 1 else None,
    }
    return {
        "kind": "losses" if ns.losses else "gains",
        "crit1": ns.crit1,
        "select": ns.select,
        "gains": found,
        "summary": summary,
    }


def _write_table(payload: dict[str, Any]) -> None:
    s = payload["summary"]
    mean = "-" if s["magnitude_mean"] is None else f"{s['magnitude_mean']:.2f}"
    sd = "-" if s["magnitude_sd"] is None else f"{s['magnitude_sd']:.2f}"
    sys.stdout.write(
        f"{s['n_gains']} sudden {payload['kind']} in {s['n_people']} of {s['n_series']} "
        f"people; {s['n_reversals']} reversed; magnitude mean {mean}, SD {sd}\n\n"
    )
    io.write_rows(payload["gains"], GAIN_COLUMNS, "table")


def run(ns: argparse.Namespace) -> int:
    """Run ``plusone gains``; returns the exit code (0 ok, 1 data errors, 2 usage)."""
    try:
        if not (math.isfinite(ns.crit1) and ns.crit1 > 0):
            raise io.UsageError(f"--crit1 must be a positive number, got {ns.crit1}")
        fmt = io.resolve_format(ns.format)
        people, errors = _read(ns)
    except io.UsageError as exc:
        print(f"plusone gains: error: {exc}", file=sys.stderr)
        return 2
    for err in errors:
        io.report_error(err)
    payload = _analyse(ns, people)
    payload["errors"] = [e.as_dict() for e in errors]
    if fmt == "json":
        io.write_json(payload)
    elif fmt == "csv":
        io.write_rows(payload["gains"], GAIN_COLUMNS, "csv")
    else:
        _write_table(payload)
    return 1 if errors else 0
