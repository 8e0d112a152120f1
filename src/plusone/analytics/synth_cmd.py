"""``plusone synth``: write a synthetic caseload and its ground truth (docs/cli.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from plusone.analytics.io import UsageError, progress
from plusone.analytics.synth import TYPES, generate


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "synth",
        help="write a synthetic caseload in the analyze schema, with its ground truth",
        description=(
            "Synthetic clients, one trajectory type each ("
            + ", ".join(TYPES)
            + "). Deterministic for a seed."
        ),
    )
    p.add_argument("--clients", type=int, required=True, help="number of clients")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--sessions", type=int, default=24, help="sessions per client (default 24)")
    p.add_argument("--out", required=True, help="caseload CSV to write")
    p.add_argument("--truth", required=True, help="ground-truth CSV to write")
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    try:
        if ns.clients < 1:
            raise UsageError("--clients must be at least 1")
        if ns.sessions < 4:
            raise UsageError("--sessions must be at least 4")
        out, truth = Path(ns.out), Path(ns.truth)
        for path in (out, truth):
            if not path.parent.exists():
                raise UsageError(f"{path}: the folder does not exist")
    except UsageError as exc:
        print(f"plusone synth: error: {exc}", file=sys.stderr)
        return 2
    progress(f"writing {ns.clients} clients to {out}")
    with (
        out.open("w", encoding="utf-8", newline="") as f,
        truth.open("w", encoding="utf-8", newline="") as t,
    ):
        rows, truth_rows = generate(ns.clients, ns.seed, f, t, sessions=ns.sessions)
    json.dump(
        {
            "clients": ns.clients,
            "seed": ns.seed,
            "sessions": ns.sessions,
            "rows": rows,
            "truth_rows": truth_rows,
            "out": str(out),
            "truth": str(truth),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0
