"""The caseload dashboard: a therapist's open episodes in tiers of attention.

A selector (read only). Every row comes from the episode's ``EpisodeSummary``;
with the client and episode joined in, plus one query for open flags and one
for the last and next sessions, the whole caseload costs a constant number of
queries whatever its size.

Tiers, in order: open risk flags; possible rupture; deterioration and not
progressing; proposals waiting; everyone else. A client sits in the first
tier that applies, so each appears once. Within a tier the most urgent come
first: the newest open flag, then the proposal left unanswered the longest.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from plusone.charts import render_sparkline
from plusone.clinical import queries
from plusone.clinical.flag_words import brief
from plusone.clinical.models import Decision, Episode, EpisodeSummary, Flag, Phase, Session
from plusone.core.instruments import load_instrument
from plusone.insights.journey import ALERT_LABELS, PROPOSAL_WORDS
from plusone.measures.summary import refresh_stale

SEARCH_MAX_LENGTH = 100


class Tier(enum.Enum):
    """A tier of attention; the value is its heading."""

    RISK = "Open risk flags"
    RUPTURE = "Possible rupture"
    ALERT = "Deterioration or not progressing"
    PROPOSAL = "Proposals waiting"
    REST = "Everyone else"


TIER_ORDER = tuple(Tier)
TIER_SLUGS = {tier.name.lower(): tier for tier in TIER_ORDER}

PROPOSAL_LABELS = PROPOSAL_WORDS
# The proposals that put a client in the "proposals waiting" tier ("stabilizing" is
# the default first step, not a decision waiting to be taken).
WAITING_PROPOSALS = frozenset(PROPOSAL_LABELS) - {"stabilizing"}


def tier_of(summary: EpisodeSummary) -> Tier:
    """The first tier of attention that applies to a summary row."""
    alerts = set(summary.alerts or ())
    if summary.open_flag_count:
        return Tier.RISK
    if "possible_rupture" in alerts:
        return Tier.RUPTURE
    # A single spike asks for a look together, like an alert.
    if alerts & {"deterioration", "not_progressing"} or summary.spike_review:
        return Tier.ALERT
    if summary.proposal_kind in WAITING_PROPOSALS:
        return Tier.PROPOSAL
    return Tier.REST


@dataclass(frozen=True)
class Row:
    """One client on the dashboard, ready for the template."""

    summary: EpisodeSummary
    tier: Tier
    name: str
    phase: str
    goal_ratings: tuple[float | None, ...]
    measure: str
    sparkline: str
    last_session: dt.datetime | None
    next_session: dt.datetime | None
    flags: tuple[Flag, ...]
    alerts: tuple[str, ...]
    proposal: str
    journey_url: str
    card_url: str
    # The day a waiting proposal has stood unanswered since, or None without one.
    waiting_since: dt.date | None = None
    # Each open flag with its one-line words (flags.brief), for the Acknowledge menu.
    flag_lines: tuple[tuple[Flag, str], ...] = ()

    @property
    def urgency(self) -> tuple[Any, ...]:
        """Sort key within a tier: the newest open flag first, then the proposal left
        unanswered the longest; the rest keep their order by name."""
        newest = max((f.opened_at for f in self.flags), default=None)
        return (
            newest is None,
            -newest.timestamp() if newest else 0.0,
            self.waiting_since is None,
            self.waiting_since or dt.date.min,
        )

    @property
    def goals_text(self) -> str:
        """The goal ratings as "6 · 5", with "–" for a goal not rated."""
        return " · ".join("–" if r is None else f"{r:g}" for r in self.goal_ratings)

    @property
    def latest_text(self) -> str:
        """The latest primary total and band, e.g. "PHQ-9 9 (mild)", or ""."""
        total = self.summary.latest_total
        if total is None:
            return ""
        band = f" ({self.summary.band_label})" if self.summary.band_label else ""
        return f"{self.measure} {total:g}{band}"

    @property
    def episode_id(self) -> uuid.UUID:
        return self.summary.episode_id

    @property
    def cells_html(self) -> SafeString:
        """The row's cells up to its proposal marker, as the caseload template used to render
        them (the forms that follow need the request and stay in the template)."""
        return _cells_html(self)

    @property
    def client_id(self) -> uuid.UUID:
        return self.summary.client_id


@dataclass
class TierGroup:
    tier: Tier
    rows: list[Row] = field(default_factory=list)
    # How many of the caseload (after the name search) sit in this tier, shown or not.
    count: int = 0

    @property
    def heading(self) -> str:
        return self.tier.value

    @property
    def slug(self) -> str:
        return self.tier.name.lower()


def _muted(text: str) -> str:
    return f'<span class="muted">{text}</span>'


def _local(value: dt.datetime, fmt: str) -> str:
    # What the template's date filter did: the current time zone, then the format.
    return dateformat.format(timezone.localtime(value) if timezone.is_aware(value) else value, fmt)


def _cells_html(row: Row) -> SafeString:
    """One pass of string building per row instead of about 40 template lookups.

    Every value is escaped as the template's autoescape would; the sparkline is
    SVG built by ``plusone.charts`` and already safe.
    """
    name = escape(row.name)
    goals = escape(row.goals_text) if row.goal_ratings else _muted("Not rated yet")
    latest = row.latest_text
    measure = (
        f'<span class="latest">{escape(latest)}</span>'
        if latest
        else _muted(f"{escape(row.measure)}: no check-in yet")
    )
    spark = f'<span class="sparkline">{row.sparkline}</span>' if row.sparkline else ""
    last = (
        escape(_local(row.last_session, get_format("DATE_FORMAT")))
        if row.last_session
        else _muted("none yet")
    )
    upcoming = (
        escape(_local(row.next_session, get_format("DATETIME_FORMAT")))
        if row.next_session
        else _muted("not booked")
    )
    missed = row.summary.not_completed_count
    missed_line = (
        f'<span class="missed">Check-ins not completed: {missed}</span> ' if missed else ""
    )
    alerts = "".join(f'<span class="alert-marker">{escape(a)}</span> ' for a in row.alerts)
    proposal = (
        f'<span class="proposal-marker">Proposal: {escape(row.proposal)}</span>'
        if row.proposal
        else ""
    )
    return mark_safe(  # noqa: S308 - every interpolated value is escaped above
        f"""<th scope="row" class="who"><a href="{escape(row.journey_url)}">{name}</a></th>
        <td class="phase">{escape(row.phase)}</td>
        <td class="goals">{goals}</td>
        <td class="measure">{measure} {spark}</td>
        <td class="last"><span class="cue">Last: </span>{last}</td>
        <td class="next"><span class="cue">Next: </span>{upcoming}</td>
        <td class="attention">
          {alerts}
          {proposal}
          {missed_line}"""
    )


@dataclass(frozen=True)
class Menu:
    """What every row's actions menu needs from the request: the CSRF token and the URLs
    (``issue_link`` is None until the check-in app's view exists)."""

    csrf: str
    issue_link: str | None
    reflection_kiosk: str
    reflection_link: str
    # The client's portal access page (invite, reset the PIN), with ZERO_ID for the client.
    portal_access: str = ""


# The placeholder client id in Menu.portal_access, replaced by each row's.
ZERO_ID = "00000000-0000-0000-0000-000000000000"


def _menu_form(url: str, csrf: str, client_id: str, label: str, name: str) -> str:
    return (
        f'<li><form method="post" action="{escape(url)}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
        f'<input type="hidden" name="client_id" value="{client_id}">'
        f'<button type="submit">{label}<span class="visually-hidden"> for {name}</span>'
        "</button></form></li>"
    )


def menu_html(row: Row, menu: Menu) -> SafeString:
    """The row's one actions menu, built in one pass: at 300 rows the same markup through
    the template engine was most of the page's time (bench/dashboard_bench.py)."""
    name, client_id = escape(row.name), escape(str(row.client_id))
    items = [
        f'<li><a href="{escape(row.card_url)}">Before-session card'
        f'<span class="visually-hidden"> for {name}</span></a></li>'
    ]
    if menu.issue_link:
        items.append(_menu_form(menu.issue_link, menu.csrf, client_id, "Check-in link", name))
    items.append(
        _menu_form(
            menu.reflection_kiosk, menu.csrf, client_id, "Session Reflection on this device", name
        )
    )
    items.append(
        _menu_form(menu.reflection_link, menu.csrf, client_id, "Session Reflection link", name)
    )
    if menu.portal_access:
        items.append(
            f'<li><a href="{escape(menu.portal_access.replace(ZERO_ID, str(row.client_id)))}">'
            f'Portal access<span class="visually-hidden"> for {name}</span></a></li>'
        )
    return mark_safe(  # noqa: S308 - every interpolated value is escaped above
        '<details class="row-menu"><summary>Actions'
        f'<span class="visually-hidden"> for {name}</span></summary>'
        f'<ul class="menu">{"".join(items)}</ul></details>'
    )


def _summaries(user: Any, search: str) -> list[EpisodeSummary]:
    clients = queries.visible_clients(user, write=True)
    rows = EpisodeSummary.objects.select_related("client", "episode").filter(
        client__in=clients, episode__status=Episode.Status.OPEN
    )
    # The last decision answers whatever was proposed before it: a waiting proposal has
    # stood unanswered since then at most (the summary keeps no date of its own for it).
    rows = rows.annotate(
        answered_on=Subquery(
            Decision.objects.filter(episode_id=OuterRef("episode_id"))
            .order_by("-decided_on")
            .values("decided_on")[:1]
        )
    )
    search = search.strip()[:SEARCH_MAX_LENGTH]
    for word in search.split():
        rows = rows.filter(
            Q(client__given_name__icontains=word)
            | Q(client__family_name__icontains=word)
            | Q(client__preferred_name__icontains=word)
        )
    # The rows read only the client's names: building the
    # other joined columns (dates, UUIDs) for every row was a measurable cost.
    rows = rows.defer(
        "client__date_of_birth",
        "client__email",
        "client__portal_user",
        "client__created_at",
        "episode__secondary_instrument",
        "episode__prior_therapy",
        "episode__closed_on",
        "episode__s2_intention",
    )
    return list(rows.order_by("client__family_name", "client__given_name"))


def _sessions(
    summaries: list[EpisodeSummary], now: dt.datetime
) -> dict[uuid.UUID, tuple[dt.datetime | None, dt.datetime | None]]:
    """Last attended and next scheduled session per episode, in one grouped query."""
    if not summaries:
        return {}
    rows = (
        Session.objects.filter(episode_id__in=[s.episode_id for s in summaries])
        .values("episode_id")
        .annotate(
            last=Max("starts_at", filter=Q(starts_at__lte=now, status=Session.Status.ATTENDED)),
            next=Min("starts_at", filter=Q(starts_at__gt=now, status=Session.Status.SCHEDULED)),
        )
    )
    return {r["episode_id"]: (r["last"], r["next"]) for r in rows}


def sparkline_for(summary: EpisodeSummary) -> str:
    """The small trend of the primary measure's recent totals, or "" with none."""
    values = [v if isinstance(v, int | float) else None for v in summary.primary_trend or ()]
    if not any(v is not None for v in values):
        return ""
    instrument = load_instrument(summary.primary_instrument)
    return render_sparkline(
        values,
        cutoff=instrument.cutoff,
        better=instrument.direction,
        label=instrument.short_title,
        scale=instrument.score_range,
    )


# Reversed once per request and filled in per row: two reverse() calls per row were a
# measurable share of the page's time with 80 rows.
_PLACEHOLDER = uuid.UUID(int=0)


def _url_pattern(name: str) -> str:
    return reverse(name, kwargs={"episode_id": _PLACEHOLDER}).replace(str(_PLACEHOLDER), "{}")


def _phase_text(summary: EpisodeSummary) -> str:
    """The agreed phase, and a move awaiting the client's confirmation."""
    phase = str(Phase(summary.phase).label) if summary.phase in Phase.values else ""
    if summary.awaiting in Phase.values:
        phase += f" · {Phase(summary.awaiting).label}: awaiting the client"
    return phase


def _proposal_text(summary: EpisodeSummary) -> str:
    """The proposal's words; a held one says why; a suggested consult is named."""
    text = PROPOSAL_LABELS.get(summary.proposal_kind, "")
    if not text and summary.held:
        why = "repair first" if summary.repair_first else "awaiting the client"
        text = f"{PROPOSAL_LABELS.get(summary.held, '')} (held: {why})"
    if text and summary.consult:
        text += ", consult suggested"
    return text


def _row(
    summary: EpisodeSummary,
    flags: list[Flag],
    sessions: tuple[dt.datetime | None, dt.datetime | None],
    urls: tuple[str, str],
) -> Row:
    instrument = load_instrument(summary.primary_instrument)
    codes = (*(summary.alerts or ()), *(("spike_review",) if summary.spike_review else ()))
    alerts = tuple(ALERT_LABELS.get(a, a) for a in codes)
    last, upcoming = sessions
    waiting = summary.proposal_kind in WAITING_PROPOSALS
    answered_on = getattr(summary, "answered_on", None)
    return Row(
        summary=summary,
        tier=tier_of(summary),
        name=summary.client.display_name,
        phase=_phase_text(summary),
        goal_ratings=tuple(
            r if isinstance(r, int | float) else None for r in summary.goal_ratings or ()
        ),
        measure=instrument.short_title,
        sparkline=sparkline_for(summary),
        last_session=last or summary.last_session_at,
        next_session=upcoming or summary.next_session_at,
        flags=tuple(flags),
        flag_lines=tuple((f, brief(summary.practice_id, f)) for f in flags),
        alerts=alerts,
        proposal=_proposal_text(summary),
        journey_url=urls[0].format(summary.episode_id),
        card_url=urls[1].format(summary.episode_id),
        waiting_since=(answered_on or summary.episode.opened_on) if waiting else None,
    )


def _judge_stale(user: Any, summaries: list[EpisodeSummary], *, today: dt.date, whole: bool) -> int:
    """Re-judge the caseload's summaries as of today when any was judged before today
    (DESIGN.md: judged as of today): the whole caseload at once, through the batch path.
    Returns how many rows were rewritten (0: nothing was stale; no extra query then)."""
    if all(s.judged_on is not None and s.judged_on >= today for s in summaries):
        return 0
    if not whole:
        summaries = _summaries(user, "")
    return refresh_stale(summaries, today=today)


def dashboard(
    user: Any, *, now: dt.datetime, search: str = "", tier: Tier | None = None
) -> list[TierGroup]:
    """The caseload of ``user`` (their own open episodes) in tiers of attention.

    ``search`` keeps the clients whose names contain every word of it; ``tier``
    keeps one tier's rows (the others keep only their count). Every tier is
    returned, in order, even when empty; each tier's rows in order of urgency.
    """
    summaries = _summaries(user, search)
    if _judge_stale(user, summaries, today=timezone.localdate(now), whole=not search.strip()):
        summaries = _summaries(user, search)
    groups = {t: TierGroup(t) for t in TIER_ORDER}
    shown = []
    for summary in summaries:
        group = groups[tier_of(summary)]
        group.count += 1
        if tier is None or group.tier is tier:
            shown.append(summary)
    # Only the rows shown are built: a tier filter at 300 clients renders only that tier.
    flags = queries.open_flags(user, shown)
    sessions = _sessions(shown, now)
    urls = (_url_pattern("insights:journey"), _url_pattern("insights:session_card"))
    for summary in shown:
        row = _row(
            summary,
            flags.get(summary.episode_id, []),
            sessions.get(summary.episode_id, (None, None)),
            urls,
        )
        groups[row.tier].rows.append(row)
    for group in groups.values():
        group.rows.sort(key=lambda r: r.urgency)
    return [groups[t] for t in TIER_ORDER]
