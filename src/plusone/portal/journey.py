"""The client's own journey in the portal (issue 13): a selector, reads only.

Judged as of today, from the same rows and the same chart module as the therapist's
journey (``plusone.insights.journey.build_journey``, ``plusone.charts``), with the
client's layout and words. It never carries a proposal, an alert, a flag, a rupture,
the therapist's rating, a band name, a diagnosis or a symptom number: ``judge=False``
leaves the proposal, alerts and flags out, and the client audience of the chart leaves
the rest out.

Release timing: when the client chose "after we look together", administrations of a
sitting the therapist has not yet marked as looked at together are left out of the
lanes, and the page says some results wait for the next session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from plusone import charts
from plusone.clinical.models import (
    CLIENT_PHASE_NAMES,
    BringNote,
    Client,
    Episode,
    Moment,
    Phase,
    Session,
)
from plusone.clinical.phase_now import awaiting_phase, decisions_of
from plusone.insights.journey import EpisodeJourney, build_journey, moments_of, unreleased
from plusone.lockbox.queries import Withholding


@dataclass(frozen=True)
class Latest:
    """One line of the client's own words: the wording and its latest rating (0-10)."""

    label: str
    value: float | None


@dataclass(frozen=True)
class ClientJourney:
    """Everything the client's journey page shows."""

    client: Client
    episode: Episode | None
    data: EpisodeJourney | None
    chart: charts.Chart | None
    narrow: charts.Chart | None
    goals: tuple[Latest, ...]
    felt: tuple[Latest, ...]
    moments: tuple[Moment, ...]
    growth: tuple[Latest, ...]
    reflection: float | None
    # "low mood: higher range": the latest of the primary measure, in plain words.
    symptoms: str
    phase: str
    # The phase agreed with the client but awaiting their confirmation (its client name).
    awaiting: str
    # True when some results wait until therapist and client look at them together.
    waiting: bool


def episode_of(client: Client) -> Episode | None:
    """The client's open episode, else their latest one."""
    return (
        Episode.objects.filter(client=client)
        .order_by("-status", "-opened_on")  # "open" sorts after "closed": open first
        .first()
    )


def _latest(values: dict[int, float | None]) -> float | None:
    done = [v for _, v in sorted(values.items()) if v is not None]
    return done[-1] if done else None


def client_journey(client: Client, *, today: dt.date) -> ClientJourney:
    """The client's journey as of ``today``."""
    episode = episode_of(client)
    if episode is None:
        return ClientJourney(
            client, None, None, None, None, (), (), (), (), None, "", "", "", False
        )
    hidden = unreleased(episode, client)
    moments = moments_of(episode)
    data = build_journey(
        episode,
        today=today,
        withheld=Withholding(items=hidden),
        judge=False,
        moments=moments,
    )
    j = data.journey
    symptoms = ""
    if j.symptoms is not None and (last := _latest(dict(j.symptoms.values))) is not None:
        words = charts.symptom_words(j.symptoms, last, translate=gettext)
        symptoms = words[:1].upper() + words[1:]
    decisions = decisions_of(episode)
    awaiting = awaiting_phase(decisions, today=today)
    return ClientJourney(
        client=client,
        episode=episode,
        data=data,
        chart=charts.render_journey(
            j, audience="client", width=960, id_prefix="my-journey", translate=gettext
        ),
        narrow=charts.render_journey(
            j, audience="client", width=360, id_prefix="my-journey-narrow", translate=gettext
        ),
        goals=tuple(Latest(g.wording, _latest(dict(g.values))) for g in j.goals),
        felt=tuple(Latest(s.label, _latest(dict(s.values))) for s in j.felt_change),
        moments=tuple(moments),
        growth=tuple(
            Latest(_capital(gettext(m.client_name)), _latest(dict(m.values))) for m in j.growth
        ),
        reflection=_latest(dict(j.reflection.values)) if j.reflection is not None else None,
        symptoms=symptoms,
        phase=data.client_phase,
        awaiting=str(CLIENT_PHASE_NAMES[Phase(awaiting)]) if awaiting else "",
        waiting=bool(hidden),
    )


def next_session(episode: Episode, *, now: dt.datetime | None = None) -> Session | None:
    """The client's next scheduled session, which a bring-today note is for."""
    return (
        Session.objects.filter(
            episode=episode,
            status=Session.Status.SCHEDULED,
            starts_at__gt=now or timezone.now(),
        )
        .order_by("starts_at")
        .first()
    )


def bring_note_for(session: Session | None) -> BringNote | None:
    if session is None:
        return None
    return BringNote.objects.filter(session=session).first()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
