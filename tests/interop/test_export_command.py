"""``plusone export`` writes only the result on stdout, through the same access rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from journey_fixtures import give_history
from plusone.audit.models import AuditEvent
from plusone.custodian.models import Disclosure

pytestmark = pytest.mark.django_db


@pytest.fixture
def p(personas):
    give_history(personas.bob.episodes.get(), n=5, skipped=2, decision_session=3, rupture_session=4)
    return personas


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("export", *args, stdout=out)
    return out.getvalue()


def test_it_writes_a_fhir_bundle_for_alice_and_logs_the_disclosure(p):
    from fhir.resources.R4B.bundle import Bundle

    text = _run(
        "--client",
        str(p.bob.pk),
        "--format",
        "fhir",
        "--user",
        p.alice.email,
        "--recipient",
        "Dr Family",
        "--basis",
        "referral",
    )
    bundle = Bundle.model_validate_json(text)
    assert bundle.entry[0].resource.get_resource_type() == "Patient"
    assert Disclosure.objects.filter(client=p.bob, recipient_name="Dr Family").count() == 1
    assert AuditEvent.objects.filter(action="export.fhir").count() == 1


def test_it_writes_the_research_csv_for_erin(p):
    text = _run("--practice", str(p.riverside.pk), "--format", "research", "--user", p.erin.email)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and str(p.bob.pk) not in text
    assert AuditEvent.objects.filter(action="export.research").count() == 1


def test_it_tells_charlie_there_is_nothing_to_export(p):
    with pytest.raises(CommandError) as caught:
        _run(
            "--episode",
            str(p.bob.episodes.get().pk),
            "--format",
            "csv",
            "--user",
            p.charlie.email,
            "--recipient",
            "X",
            "--basis",
            "referral",
        )
    assert caught.value.returncode == 2
    assert not AuditEvent.objects.filter(action__startswith="export.").exists()


def test_it_refuses_an_identifiable_export_without_a_recipient(p):
    with pytest.raises(CommandError, match="recipient"):
        _run("--client", str(p.bob.pk), "--format", "csv", "--user", p.alice.email)
