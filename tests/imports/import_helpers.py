"""Shared set-up for the import tests: Bob and Dave get practice ids, and their episodes
open early enough to hold past scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from plusone.clinical.models import Client, Episode

HEADER = (
    "client_ref,episode,instrument,administered_at,"
    + ",".join(f"item_{k}" for k in range(1, 10))
    + ",total\n"
)


def with_practice_ids(p: Any) -> None:
    """Bob is R-100, Dave R-200, Gus (Lakeview) L-1; their episodes opened a year ago."""
    for person, ref in ((p.bob, "R-100"), (p.dave, "R-200"), (p.gus, "L-1")):
        Client.objects.filter(pk=person.pk).update(practice_ref=ref)
        person.practice_ref = ref
    year_ago = timezone.localdate() - dt.timedelta(days=365)
    Episode.objects.filter(client__in=[p.bob, p.dave, p.gus]).update(opened_on=year_ago)


def days_ago(days: int, hour: int = 10) -> str:
    day = timezone.localdate() - dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def phq9_row(ref: str, when: str, items: str = "1,1,2,2,1,2,1,1,0", total: str = "11") -> str:
    return f"{ref},,phq9,{when},{items},{total}\n"
