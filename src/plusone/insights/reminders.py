"""The privacy officer's reminders: what the office owes, counted for the home page.

On the insights floor because it reads the rights and custodian apps, and privacy
sits beside them (docs/architecture.md); who the officer is comes from accounts.queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from plusone.custodian.queries import incidents, retention_due
from plusone.rights.clock import Urgency
from plusone.rights.queries import officer_requests


@dataclass(frozen=True)
class OfficeReminders:
    """What waits for the privacy officer, counted across their practices."""

    requests_overdue: int
    requests_due_soon: int
    incidents_unnotified: int
    retention_ended: int

    @property
    def any(self) -> bool:
        return bool(
            self.requests_overdue
            or self.requests_due_soon
            or self.incidents_unnotified
            or self.retention_ended
        )


def office_reminders(user: Any, *, today: dt.date) -> OfficeReminders:
    """Counts for the privacy officer's home page: requests by their PHIPA clock, breaches
    whose clients are not yet told (s.12(2)), and records past their retention end."""
    open_rows, _closed = officer_requests(user, today)
    return OfficeReminders(
        requests_overdue=sum(1 for d in open_rows if d.urgency is Urgency.OVERDUE),
        requests_due_soon=sum(1 for d in open_rows if d.urgency is Urgency.DUE_SOON),
        incidents_unnotified=sum(1 for i in incidents(user) if i.clients_unnotified),
        retention_ended=len(retention_due(user, today=today, within_days=0)),
    )
