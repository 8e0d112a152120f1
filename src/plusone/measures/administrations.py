"""An Administration built from a core Score: the one place a score becomes a row.

The check-in submit, the lone risk item, the Therapist Rating and the demo all
store what ``plusone.core.scoring`` computed the same way; only where the row
belongs (its sitting, session and key) and who answered differ.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from plusone.core.scoring import Score
from plusone.measures.models import Administration


def scored_administration(
    instrument: Any,
    given: Mapping[str, Any],
    result: Score,
    *,
    completed_at: dt.datetime,
    seconds: int = 0,
    **where: Any,
) -> Administration:
    """An unsaved Administration of ``instrument`` holding ``result``.

    Chosen values go to ``answers``; typed text goes, encrypted, to ``free_text``.
    ``where`` names the row's place and key (practice, client, episode, session,
    sitting, context, respondent, idempotency_key, and id when the caller needs it).
    """
    choices = {k: v for k, v in given.items() if not isinstance(v, str)}
    texts = {k: v for k, v in given.items() if isinstance(v, str) and v.strip()}
    row = Administration(
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        answers=choices,
        total=result.total,
        subscales=dict(result.subscales),
        band=result.band.label if result.band else "",
        valid=result.valid,
        prorated=result.prorated,
        reason=(result.reason or "")[:200],
        risk_grade=result.risk_grade,
        started_at=min(completed_at - dt.timedelta(seconds=seconds), completed_at),
        completed_at=completed_at,
        duration_seconds=seconds,
        **where,
    )
    row.free_text = json.dumps(texts) if texts else ""
    return row
