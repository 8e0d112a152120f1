"""The plain per-client reference for the analyze benchmark.

It calls ``plusone.core.propose.propose`` once per client, on ClientHistory
objects: the straightforward way to judge a caseload, and the same code the
web app runs on every check-in. It is not slowed on purpose; the trace it
builds is part of what ``propose`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from plusone.core.history import ClientHistory
from plusone.core.policy import Policy
from plusone.core.propose import MeasureInfo, propose


def reference(
    histories: Sequence[ClientHistory],
    *,
    today: date,
    policy: Policy,
    measures: Mapping[str, MeasureInfo],
) -> list[tuple[str, tuple[str, ...]]]:
    """(kind, alerts) for every client, one ``propose`` call each."""
    out = []
    for h in histories:
        p = propose(h, today=today, policy=policy, measures=measures)
        out.append((p.kind, p.alerts))
    return out
