"""The FHIR R4B Bundle of one client or one episode, built only with ``fhir.resources.R4B``.

The models are imported inside the builders: importing them costs a noticeable
fraction of a second (docs/interop.md), and no page but the export needs them.
Every resource is constructed through its model, so a bundle that returns has
validated; ``Bundle.model_validate_json`` reads the JSON back the same.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any

from plusone.clinical.models import Client
from plusone.core.instruments import Instrument, load_instrument
from plusone.measures.models import Administration

# The project's systems: client ids, and score codes for instruments without a LOINC total.
CLIENT_SYSTEM = "http://plusone.health/fhir/sid/client"
PRACTICE_REF_SYSTEM = "http://plusone.health/fhir/sid/practice-ref"
SCORE_SYSTEM = "http://plusone.health/fhir/CodeSystem/score"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# Fixed namespace so the same administration always gives the same Observation id.
_NS = uuid.UUID("6f1c2d9e-53a4-4b0e-9a57-0c1d5e3f7a21")


def _urn(value: Any) -> str:
    return f"urn:uuid:{value}"


def _instant(at: dt.datetime) -> str:
    return at.isoformat()


def patient(client: Client) -> Any:
    """Minimum necessary: the project id, the practice's own id, name and birth date
    (what a receiver needs to match the person to its own record); no contact details."""
    from fhir.resources.R4B.patient import Patient

    identifiers = [{"system": CLIENT_SYSTEM, "value": str(client.pk)}]
    if client.practice_ref:
        identifiers.append(
            {"system": f"{PRACTICE_REF_SYSTEM}/{client.practice_id}", "value": client.practice_ref}
        )
    return Patient(
        id=str(client.pk),
        identifier=identifiers,
        name=[{"family": client.family_name, "given": [client.given_name]}],
        birthDate=client.date_of_birth,
    )


def _item(inst: Instrument, item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.id, "required": item.required}
    # A licensed pack ships without its words: the item keeps its linkId and code only.
    if item.text:
        out["text"] = item.text
    if item.loinc:
        out["code"] = [{"system": LOINC, "code": item.loinc}]
    if item.kind == "text":
        out["type"] = "text"
    elif item.kind == "goal":
        out["type"] = "integer"
    else:
        out["type"] = "choice"
        out["answerOption"] = [{"valueInteger": o.value} for o in item.options]
    return out


def questionnaire(inst: Instrument) -> Any:
    """The instrument as a Questionnaire with its canonical URL and one linkId per item."""
    from fhir.resources.R4B.questionnaire import Questionnaire

    fields: dict[str, Any] = {
        "id": inst.key.replace("_", "-"),
        "url": inst.url,
        "version": inst.version,
        "name": re.sub(r"[^A-Za-z0-9_]", "", inst.key.title()),
        "title": inst.title,
        "status": "active",
        "subjectType": ["Patient"],
        "item": [_item(inst, i) for i in inst.items],
    }
    if inst.copyright:
        fields["copyright"] = inst.copyright
    if inst.loinc_panel:
        fields["code"] = [{"system": LOINC, "code": inst.loinc_panel}]
    return Questionnaire(**fields)


def questionnaire_response(row: Administration, inst: Instrument) -> Any:
    """One administration: its chosen answers by linkId. Free text is never exported."""
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    items = [
        {"linkId": i.id, "answer": [{"valueInteger": int(row.answers[i.id])}]}
        for i in inst.items
        if i.numeric and row.answers.get(i.id) is not None
    ]
    fields: dict[str, Any] = {
        "id": str(row.pk),
        "questionnaire": f"{inst.url}|{row.instrument_version or inst.version}",
        "status": "completed",
        "subject": {"reference": _urn(row.client_id)},
        "authored": _instant(row.completed_at),
    }
    if items:
        fields["item"] = items
    return QuestionnaireResponse(**fields)


def observation(row: Administration, inst: Instrument) -> Any:
    """The total score, coded with LOINC where the instrument has a total code."""
    from fhir.resources.R4B.observation import Observation

    coding = (
        {"system": LOINC, "code": inst.loinc_total, "display": f"{inst.short_title} total score"}
        if inst.loinc_total
        else {"system": SCORE_SYSTEM, "code": f"{inst.key}-total"}
    )
    return Observation(
        id=str(uuid.uuid5(_NS, str(row.pk))),
        status="final",
        category=[
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        code={"coding": [coding], "text": f"{inst.short_title} total score"},
        subject={"reference": _urn(row.client_id)},
        effectiveDateTime=_instant(row.completed_at),
        valueQuantity={
            "value": row.total,
            "unit": "{score}",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        },
        derivedFrom=[{"reference": _urn(row.pk)}],
    )


def build_bundle(client: Client, rows: Sequence[Administration], *, now: dt.datetime) -> Any:
    """A collection Bundle: the Patient, a Questionnaire per instrument used, a
    QuestionnaireResponse per administration and an Observation per valid total."""
    from fhir.resources.R4B.bundle import Bundle

    entries: list[dict[str, Any]] = [{"fullUrl": _urn(client.pk), "resource": patient(client)}]
    instruments: dict[str, Instrument] = {}
    for row in rows:
        if row.instrument_key not in instruments:
            instruments[row.instrument_key] = load_instrument(row.instrument_key)
    for inst in instruments.values():
        entries.append({"fullUrl": inst.url, "resource": questionnaire(inst)})
    for row in rows:
        inst = instruments[row.instrument_key]
        entries.append({"fullUrl": _urn(row.pk), "resource": questionnaire_response(row, inst)})
        if row.valid and row.total is not None:
            obs = observation(row, inst)
            entries.append({"fullUrl": _urn(obs.id), "resource": obs})
    return Bundle(
        id=str(uuid.uuid4()),
        type="collection",
        timestamp=_instant(now),
        entry=entries,
    )
