"""After a load run: is every acknowledged submission stored exactly once?

A check-in's sitting carries its link's token id as its idempotency key (``measures``), and an
observer's round carries its token id (``observers``). An acknowledged submission is *lost* when
no row carries its token, *duplicated* when more than one does, and a check-in is *partial* when
its sitting has no administration or the same instrument twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


def stored_exactly_once(checkins: Iterable[str], observers: Iterable[str]) -> dict[str, Any]:
    """Count lost, duplicated and partial submissions among the acknowledged token ids."""
    from plusone.measures.models import Administration, Sitting
    from plusone.observers.models import ObserverRound

    checkins, observers = list(checkins), list(observers)
    sittings = Counter(
        Sitting.objects.filter(idempotency_key__in=checkins).values_list(
            "idempotency_key", flat=True
        )
    )
    sitting_ids = dict(
        Sitting.objects.filter(idempotency_key__in=checkins).values_list("pk", "idempotency_key")
    )
    per_sitting: dict[str, Counter[str]] = {key: Counter() for key in sitting_ids.values()}
    for sitting_id, instrument in Administration.objects.filter(
        sitting_id__in=list(sitting_ids)
    ).values_list("sitting_id", "instrument_key"):
        per_sitting[sitting_ids[sitting_id]][instrument] += 1
    rounds = Counter(
        str(t)
        for t in ObserverRound.objects.filter(token_id__in=observers).values_list(
            "token_id", flat=True
        )
    )
    lost = [t for t in checkins if sittings[t] == 0] + [t for t in observers if rounds[t] == 0]
    duplicated = [t for t in checkins if sittings[t] > 1] + [t for t in observers if rounds[t] > 1]
    partial = [
        t for t, counts in per_sitting.items() if not counts or any(n > 1 for n in counts.values())
    ]
    return {
        "acknowledged": len(checkins) + len(observers),
        "stored_once": len(checkins) + len(observers) - len(lost) - len(duplicated),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "partial": len(partial),
        "ok": not lost and not duplicated and not partial,
    }
