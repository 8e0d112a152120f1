"""The access-request export: everything PlusOne holds about one client, as JSON.

The export walks :data:`PARTS`, one entry per model that holds rows about a
client, each with the lookup from the model to its client. A test introspects
every installed model with a foreign key to a client's record (Client, Episode,
Session, Sitting, Administration, SessionNote or a request) and fails unless the
model is in ``PARTS``, in :data:`ELSEWHERE` or in :data:`EXCLUDED` with its
reason: a new model cannot silently fall out of the client's copy.

Encrypted fields are decrypted. Severed items (``SeveredItem``) are left out
of their section and listed, with their exception, in ``withheld``: never
silence. PHIPA has no psychotherapy-notes exception, so signed notes, their
addenda and corrections are included.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy

from plusone.accounts.models import User
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client
from plusone.rights.models import AccessException, CorrectionRequest

FORMAT = "plusone-access-export/1"


@dataclass(frozen=True)
class Part:
    """One section of the export: ``model`` rows whose ``client_path`` leads to the client."""

    section: str
    model: str
    client_path: str


PARTS: tuple[Part, ...] = (
    Part("episodes", "clinical.Episode", "client"),
    Part("goals", "clinical.Goal", "episode__client"),
    Part("sessions", "clinical.Session", "episode__client"),
    Part("measurement_plans", "clinical.MeasurementPlan", "episode__client"),
    Part("safety_plan", "clinical.SafetyPlan", "client"),
    Part("flags", "clinical.Flag", "client"),
    Part("decisions", "clinical.Decision", "episode__client"),
    Part("consents", "clinical.Consent", "client"),
    Part("ruptures_and_repairs", "clinical.RuptureEvent", "episode__client"),
    # issue 13 (record): the client's notes and disputes on a result or a decision.
    Part("client_notes", "clinical.RecordAnnotation", "client"),
    # The client's own words on their journey (issue 13); a removed moment is still exported.
    Part("moments_that_matter", "clinical.Moment", "episode__client"),
    Part("what_i_want_to_bring", "clinical.BringNote", "episode__client"),
    Part("sittings", "measures.Sitting", "client"),
    # Every respondent: the client's answers, the therapist's ratings and observers' answers.
    Part("administrations", "measures.Administration", "client"),
    Part("follow_ups", "measures.FollowUp", "episode__client"),
    # The observers the client invited, and their answers (safety text withheld below).
    Part("observers", "observers.Observer", "client"),
    Part("observer_rounds", "observers.ObserverRound", "client"),
    Part("session_notes", "notes.SessionNote", "episode__client"),
    Part("note_addenda", "notes.Addendum", "note__episode__client"),
    Part("note_corrections", "rights.NoteCorrection", "note__episode__client"),
    Part("note_drafts", "notes.NoteDraft", "episode__client"),
    Part("break_glass", "privacy.BreakGlass", "client"),
    Part("consent_directives", "lockbox.ConsentDirective", "client"),
    Part("disclosures", "custodian.Disclosure", "client"),
    Part("breaches_affecting_the_client", "custodian.IncidentClient", "client"),
    Part("legal_holds", "custodian.LegalHold", "client"),
    Part("access_requests", "rights.AccessRequest", "client"),
    Part("correction_requests", "rights.CorrectionRequest", "client"),
)

# Models about the client that the export carries outside PARTS.
ELSEWHERE: dict[str, str] = {
    "clinical.Client": "the export's client section",
    "rights.SeveredItem": "the export's withheld section",
}

# Models about the client that the export leaves out, each with why.
EXCLUDED: dict[str, str] = {
    "clinical.EpisodeSummary": (
        "a cache rebuilt from the administrations, sessions, flags and decisions, all exported"
    ),
    "tokens.AccessToken": (
        "hashes of link secrets (credentials), not information about the client; "
        "what each link collected is in sittings and administrations"
    ),
}

# A foreign key to one of these makes a model "about the client".
CLIENT_RECORD_MODELS = (
    "clinical.Client",
    "clinical.Episode",
    "clinical.Session",
    "measures.Sitting",
    "measures.Administration",
    "notes.SessionNote",
    "rights.AccessRequest",
    "rights.CorrectionRequest",
)


def models_about_a_client() -> list[str]:
    """Labels of every installed model with a foreign key to a client's record."""
    targets = {apps.get_model(label) for label in CLIENT_RECORD_MODELS}
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in targets:
                found.append(model._meta.label)
                break
    return sorted(found)


def _value(row: models.Model, field: models.Field[Any, Any], users: dict[Any, str]) -> Any:
    if field.is_relation:
        raw = getattr(row, field.attname)
        if raw is None:
            return None
        if field.related_model is User:
            return {"id": str(raw), "name": users.get(raw, "")}
        return str(raw)
    value = getattr(row, field.attname)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    # Encrypted text is decrypted on attribute access; JSON fields pass through.
    return value


def _row(row: models.Model, users: dict[Any, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in row._meta.concrete_fields:
        out[field.name] = _value(row, field, users)
    return out


def rows_for(part: Part, client: Client) -> list[models.Model]:
    """The client's rows of one part, in primary-key order (stable across exports)."""
    model = apps.get_model(part.model)
    return list(model._default_manager.filter(**{part.client_path: client}).order_by("pk"))


def _labels(row: models.Model) -> tuple[str, str]:
    return row._meta.label_lower, str(row.pk)


def _users(practice_id: Any) -> dict[Any, str]:
    return {
        u.pk: str(u) for u in User.objects.filter(memberships__practice_id=practice_id).distinct()
    }


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Rows withheld from every export by rule, not by a privacy officer's choice: an
# observer's text the safety screen caught (PHIPA s.52(1)(e), a risk of serious harm to
# the observer). Model label -> (the field that marks it, the exception, why).
WITHHELD_BY_RULE: dict[str, tuple[str, AccessException, Any]] = {
    "observers.observerround": (
        "safety_held",
        AccessException.RISK_OF_HARM,
        gettext_lazy(
            "An observer's written answer that touches on safety: disclosing it could "
            "reasonably be expected to risk serious harm to the person who wrote it."
        ),
    ),
}


def _withheld_by_rule(row: models.Model) -> dict[str, Any] | None:
    rule = WITHHELD_BY_RULE.get(row._meta.label_lower)
    if rule is None or not getattr(row, rule[0], False):
        return None
    return {
        "item": row._meta.label_lower,
        "id": str(row.pk),
        "exception": rule[1].value,
        "exception_text": str(rule[1].label),
        "explanation": str(rule[2]),
        "recorded_at": None,
    }


def build_export(request: Any, *, generated_at: dt.datetime) -> dict[str, Any]:
    """The JSON-ready export for an access request: every part, the severed items
    listed in ``withheld``, statements of disagreement beside their notes, and the
    audit events about the exported rows ("who viewed the record")."""

    client = request.client
    users = _users(client.practice_id)
    severed = {(s.item_label, s.item_id): s for s in request.severed.all()}
    sections: dict[str, list[dict[str, Any]]] = {}
    ids = [str(client.pk)]
    by_rule: list[dict[str, Any]] = []
    for part in PARTS:
        kept = []
        for row in rows_for(part, client):
            ids.append(str(row.pk))
            ruled = _withheld_by_rule(row)
            if ruled is not None:
                by_rule.append(ruled)
            elif _labels(row) not in severed:
                kept.append(_row(row, users))
        sections[part.section] = kept
    statements: dict[str, list[dict[str, Any]]] = {}
    for correction in CorrectionRequest.objects.filter(client=client).exclude(statement=""):
        if correction.note_id is not None:
            statements.setdefault(str(correction.note_id), []).append(
                {
                    "correction_request": str(correction.pk),
                    "received_on": correction.statement_received_on.isoformat()
                    if correction.statement_received_on
                    else None,
                    "statement": correction.statement,
                }
            )
    for note in sections["session_notes"]:
        note["statements_of_disagreement"] = statements.get(note["id"], [])
    withheld = [
        {
            "item": s.item_label,
            "id": s.item_id,
            "exception": s.exception,
            "exception_text": str(AccessException(s.exception).label),
            "explanation": s.explanation,
            "recorded_at": s.recorded_at.isoformat(),
        }
        for s in severed.values()
    ] + by_rule
    events = []
    for chunk in _chunks(ids):
        events.extend(
            AuditEvent.objects.filter(practice_id=client.practice_id, target_id__in=chunk)
        )
    events.sort(key=lambda e: e.seq)
    return {
        "format": FORMAT,
        "generated_at": generated_at.isoformat(),
        "access_request": str(request.pk),
        "client": _row(client, users),
        **sections,
        "withheld": withheld,
        "excluded": [{"model": label, "why": why} for label, why in sorted(EXCLUDED.items())],
        "audit_events": [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor_kind": e.actor_kind,
                "actor": users.get(e.actor_id, str(e.actor_id or "")),
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
            }
            for e in events
        ],
    }


@dataclass(frozen=True)
class Item:
    """One row the privacy officer may sever, as offered on the request page."""

    label: str
    id: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.label}:{self.id}"


def _when(row: models.Model) -> str:
    for field in row._meta.concrete_fields:
        if isinstance(field, models.DateTimeField | models.DateField):
            value = getattr(row, field.attname)
            if value is not None:
                return value.strftime("%Y-%m-%d")
    return ""


def severable_items(client: Client) -> list[Item]:
    """Every exported row of the client that could be withheld, by part."""
    items = []
    for part in PARTS:
        if part.section in ("access_requests", "correction_requests"):
            continue
        for row in rows_for(part, client):
            name = str(row._meta.verbose_name).capitalize()
            when = _when(row)
            items.append(
                Item(
                    row._meta.label_lower,
                    str(row.pk),
                    f"{name}{', ' + when if when else ''} ({str(row.pk)[:8]})",
                )
            )
    return items
