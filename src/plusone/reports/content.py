"""What each report holds: selectors that gather an episode's or a request's content.

They read rows only; the caller has already passed ``access_*``. The chart is drawn by
the same ``plusone.charts.render_journey`` call as the journey page, so the SVG string
in the PDF is the page's string (``ProgressReport.chart.svg``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from plusone import charts
from plusone.clinical.models import CLIENT_PHASE_NAMES, Client, Consent, Episode, Phase
from plusone.clinical.plans import instrument_title
from plusone.core.instruments import load_instrument
from plusone.insights import flags, journey
from plusone.lockbox.models import ConsentDirective, ItemKind, Scope
from plusone.lockbox.queries import WITHHELD_MARKER, Withholding, disclosure_notice
from plusone.reports.field_labels import CHOICE_WORDS, FIELD_LABELS
from plusone.rights.export import WITHHELD_BY_RULE
from plusone.rights.models import AccessException

# Jacobson-Truax words against intake, for the therapist (never shown to the client).
RC_LABELS = {
    "recovered": "Recovered (reliably improved, below cutoff)",
    "improved": "Reliably improved",
    "unchanged": "No reliable change",
    "deteriorated": "Deterioration (reliably worse)",
    "harmed": "Reliably worse, crossed the cutoff",
}


@dataclass(frozen=True)
class ScoreRow:
    """One primary-measure score with its band and its change category against intake."""

    label: str
    day: dt.date | None
    score: float | None
    band: str
    change: str


@dataclass(frozen=True)
class FlagRow:
    """A flag and what was done about it (the acknowledgement's action note)."""

    opened_at: dt.datetime
    grade: int
    item: str
    status: str
    action: str
    acknowledged_at: dt.datetime | None


@dataclass(frozen=True)
class ProgressReport:
    """The progress report of one episode, for ``audience`` "therapist" or "client"."""

    episode: Episode
    audience: str
    data: journey.EpisodeJourney
    chart: charts.Chart
    scores: tuple[ScoreRow, ...] = ()
    flags: tuple[FlagRow, ...] = ()
    # Client version: their goals and own words, and a plain-words range.
    goals: tuple[tuple[str, float | None], ...] = ()
    felt: tuple[tuple[str, float | None], ...] = ()
    moments: tuple[Any, ...] = ()
    symptom_words: str = ""
    phase: str = ""
    language: str = "en"
    # Client version: check-ins left out because the client chose to see results only
    # after looking at them together, and these are not looked at yet.
    held_back: int = 0


def _category(pre: float, post: float, s: charts.Symptoms) -> str:
    """Reliable change of ``post`` against intake ``pre``, in the symptom's direction
    (lower is better): the RC points of the definition, and its cutoff."""
    if s.rc_points is None:
        return ""
    if abs(post - pre) < s.rc_points:
        return RC_LABELS["unchanged"]
    cutoff = s.cutoff
    if post < pre:
        recovered = cutoff is not None and pre >= cutoff > post
        return RC_LABELS["recovered" if recovered else "improved"]
    harmed = cutoff is not None and pre < cutoff <= post
    return RC_LABELS["harmed" if harmed else "deteriorated"]


def _band(score: float, s: charts.Symptoms) -> str:
    for band in s.bands:
        if band.minimum <= score <= band.maximum:
            return band.label
    return ""


def score_rows(j: charts.Journey) -> tuple[ScoreRow, ...]:
    """The primary measure's scores, session by session, with band and change category."""
    s = j.symptoms
    if s is None:
        return ()
    done = [v for _, v in sorted(s.values.items()) if v is not None]
    intake = s.intake if s.intake is not None else (done[0] if done else None)
    rows = []
    for point in j.sessions:
        if point.number not in s.values:
            continue
        value = s.values[point.number]
        label = point.label or str(point.number)
        if value is None:
            rows.append(ScoreRow(label, point.date, None, "not completed", ""))
            continue
        change = _category(intake, value, s) if intake is not None else ""
        rows.append(ScoreRow(label, point.date, value, _band(value, s), change))
    return tuple(rows)


def flag_rows(episode: Episode, *, today: dt.date) -> tuple[FlagRow, ...]:
    """Every flag of the episode, oldest first, in the journey's words (instrument and
    item by name, never by code), with its action note once acknowledged."""
    rows = []
    for d in flags.details(flags.flags_of(episode), episode=episode, today=today):
        item = " · ".join(part for part in (d.instrument, d.item_text or d.item) if part)
        if d.answer:
            item = f"{item}: {d.answer}" if item else d.answer
        f = d.flag
        rows.append(
            FlagRow(
                opened_at=f.opened_at,
                grade=f.grade,
                item=item or "(no answer stored)",
                status=f.get_status_display(),
                action=f.action_note,
                acknowledged_at=f.acknowledged_at,
            )
        )
    return tuple(rows)


def clinical_report(episode: Episode, *, withheld: Withholding, today: dt.date) -> ProgressReport:
    """The clinical version: the journey page's data and chart, with scores, bands, change
    categories, phases and decisions, sudden gains, flags and their actions."""
    moments = [] if withheld.record else journey.moments_of(episode)
    data = journey.build_journey(episode, today=today, withheld=withheld, moments=moments)
    # The journey page's own call: the same arguments give the same SVG string.
    chart = charts.render_journey(data.journey, audience="therapist", width=960)
    return ProgressReport(
        episode=episode,
        audience="therapist",
        data=data,
        chart=chart,
        scores=() if withheld.record else score_rows(data.journey),
        flags=() if withheld.record else flag_rows(episode, today=today),
        moments=tuple(moments),
        phase=data.phase,
    )


def _latest(values: Any) -> float | None:
    done = [v for _, v in sorted(dict(values).items()) if v is not None]
    return done[-1] if done else None


def client_report(episode: Episode, *, today: dt.date) -> ProgressReport:
    """The client's version, in the active language: their goals and own words, the
    client chart (no numbers on symptoms, no band names, no alerts), the phase in their
    words. ``judge=False`` leaves out the proposal, alerts and flags, as in the portal."""
    moments = journey.moments_of(episode)
    client = episode.client
    # The client's release timing holds here as in the portal: with "after we look
    # together", check-ins not yet looked at together stay out of their report.
    rows = journey.unreleased_rows(episode, client)
    hidden = frozenset(("administration", pk) for pk, _ in rows)
    data = journey.build_journey(
        episode,
        today=today,
        judge=False,
        moments=moments,
        withheld=Withholding(items=hidden),
    )
    j = data.journey
    chart = charts.render_journey(
        j, audience="client", width=960, id_prefix="report", translate=gettext
    )
    words = ""
    if j.symptoms is not None and (last := _latest(j.symptoms.values)) is not None:
        words = charts.symptom_words(j.symptoms, last, translate=gettext)
    phase = data.client_phase or str(CLIENT_PHASE_NAMES[Phase.NONE])
    return ProgressReport(
        episode=episode,
        audience="client",
        data=data,
        chart=chart,
        goals=tuple((g.wording, _latest(g.values)) for g in j.goals),
        felt=tuple((s.label, _latest(s.values)) for s in j.felt_change),
        moments=tuple(moments),
        symptom_words=words[:1].upper() + words[1:],
        phase=phase,
        language=episode.client.language,
        held_back=len({sitting for _, sitting in rows}),
    )


def referral_consent(client: Client) -> Consent | None:
    """The client's referral consent in force, newest first, else None."""
    return (
        Consent.objects.filter(client=client, kind=Consent.Kind.REFERRAL, withdrawn_at__isnull=True)
        .order_by("-given_at")
        .first()
    )


@dataclass(frozen=True)
class Referral:
    """The one-page referral summary: what a referrer needs, and markers for what the
    client withheld (a directive limits disclosure to anyone but the treating therapist)."""

    episode: Episode
    consent: Consent
    recipient: str
    organisation: str
    phase: str
    scores: tuple[ScoreRow, ...]
    goals: tuple[str, ...]
    withheld: tuple[str, ...]
    withheld_record: bool
    notice: str
    # The primary measure's name ("PHQ-9"), "" when none is drawn.
    measure: str = ""


def _directive_markers(client: Client) -> tuple[bool, tuple[str, ...]]:
    """Whole record withheld?, and one marker line per withheld item kind and count."""
    rows = list(
        ConsentDirective.objects.in_force()
        .filter(client=client, scope__in=(Scope.ITEM, Scope.RECORD))
        .values_list("scope", "item_kind")
    )
    record = any(scope == Scope.RECORD for scope, _ in rows)
    counts: dict[str, int] = {}
    for scope, kind in rows:
        if scope == Scope.ITEM:
            counts[kind] = counts.get(kind, 0) + 1
    markers = tuple(
        f"{WITHHELD_MARKER}: {ItemKind(kind).label.lower()} ({n})" for kind, n in counts.items()
    )
    return record, markers


def referral_summary(
    episode: Episode, *, consent: Consent, recipient: str, organisation: str, today: dt.date
) -> Referral:
    """The referral summary for ``recipient``: phase, primary-measure scores and goals,
    leaving out (and marking) what a consent directive withholds from others."""
    client = episode.client
    record, markers = _directive_markers(client)
    items = frozenset(
        ConsentDirective.objects.in_force()
        .filter(client=client, scope=Scope.ITEM)
        .values_list("item_kind", "item_id")
    )
    # As a reader other than the treating therapist: the directive's items are left out.
    withheld = Withholding(record=record, items=items)
    data = journey.build_journey(episode, today=today, withheld=withheld, judge=False)
    return Referral(
        episode=episode,
        consent=consent,
        recipient=recipient,
        organisation=organisation,
        phase=data.phase,
        scores=() if record else score_rows(data.journey),
        goals=() if record else tuple(g.wording for g in data.journey.goals),
        withheld=markers if not record else (f"{WITHHELD_MARKER}: the whole record",),
        withheld_record=record,
        notice=disclosure_notice(client) or "",
        measure=data.journey.symptoms.name if data.journey.symptoms is not None else "",
    )


# The rights app's refusal notice, said once under the list of what is withheld.
REFUSAL_NOTICE = gettext_lazy(
    "Each item above is withheld under the exception named beside it. You may ask us to "
    "explain, and you may complain about this refusal to the Information and Privacy "
    "Commissioner of Ontario (PHIPA s.54(1)(c))."
)


# The export's sections in the client's words (the JSON keeps its keys).
SECTION_TITLES: dict[str, Any] = {
    "episodes": gettext_lazy("Courses of therapy"),
    "goals": gettext_lazy("Goals"),
    "sessions": gettext_lazy("Sessions"),
    "measurement_plans": gettext_lazy("Measurement plans"),
    "safety_plan": gettext_lazy("Safety plan"),
    "flags": gettext_lazy("Safety follow-ups"),
    "decisions": gettext_lazy("Decisions about the work"),
    "consents": gettext_lazy("Consents"),
    "ruptures_and_repairs": gettext_lazy("Strains and repairs in our work"),
    "client_notes": gettext_lazy("Your notes on your record"),
    "moments_that_matter": gettext_lazy("Moments that matter"),
    "what_i_want_to_bring": gettext_lazy("What you wanted to bring to a session"),
    "sittings": gettext_lazy("Check-ins"),
    "administrations": gettext_lazy("Answers and scores"),
    "follow_ups": gettext_lazy("Follow-up check-ins"),
    "observers": gettext_lazy("Observers you invited"),
    "observer_rounds": gettext_lazy("Observers' answers"),
    "session_notes": gettext_lazy("Session notes"),
    "note_addenda": gettext_lazy("Additions to notes"),
    "note_corrections": gettext_lazy("Corrections to notes"),
    "note_drafts": gettext_lazy("Draft notes"),
    "break_glass": gettext_lazy("Emergency access to your record"),
    "consent_directives": gettext_lazy("Your instructions to withhold information"),
    "disclosures": gettext_lazy("Disclosures of your information"),
    "breaches_affecting_the_client": gettext_lazy("Privacy breaches that affected you"),
    "legal_holds": gettext_lazy("Legal holds"),
    "access_requests": gettext_lazy("Your requests for access"),
    "correction_requests": gettext_lazy("Your requests for correction"),
}


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[tuple[tuple[str, str], ...], ...]


# How a measurement plan's slots read to the client (the plan editor's words are the
# therapist's; these go through the catalogue for the French copy).
SLOT_WORDS: dict[str, Any] = {
    "routine": gettext_lazy("Every session"),
    "alternate": gettext_lazy("Every other session"),
    "every_4th": gettext_lazy("Every 4th session"),
    "every_4th_alternating": gettext_lazy("Every 4th session, taking turns"),
    "end_of_session": gettext_lazy("At the end of a session"),
    "intake": gettext_lazy("At the start"),
    "review": gettext_lazy("At reviews"),
    "risk_item_only": gettext_lazy("The safety question alone"),
}
# What opened a safety follow-up (Flag.source_kind), in words.
FLAG_SOURCE_WORDS: dict[str, Any] = {
    "administration": gettext_lazy("An answer to a questionnaire"),
    "checkin": gettext_lazy("An answer in a check-in"),
    "observer": gettext_lazy("An observer's answer"),
    "import": gettext_lazy("An answer brought in from an earlier record"),
}
# Fields that hold an instrument's key: shown by the instrument's short title.
INSTRUMENT_FIELDS = frozenset(
    {"primary_instrument", "secondary_instrument", "instrument_key", "instrument"}
)
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _instrument(key: str) -> str:
    # A measurement consent's "checkin" covers the check-in as a whole, not one instrument.
    if key == "checkin":
        return gettext("Check-ins")
    return instrument_title(key)


def _question(key: str | None, item: str) -> str:
    """An item of an instrument as "Question N", numbered as asked."""
    for n, found in enumerate(_items(key), start=1):
        if found == item:
            return gettext("Question %(number)s") % {"number": n}
    return gettext("A question")


def _items(key: str | None) -> list[str]:
    if not key:
        return []
    try:
        return [item.id for item in load_instrument(key).items]
    except Exception:  # an instrument no longer shipped
        return []


def _answers(key: str | None, answers: dict[str, Any]) -> str:
    """A check-in's answers as "Question 1: 2; Question 2: 0 ...", numbered as asked."""
    order = {item: n for n, item in enumerate(_items(key), start=1)}
    numbered = sorted(
        (
            (order.get(item, len(order) + n), value)
            for n, (item, value) in enumerate(answers.items(), start=1)
        ),
        key=lambda pair: pair[0],
    )
    return "; ".join(
        gettext("Question %(number)s: %(answer)s") % {"number": n, "answer": _plain(v)}
        for n, v in numbered
    )


def _schedule(schedule: dict[str, Any]) -> str:
    return "; ".join(
        f"{SLOT_WORDS.get(slot, slot)}: {', '.join(_instrument(k) for k in keys)}"
        for slot, keys in schedule.items()
        if keys
    )


def _intervals(days: dict[str, Any]) -> str:
    return "; ".join(
        ngettext(
            "%(name)s: at least %(days)s day apart", "%(name)s: at least %(days)s days apart", n
        )
        % {"name": _instrument(k), "days": n}
        for k, n in days.items()
    )


def _plain(value: Any) -> str:
    """One stored value in words: yes or no, a date or time in Toronto, a number as the
    language writes it, a list or mapping item by item."""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, float):
        return formats.localize(round(value, 2))
    if isinstance(value, str):
        if ISO_TIME.match(value):
            moment = dt.datetime.fromisoformat(value)
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        if ISO_DAY.match(value):
            return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
        return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _readable(name: str, value: Any, row: dict[str, Any]) -> str | None:
    """A value a person can read, or None to leave it out (ids, empty values)."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, dict) and "name" in value:
        return str(value["name"]) or None
    if isinstance(value, str) and _is_uuid(value):
        return None
    if name in INSTRUMENT_FIELDS and isinstance(value, str):
        return _instrument(value)
    if name == "item_id" and isinstance(value, str):
        return _question(row.get("instrument_key"), value)
    if name == "source_kind" and value in FLAG_SOURCE_WORDS:
        return str(FLAG_SOURCE_WORDS[value])
    if name == "answers" and isinstance(value, dict):
        return _answers(row.get("instrument_key"), value)
    if name == "schedule" and isinstance(value, dict):
        return _schedule(value)
    if name == "min_interval_days" and isinstance(value, dict):
        return _intervals(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        # Lists of instrument keys (review screens asked for, carried over) by their titles.
        return ", ".join(_instrument(v) if _is_instrument(v) else _plain(v) for v in value)
    return _plain(value)


def _is_instrument(key: str) -> bool:
    return key == "checkin" or instrument_title(key) != key


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


# Bookkeeping a reader cannot use (the JSON export keeps them): ids and retry keys.
INTERNAL_FIELDS = frozenset({"id", "practice", "idempotency_key"})


def _field_words(model: Any, name: str, value: Any) -> tuple[str, Any]:
    """A field's label (field_labels.FIELD_LABELS, in the active language) and, for a
    choice, the choice's words (field_labels.CHOICE_WORDS, in the active language; the
    model's own label when it has none)."""
    words = FIELD_LABELS.get(name)
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(words) if words else name.replace("_", " "), value
    label = str(words) if words else str(getattr(found, "verbose_name", name))
    choices = dict(getattr(found, "flatchoices", None) or ())
    if choices and isinstance(value, str):
        word = CHOICE_WORDS.get(name, {}).get(value)
        return label, str(word) if word is not None else choices.get(value, value)
    return label, value


def access_sections(export: dict[str, Any], parts: tuple[Any, ...]) -> tuple[Section, ...]:
    """The export's sections as readable tables: field label and value in words (choices
    by their label, dates in Toronto, instruments by title), ids left out (the JSON export
    carries them). What the export withheld is already absent."""
    out = []
    for part in parts:
        model = apps.get_model(part.model)
        rows = []
        for row in export.get(part.section, []):
            pairs = []
            for name, raw in row.items():
                if name in INTERNAL_FIELDS:
                    continue
                label, value = _field_words(model, name, raw)
                text = _readable(name, value, row)
                if text is not None:
                    pairs.append((label, text))
            rows.append(tuple(pairs))
        title = SECTION_TITLES.get(part.section, part.section.replace("_", " ").capitalize())
        out.append(Section(str(title), tuple(rows)))
    return tuple(out)


def refusals(export: dict[str, Any], parts: tuple[Any, ...]) -> tuple[dict[str, str], ...]:
    """One line per withheld item: what kind of item (its section's title), its exception
    and the explanation, in the active language. A privacy officer's own explanation of a
    severed item stays as written; the rule's explanation is translated."""
    sections = {part.model.lower(): part.section for part in parts}
    out = []
    for w in export.get("withheld", []):
        section = sections.get(w["item"])
        label = str(SECTION_TITLES[section]) if section in SECTION_TITLES else w["item"]
        try:
            exception = str(AccessException(w["exception"]).label)
        except ValueError:
            exception = w["exception_text"]
        rule = WITHHELD_BY_RULE.get(w["item"])
        by_rule = rule is not None and w.get("recorded_at") is None
        explanation = str(rule[2]) if by_rule and rule else w["explanation"]
        out.append({"label": label, "exception_text": exception, "explanation": explanation})
    return tuple(out)
