"""Proposal accuracy on synthetic clients whose truth comes from the generator.

Generates 10,000 clients with ``plusone synth`` (24 sessions each, seed 11;
the generator is not tuned to the detector; eleven trajectory types, among
them ``near_cutoff``: a true PHQ-9 level 1 point above the cutoff, flat),
then judges every client as of
each of its sessions with the vectorised rules (``run_batch``), and compares
what the rules propose or raise with the truth file.

The rules depend only on differences between dates, so "as of session s" is
computed for all clients at once by shifting each client's dates so that its
session s falls on one common day.

For each expectation E in the truth:
- recall: the share of clients expected to show E whose rules show E at some
  session;
- early: the share whose first detection came before the truth session;
- median delay: the first detection minus the truth session, in sessions,
  over the detected (negative = earlier than the generator's session);
- false-alarm rate: the share of clients not expected to show E (anywhere in
  their truth) whose rules show E at some session, with the trajectory types
  they come from;
- then, for +1 and the good-enough ending, the false-alarm rate of each
  trajectory type on its own (near-cutoff clients among them).

It uses only what every version of the rule engine has, so the same script
measures an older checkout (PYTHONPATH=that/src) on the same input.

Usage: .venv/bin/python bench/accuracy.py [--clients 10000] [--sessions 24] [--seed 11]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np

from plusone.analytics.analyze.load import load
from plusone.core.batch import Caseload, run_batch
from plusone.core.measure_info import instrument_infos
from plusone.core.policy import Policy
from plusone.core.propose import ALERTS, KINDS

HERE = Path(__file__).resolve().parent
PLUSONE = [sys.executable, "-c", "import sys; from plusone.cli import main; sys.exit(main())"]
DAY_COLUMNS = (
    "adm_day",
    "goal_day",
    "felt_day",
    "refl_day",
    "sess_day",
    "dec_day",
    "flag_opened",
    "tr_day",
    "rl_day",
)
PROPOSALS = ("plus_one", "good_enough_ending", "stalled_review", "consolidating", "spike_exit")
REPORTED = (*PROPOSALS, "not_progressing", "deterioration", "possible_rupture", "risk")
# The rules that say relief has held.
RELIEF = ("plus_one", "good_enough_ending")


def shifted(cl: Caseload, offset: np.ndarray) -> Caseload:
    """The caseload with every client's dates moved by ``offset[client]`` days."""
    changes = {}
    for name in DAY_COLUMNS:
        if not hasattr(cl, name):
            continue
        client = getattr(cl, name.split("_")[0] + "_client")
        changes[name] = getattr(cl, name) + offset[client]
    # Optional day columns with -1 for "none" (review dates, confirmations).
    for name in ("dec_review", "dec_confirmed"):
        if not hasattr(cl, name):
            continue
        values = getattr(cl, name).copy()
        has = values >= 0
        values[has] += offset[cl.dec_client[has]]
        changes[name] = values
    return dataclasses.replace(cl, **changes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--sessions", type=int, default=24)
    ap.add_argument("--seed", type=int, default=11)
    ns = ap.parse_args(argv)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    path = out / f"accuracy_{ns.clients}x{ns.sessions}_s{ns.seed}.csv"
    truth_path = out / f"accuracy_{ns.clients}x{ns.sessions}_s{ns.seed}_truth.csv"
    if not path.exists() or not truth_path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        subprocess.run(
            [
                *PLUSONE,
                "synth",
                *("--clients", str(ns.clients), "--sessions", str(ns.sessions)),
                *("--seed", str(ns.seed), "--out", str(path), "--truth", str(truth_path)),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    started = time.perf_counter()
    loaded = load(str(path))
    cl = loaded.caseload
    C = cl.n_clients
    index = {name: i for i, name in enumerate(cl.clients)}
    # Session s of client c is its s-th attended session (synth numbers them 1..N).
    order = np.lexsort((cl.sess_day, cl.sess_client))
    sess_c, sess_d = cl.sess_client[order], cl.sess_day[order]
    starts = np.searchsorted(sess_c, np.arange(C))
    counts = np.bincount(sess_c, minlength=C)
    common = date(2030, 1, 7).toordinal()
    policy, infos = Policy(), instrument_infos()
    n_sessions = int(counts.max())
    # first[e][c] = first session at which E shows for client c (0 = never).
    first = {e: np.zeros(C, dtype=np.int64) for e in REPORTED}
    truth_from = {e: np.zeros(C, dtype=np.int64) for e in REPORTED}
    with truth_path.open(encoding="utf-8") as f:
        truth_rows = list(csv.DictReader(f))
    kinds = ["" for _ in range(C)]
    for r in truth_rows:
        kinds[index[r["client"]]] = r["trajectory"]
        if r["expect"] in truth_from:
            truth_from[r["expect"]][index[r["client"]]] = int(r["from_session"])
    for s in range(1, n_sessions + 1):
        has = counts >= s
        day_s = np.where(has, sess_d[np.minimum(starts + s - 1, len(sess_d) - 1)], common)
        result = run_batch(
            shifted(cl, common - day_s),
            today=date.fromordinal(common),
            policy=policy,
            measures=infos,
        )
        shown = {k: result.kind == i for i, k in enumerate(KINDS)}
        for j, a in enumerate(ALERTS):
            shown[a] = result.alerts[:, j]
        shown["risk"] = np.bincount(cl.flag_client[result.open_flag], minlength=C) > 0
        for e in REPORTED:
            hit = shown[e] & has
            first[e][(first[e] == 0) & hit] = s
    elapsed = time.perf_counter() - started
    print(
        f"accuracy benchmark: {path.name}: {C} clients, {n_sessions} sessions each, "
        f"judged at every session in {elapsed:.1f} s"
    )
    print("  expectation          expected  recall  early  median delay  false alarms")
    for e in REPORTED:
        expected = truth_from[e] > 0
        n_exp = int(expected.sum())
        others = ~expected
        false_alarm = (first[e] > 0) & others
        if n_exp:
            found = first[e][expected] > 0
            recall = found.mean()
            early = ((first[e] > 0) & (first[e] < truth_from[e]) & expected).sum() / n_exp
            delays = first[e][expected][found] - truth_from[e][expected][found]
            delay = f"{statistics.median(delays.tolist()):+.1f}" if len(delays) else "-"
        else:
            recall, early, delay = float("nan"), float("nan"), "-"
        fa = false_alarm.sum() / max(int(others.sum()), 1)
        sources = Counter(kinds[c] for c in np.flatnonzero(false_alarm).tolist())
        where = ", ".join(f"{k} {v}" for k, v in sources.most_common(3))
        print(
            f"  {e:<20} {n_exp:>8}  {recall:>6.1%}  {early:>5.1%}  {delay:>12}  "
            f"{fa:>7.1%} of {int(others.sum())}" + (f" ({where})" if where else "")
        )
    # Issue 10: near-cutoff clients (true level 1 point above the cutoff, flat) must not be told
    # their relief has held. Per trajectory type, for the two relief rules: recall and median
    # delay where the type expects the proposal, the false-alarm rate where it does not.
    print("  by trajectory type, for the rules that say relief has held:")
    print("  type               clients  " + "  ".join(f"{e:>30}" for e in RELIEF))
    for k in sorted(set(kinds)):
        mine = np.array([x == k for x in kinds])
        cells = []
        for e in RELIEF:
            expected = truth_from[e] > 0
            pool = mine & expected
            if pool.any():
                found = first[e][pool] > 0
                delays = (first[e][pool] - truth_from[e][pool])[found].tolist()
                delay = f"{statistics.median(delays):+.1f}" if delays else "-"
                cells.append(f"recall {found.mean():>6.1%}, delay {delay:>5}")
            else:
                pool = mine & ~expected
                rate = ((first[e] > 0) & pool).sum() / max(int(pool.sum()), 1)
                cells.append(f"false alarms {rate:>6.1%} of {int(pool.sum()):>4}")
        print(f"  {k:<18} {int(mine.sum()):>7}  " + "  ".join(f"{c:>30}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
