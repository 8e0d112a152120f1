"""Set-up for the fuzz tests (marker ``fuzz``, docs/fuzz.md).

- Hypothesis: HYPOTHESIS_PROFILE=ci (the default: fixed examples, derandomised) or
  deep (DEEP_FACTOR times more, random); see ``fuzzkit.fuzz_settings``.
- ``fuzz_world``: the personas, one of Bob's objects of every kind, and per route the
  persona meant to use it and the form fields its page shows.
- At the end of the session: "fuzz: N cases, E server errors", also written as JSON to
  ``var/fuzz-report-<vendor>.json`` (untracked) for scripts/security-report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fuzzkit import PROFILE, TALLY
from world import World, build_world


@pytest.fixture
def fuzz_world(personas: Any) -> World:
    return build_world(personas)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.cases:
        return
    from django.db import connection

    vendor = connection.vendor
    line = f"fuzz: {TALLY.cases} cases, {TALLY.server_errors} server errors"
    terminalreporter.write_line(f"{line} ({vendor}, profile {PROFILE})")
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(TALLY.statuses.items()))
    exits = ", ".join(f"{k}: {v}" for k, v in sorted(TALLY.exits.items()))
    terminalreporter.write_line(f"fuzz: responses by status: {statuses}; CLI exits: {exits}")
    report = {
        "database": vendor,
        "profile": PROFILE,
        "cases": TALLY.cases,
        "server_errors": TALLY.server_errors,
        "by_test": dict(sorted(TALLY.by_test.items())),
        "statuses": {str(k): v for k, v in sorted(TALLY.statuses.items())},
        "cli_exits": {str(k): v for k, v in sorted(TALLY.exits.items())},
    }
    out = Path(__file__).resolve().parents[2] / "var" / f"fuzz-report-{vendor}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
