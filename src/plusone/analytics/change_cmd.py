"""``plusone change``: Jacobson-Truax over pre/post study data (docs/cli.md).

Reads a long CSV (one row per id and time), keeps the rows whose time is
``--pre`` or ``--post``, and classifies every complete case.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from typing import Any

from plusone.analytics import io
from plusone.core.change import (
    BOUNDS,
    CATEGORIES,
    ChangeResult,
    check_sd,
    jacobson_truax,
    within_bounds,
)

ROW_COLUMNS = ("id", "pre", "post", "rci", "category")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "change",
        help="reliable and clinically significant change (Jacobson & Truax 1991)",
        description=(
            "Jacobson-Truax over pre/post data in a long CSV file: reliable change "
            "index, cutoff a, b or c, and the categories recovered, improved, "
            "unchanged, deteriorated and harmed over the complete cases."
        ),
    )
    p.add_argument("file", metavar="FILE", help="CSV file with a header row ('-' for stdin)")
    p.add_argument("--id", required=True, metavar="COL", help="column holding the person id")
    p.add_argument("--time", required=True, metavar="COL", help="column holding the time point")
    p.add_argument("--score", required=True, metavar="COL", help="column holding the score")
    p.add_argument("--pre", required=True, metavar="V", help="time value of the pre scores")
    p.add_argument("--post", required=True, metavar="V", help="time value of the post scores")
    p.add_argument(
        "--reliability", required=True, type=float, metavar="R", help="reliability, 0 <= R < 1"
    )
    p.add_argument(
        "--better", required=True, choices=("lower", "higher"), help="which direction is better"
    )
    p.add_argument("--sd", type=float, metavar="SD", help="SD for the standard error")
    p.add_argument("--clinical-mean", type=float, metavar="M", help="clinical population mean")
    p.add_argument("--clinical-sd", type=float, metavar="S", help="clinical population SD")
    p.add_argument("--functional-mean", type=float, metavar="M", help="functional population mean")
    p.add_argument("--functional-sd", type=float, metavar="S", help="functional population SD")
    p.add_argument(
        "--cutoff",
        choices=("a", "b", "c"),
        help="cutoff type (default: c with functional norms, otherwise a)",
    )
    io.add_format_argument(p)
    p.set_defaults(func=run)


@dataclass
class _Pairs:
    order: list[str] = field(default_factory=list)
    pre: dict[str, float | None] = field(default_factory=dict)
    post: dict[str, float | None] = field(default_factory=dict)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _pair_option(ns: argparse.Namespace, name: str) -> tuple[float, float] | None:
    mean = getattr(ns, f"{name}_mean")
    sd = getattr(ns, f"{name}_sd")
    if mean is None and sd is None:
        return None
    if mean is None or sd is None:
        raise io.UsageError(f"--{name}-mean and --{name}-sd must be given together")
    if not within_bounds(mean):
        raise io.UsageError(f"--{name}-mean must be a number {BOUNDS}, got {mean}")
    _check_sd(sd, f"--{name}-sd")
    return (mean, sd)


def _check_sd(value: float, flag: str) -> None:
    try:
        check_sd(value, flag)
    except ValueError as exc:
        raise io.UsageError(str(exc)) from None


def _check_options(ns: argparse.Namespace) -> None:
    if not (0 <= ns.reliability < 1):
        raise io.UsageError(f"--reliability must be at least 0 and below 1, got {ns.reliability}")
    if ns.sd is not None:
        _check_sd(ns.sd, "--sd")
    if ns.pre.strip() == ns.post.strip():
        raise io.UsageError("--pre and --post must differ")


def _read(ns: argparse.Namespace) -> tuple[_Pairs, list[io.RowError]]:
    _, rows = io.open_csv(ns.file, (ns.id, ns.time, ns.score))
    pre_text, post_text = ns.pre.strip(), ns.post.strip()
    pre_num, post_num = _as_number(pre_text), _as_number(post_text)
    # Match numerically ("1" == "1.0") only when both time values are numbers.
    numeric = pre_num is not None and post_num is not None
    pairs = _Pairs()
    errors: list[io.RowError] = []
    for line, row in rows:
        if "__error__" in row:
            errors.append(io.RowError(line, row["__error__"]))
            continue
        time = row[ns.time]
        if numeric:
            t = _as_number(time)
            which = "pre" if t == pre_num else "post" if t == post_num else None
        else:
            which = "pre" if time == pre_text else "post" if time == post_text else None
        if which is None:
            continue
        person = row[ns.id]
        if not person:
            errors.append(io.RowError(line, f"empty {ns.id}"))
            continue
        try:
            score = io.parse_score(row[ns.score], column=ns.score)
        except ValueError as exc:
            errors.append(io.RowError(line, str(exc)))
            continue
        key = (person, which)
        if key in pairs.seen:
            errors.append(
                io.RowError(
                    line,
                    f"a second {which} score for {ns.id} {person} "
                    f"(first on line {pairs.seen[key]})",
                )
            )
            continue
        pairs.seen[key] = line
        if person not in pairs.pre and person not in pairs.post:
            pairs.order.append(person)
        (pairs.pre if which == "pre" else pairs.post)[person] = score
    return pairs, errors


def _payload(result: ChangeResult, errors: list[io.RowError]) -> dict[str, Any]:
    return {
        "counts": {str(c): result.counts[c] for c in CATEGORIES},
        "n": result.n,
        "excluded": list(result.excluded),
        "parameters": {
            "sd": result.sd,
            "se": result.se,
            "s_diff": result.s_diff,
            "rc_points": result.rc_points,
            "cutoff": result.cutoff,
            "cutoff_type": result.cutoff_type,
            "reliability": result.reliability,
            "better": result.better,
            "clinical_mean": result.clinical_mean,
            "clinical_sd": result.clinical_sd,
            "functional_mean": result.functional_mean,
            "functional_sd": result.functional_sd,
        },
        "rows": [
            {"id": r.id, "pre": r.pre, "post": r.post, "rci": r.rci, "category": str(r.category)}
            for r in result.rows
        ],
        "errors": [e.as_dict() for e in errors],
    }


def _write_table(payload: dict[str, Any]) -> None:
    out = sys.stdout
    params = payload["parameters"]
    counts = payload["counts"]
    out.write(
        f"{payload['n']} complete case(s); "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + "\n"
    )
    out.write(
        f"SD {params['sd']:.3f}, SE {params['se']:.3f}, S_diff {params['s_diff']:.3f}, "
        f"RC points {params['rc_points']}, cutoff {params['cutoff_type']} = "
        f"{params['cutoff']:.3f} ({params['better']} is better)\n\n"
    )
    io.write_rows(payload["rows"], ROW_COLUMNS, "table")


def run(ns: argparse.Namespace) -> int:
    """Run ``plusone change``; returns the exit code (0 ok, 1 data errors, 2 usage)."""
    try:
        _check_options(ns)
        clinical = _pair_option(ns, "clinical")
        functional = _pair_option(ns, "functional")
        if ns.cutoff in ("b", "c") and functional is None:
            raise io.UsageError(f"--cutoff {ns.cutoff} needs --functional-mean and --functional-sd")
        fmt = io.resolve_format(ns.format)
        pairs, errors = _read(ns)
    except io.UsageError as exc:
        print(f"plusone change: error: {exc}", file=sys.stderr)
        return 2
    for err in errors:
        io.report_error(err)
    ids = pairs.order
    try:
        result = jacobson_truax(
            ids,
            [pairs.pre.get(i) for i in ids],
            [pairs.post.get(i) for i in ids],
            reliability=ns.reliability,
            better=ns.better,
            sd=ns.sd,
            clinical=clinical,
            functional=functional,
            cutoff=ns.cutoff,
        )
    except ValueError as exc:
        print(f"plusone change: {exc}", file=sys.stderr)
        return 1
    payload = _payload(result, errors)
    if fmt == "json":
        io.write_json(payload)
    elif fmt == "csv":
        io.write_rows(payload["rows"], ROW_COLUMNS, "csv")
    else:
        _write_table(payload)
    return 1 if errors else 0
