"""The relationship in the room, for the therapist's journey (DESIGN.md's "Possible rupture").

Item by item and session by session, the client's Session Reflection against the
therapist's own Therapist Rating of the same session (congruence). The gap the rule
engine alerts on (the therapist ``congruence_gap`` or more above the client) is marked;
the reverse gap (the client as far above the therapist) is shown, never alerted. Beside
it, the rule trace's lines about the possible rupture and "repair first", so the reason
for the alert is on the page that shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.utils import timezone

from plusone.clinical import queries
from plusone.clinical.models import Episode, Session
from plusone.core.alerts import REFLECTION_ITEMS
from plusone.core.instruments import load_instrument
from plusone.core.policy import Policy
from plusone.lockbox.queries import NOTHING, Withholding
from plusone.measures.models import Administration
from plusone.measures.summary import THERAPIST_RATING_ITEMS

# The sentences of the rule trace that say why a possible rupture is open, resolved or
# holding the forward proposals.
RUPTURE_TRACE_STARTS = (
    "Alert possible rupture: ",
    "Session Reflection on ",
    "Session Reflection: unknown",
    "Repair first: ",
)

Gap = Literal["rupture", "reverse", ""]


def rupture_trace(proposal: Any | None) -> tuple[str, ...]:
    """The rule trace's sentences about the possible rupture and "repair first"."""
    if proposal is None:
        return ()
    return tuple(t for t in proposal.trace if t.startswith(RUPTURE_TRACE_STARTS))


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class ItemPair:
    """One reflection item in one session: the client's answer and the therapist's."""

    label: str
    client: float | None
    therapist: float | None
    gap: Gap

    @property
    def words(self) -> str:
        if self.client is None or self.therapist is None:
            return ""
        if self.gap == "rupture":
            return f"You rated {_fmt(self.therapist - self.client)} above the client"
        if self.gap == "reverse":
            return f"The client rated {_fmt(self.client - self.therapist)} above you"
        return ""


@dataclass(frozen=True)
class SessionPair:
    """A session with a reflection or a rating, its items and what was logged in it."""

    session: Session
    day: dt.date
    items: tuple[ItemPair, ...]
    logged: tuple[str, ...]

    @property
    def has_rupture_gap(self) -> bool:
        return any(i.gap == "rupture" for i in self.items)


@dataclass(frozen=True)
class RelationshipLane:
    rows: tuple[SessionPair, ...]
    trace: tuple[str, ...]
    # A possible rupture is open now (the alert).
    open: bool


def _gap(client: float | None, therapist: float | None, policy: Policy) -> Gap:
    if client is None or therapist is None:
        return ""
    if therapist - client >= policy.congruence_gap:
        return "rupture"
    if client - therapist >= policy.congruence_gap:
        return "reverse"
    return ""


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def relationship_lane(
    episode: Episode,
    *,
    trace: Sequence[str],
    open_: bool,
    withheld: Withholding = NOTHING,
    policy: Policy | None = None,
) -> RelationshipLane:
    """The relationship lane of ``episode``, newest session last; what the client withheld
    from this reader is left out."""
    policy = policy or Policy()
    reflection = load_instrument("session_reflection")
    labels = [reflection.item(i).text or i for i in REFLECTION_ITEMS]
    rows = (
        Administration.objects.filter(
            episode=episode,
            instrument_key__in=("session_reflection", "therapist_rating"),
            session__isnull=False,
            risk_item_only=False,
        )
        .select_related("session")
        .order_by("completed_at")
    )
    by_session: dict[Any, dict[str, Administration]] = {}
    sessions: dict[Any, Session] = {}
    for a in rows:
        if withheld and withheld.hides("administration", a.pk):
            continue
        assert a.session is not None
        sessions[a.session_id] = a.session
        # The last of each kind in a session counts.
        by_session.setdefault(a.session_id, {})[a.instrument_key] = a
    logged: dict[Any, list[str]] = {}
    for e in queries.rupture_events(episode):
        logged.setdefault(e.session_id, []).append(
            "Repair logged" if e.kind == "repair" else "Rupture logged"
        )
    out = []
    for session_id, found in by_session.items():
        client = found.get("session_reflection")
        therapist = found.get("therapist_rating")
        items = []
        for label, c_id, t_id in zip(
            labels, REFLECTION_ITEMS, THERAPIST_RATING_ITEMS, strict=False
        ):
            c = _num(client.answers.get(c_id)) if client is not None else None
            t = _num(therapist.answers.get(t_id)) if therapist is not None else None
            items.append(ItemPair(label=label, client=c, therapist=t, gap=_gap(c, t, policy)))
        session = sessions[session_id]
        out.append(
            SessionPair(
                session=session,
                day=timezone.localdate(session.starts_at),
                items=tuple(items),
                logged=tuple(logged.get(session_id, ())),
            )
        )
    out.sort(key=lambda r: r.session.starts_at)
    return RelationshipLane(rows=tuple(out), trace=tuple(trace), open=open_)
