"""What ``plusone analyze`` writes: the JSON document, or one summary row per client.

The table and csv rows come straight from the batch arrays, with no trace.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import date
from typing import Any

import numpy as np

from plusone.analytics.analyze.load import Loaded
from plusone.core.batch import NO_PHASE, BatchResult
from plusone.core.history import PHASES
from plusone.core.instruments import all_instruments
from plusone.core.propose import ALERTS, KINDS
from plusone.core.scoring import band_for

TABLE_COLUMNS = (
    "client",
    "primary",
    "phase",
    "latest",
    "band",
    "change",
    "flat",
    "proposal",
    "alerts",
    "risk",
)


def write_json(today: date, lines: list[str], errors: list[dict[str, Any]]) -> None:
    """One JSON document, one client object per line (large caseloads stay fast to write)."""
    out = sys.stdout
    out.write('{"today": ' + json.dumps(today.isoformat()) + ', "errors": ')
    out.write(json.dumps(errors, ensure_ascii=False))
    out.write(', "clients": [')
    for i, line in enumerate(lines):
        out.write(",\n" if i else "\n")
        out.write(line)
    out.write("\n]}\n")


def _cell_number(x: float) -> str:
    """A number as ``io.write_rows`` writes it: up to 3 decimals, blank for NaN."""
    if math.isnan(x) or math.isinf(x):
        return ""
    return f"{round(x, 6):.3f}".rstrip("0").rstrip(".")


def summary_cells(loaded: Loaded, result: BatchResult) -> list[list[str]]:
    """One row of text cells per client for table and csv output, straight from the batch arrays.

    The cells are what ``io.write_rows`` makes of the values (blank for none,
    yes/no, up to 3 decimals, lists joined with "; "), built here directly
    because its generic per-cell conversion costs more than the rules; write
    them with ``io.write_cells``.
    """
    cl = loaded.caseload
    bands = _bands(loaded, result)
    risk: list[list[str]] = [[] for _ in range(cl.n_clients)]
    for r in np.flatnonzero(result.open_flag).tolist():
        risk[int(cl.flag_client[r])].append(f"{cl.flag_item[r]} grade {int(cl.flag_grade[r])}")
    has = result.n > 0
    change = np.where(has, result.latest - result.intake, np.nan).tolist()
    latest = np.where(has, result.latest, np.nan).tolist()
    flat = ["" if f < 0 else "yes" if f else "no" for f in result.flat.tolist()]
    phases = ["" if p == NO_PHASE else PHASES[p] for p in result.phase.tolist()]
    kinds = [KINDS[k] for k in result.kind.tolist()]
    alert_rows = result.alerts.tolist()
    return [
        [
            cl.clients[i],
            cl.primary[i],
            phases[i],
            _cell_number(latest[i]),
            bands[i],
            _cell_number(change[i]),
            flat[i],
            kinds[i],
            "; ".join(a for a, on in zip(ALERTS, alert_rows[i], strict=True) if on),
            "; ".join(risk[i]),
        ]
        for i in range(cl.n_clients)
    ]


def _bands(loaded: Loaded, result: BatchResult) -> list[str]:
    """Each client's band label of the latest primary score ("" for none).

    ``band_for`` is asked once per distinct primary and score, not once per client.
    """
    cl = loaded.caseload
    instruments = all_instruments()
    bands: list[str] = [""] * cl.n_clients
    has = result.n > 0
    primary = np.array(cl.primary)
    for key in set(cl.primary):
        inst = instruments.get(key)
        if inst is None or not inst.bands:
            continue
        mine = np.flatnonzero(has & (primary == key))
        totals = result.latest[mine].tolist()
        labels = {}
        for x in set(totals):
            band = band_for(inst, x)
            labels[x] = band.label if band else ""
        for c, x in zip(mine.tolist(), totals, strict=True):
            bands[c] = labels[x]
    return bands
