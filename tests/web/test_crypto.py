"""EncryptedTextField: AES-256-GCM at rest, bound to its row, with a key ring."""

import base64

import pytest
from django.db import connection

from personas import make_personas
from plusone.clinical.models import Episode, SafetyPlan
from plusone.crypto.keyring import DecryptionError, KeyRing

pytestmark = pytest.mark.django_db


def _raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return cursor.fetchone()[0]


def test_it_reads_back_what_was_written():
    p = make_personas()
    plan = SafetyPlan.objects.get(client=p.bob)
    assert plan.text == "Bob's safety plan: call my sister"


def test_it_keeps_no_plaintext_in_the_database_column():
    p = make_personas()
    plan = SafetyPlan.objects.get(client=p.bob)
    raw = _raw("clinical_safetyplan", "text", plan.pk)
    assert raw.startswith("v1:k1:")
    assert "sister" not in raw
    episode = p.bob.episodes.get()
    assert "home in their own life" not in _raw("clinical_episode", "s2_intention", episode.pk)


def test_it_refuses_a_ciphertext_moved_to_another_row():
    p = make_personas()
    bobs = SafetyPlan.objects.get(client=p.bob)
    daves = SafetyPlan.objects.get(client=p.dave)
    stolen = _raw("clinical_safetyplan", "text", bobs.pk)
    with connection.cursor() as cursor:
        pk = daves.pk.hex if connection.vendor == "sqlite" else daves.pk
        cursor.execute("UPDATE clinical_safetyplan SET text = %s WHERE id = %s", [stolen, pk])
    with pytest.raises(DecryptionError):
        _ = SafetyPlan.objects.get(pk=daves.pk).text


def test_it_refuses_a_bulk_update_that_would_store_plaintext():
    p = make_personas()
    with pytest.raises(TypeError):
        Episode.objects.filter(client=p.bob).update(s2_intention="plaintext")


def test_it_refuses_to_search_by_encrypted_content():
    make_personas()
    with pytest.raises(TypeError):
        list(SafetyPlan.objects.filter(text="Bob's safety plan: call my sister"))


def _key(byte):
    return bytes([byte]) * 32


def test_it_decrypts_with_an_older_key_after_rotation():
    old = KeyRing([("k1", _key(1))])
    sealed = old.encrypt("words", b"row-1")
    rotated = KeyRing([("k2", _key(2)), ("k1", _key(1))])
    assert rotated.decrypt(sealed, b"row-1") == "words"
    assert KeyRing.key_id(rotated.encrypt("words", b"row-1")) == "k2"


def test_it_refuses_an_unknown_key_id():
    sealed = KeyRing([("k9", _key(9))]).encrypt("words", b"row")
    with pytest.raises(DecryptionError):
        KeyRing([("k1", _key(1))]).decrypt(sealed, b"row")


def test_it_detects_a_flipped_bit():
    ring = KeyRing([("k1", _key(1))])
    prefix, kid, blob = ring.encrypt("words", b"row").split(":")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        ring.decrypt(f"{prefix}:{kid}:{base64.b64encode(bytes(raw)).decode()}", b"row")


def test_it_uses_a_fresh_nonce_every_time():
    ring = KeyRing([("k1", _key(1))])
    assert ring.encrypt("same", b"row") != ring.encrypt("same", b"row")
