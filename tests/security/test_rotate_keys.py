"""`plusone rotate-keys` re-encrypts every stored value under the new key, resumably."""

import json
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command

from personas import make_personas, totp_code
from plusone import audit
from plusone.audit.models import AuditEvent
from plusone.backup.rotation import encrypted_models, rotate_field_keys, stale_values
from plusone.clinical.models import Episode, Goal, SafetyPlan
from plusone.crypto.keyring import KeyRing, reset_field_key_ring

pytestmark = pytest.mark.django_db

K2 = ("k2", bytes(range(32)))


@pytest.fixture
def ring(settings):
    """Set the field key ring for one test; the cached ring is rebuilt before and after."""

    def use(*keys):
        settings.FIELD_KEY_RING = list(keys)
        reset_field_key_ring()

    yield use
    reset_field_key_ring()


def _plaintexts():
    """Every encrypted value of the personas' records, read through the models."""
    texts = {}
    for model in (Episode, Goal, SafetyPlan):
        field = "s2_intention" if model is Episode else "text"
        for row in model.objects.all():
            texts[(model.__name__, row.pk)] = getattr(row, field)
    return texts


def _key_ids():
    """The key id of every stored non-empty value, raw from the database."""
    kids = []
    for model, fields in encrypted_models():
        for row in model._base_manager.values_list(*[f.attname for f in fields]):
            kids += [KeyRing.key_id(v) for v in row if v]
    for data in Authenticator.objects.values_list("data", flat=True):
        kids += [KeyRing.key_id(data[k]) for k in ("secret", "seed") if data.get(k)]
    return kids


def _rotate(*args):
    out = StringIO()
    call_command("rotate-keys", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_rotates_k1_to_k2_and_reads_everything_back_without_k1(ring, settings):
    p = make_personas()
    old = settings.FIELD_KEY_RING[0]
    before = _plaintexts()
    assert len(before) >= 9 and set(_key_ids()) == {old[0]}

    ring(K2, old)
    report = _rotate("--batch-size", "2")

    assert report["remaining"] == 0 and report["failures"] == []
    assert report["rewritten"]["clinical.goal"] == Goal.objects.count()
    assert report["rewritten"]["mfa.authenticator"] == Authenticator.objects.count()
    assert set(_key_ids()) == {"k2"}
    # The old key is gone: everything still reads back, and TOTP still signs in.
    ring(K2)
    assert _plaintexts() == before
    alice_totp = Authenticator.objects.get(user=p.alice, type=Authenticator.Type.TOTP)
    assert TOTP(alice_totp).validate_code(totp_code(p.alice))


def test_it_records_one_audit_event_per_batch_without_health_information(ring, settings):
    p = make_personas()
    ring(K2, settings.FIELD_KEY_RING[0])
    report = _rotate("--batch-size", "2")
    events = AuditEvent.objects.filter(action="keys.rotate")
    assert events.count() >= report["batches"] > 1
    assert {e.target_id for e in events} == {"k2"}
    details = " ".join(json.dumps(e.detail) for e in events)
    assert "sister" not in details and "home in their own life" not in details
    assert audit.verify_chain(p.riverside).ok and audit.verify_chain(p.lakeview).ok


def test_it_resumes_after_an_interruption_and_skips_what_is_done(ring, settings):
    make_personas()
    before = _plaintexts()
    total = len(_key_ids())
    ring(K2, settings.FIELD_KEY_RING[0])

    def interrupt(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_field_keys(batch_size=2, after_batch=interrupt)
    kids = _key_ids()
    assert kids.count("k2") == 2 and stale_values() == total - 2
    assert _plaintexts() == before

    report = _rotate("--batch-size", "2")
    assert report["rows"] < total and report["remaining"] == 0
    assert set(_key_ids()) == {"k2"}
    assert _rotate()["rows"] == 0


def test_it_names_a_value_it_cannot_decrypt_and_exits_1(ring, settings):
    from django.core.management.base import CommandError

    make_personas()
    # A ring that has lost the key the data was written with.
    ring(K2)
    with pytest.raises(CommandError) as caught:
        _rotate()
    assert caught.value.returncode == 1


def test_it_refuses_a_batch_size_below_1():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as caught:
        _rotate("--batch-size", "0")
    assert caught.value.returncode == 2
