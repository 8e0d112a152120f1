"""Re-encrypting stored values under the active field key (``plusone rotate-keys``).

Covers every ``EncryptedTextField`` of every installed model (found through the
app registry) and the TOTP secrets and recovery-code seeds that allauth keeps
encrypted with the same key ring. Work goes in batches of rows in primary-key
order; each batch that changes anything is one transaction that also records
one audit event per practice it touched (counts and key ids only). A value
already under the active key is left alone, so an interrupted run resumes by
running again.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction

from plusone import audit
from plusone.accounts.adapter import MFAAdapter
from plusone.accounts.models import Membership, Practice
from plusone.clinical.models import Client
from plusone.crypto.fields import Ciphertext, EncryptedTextField
from plusone.crypto.keyring import DecryptionError, KeyRing, field_key_ring

# allauth keeps these keys of Authenticator.data encrypted with our adapter.
MFA_SECRET_KEYS = ("secret", "seed")


@dataclass
class Rotation:
    """What one run did: rows rewritten per model label, batches committed, failures."""

    key_id: str
    rewritten: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "rewritten": dict(sorted(self.rewritten.items())),
            "rows": sum(self.rewritten.values()),
            "batches": self.batches,
            "failures": self.failures,
        }


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every installed model with its EncryptedTextFields, in a stable order."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda pair: pair[0]._meta.label_lower)


def stale_values(ring: KeyRing | None = None) -> int:
    """How many stored values are not under the active key (0 when rotation is done)."""
    ring = ring or field_key_ring()
    count = 0
    for model, fields in encrypted_models():
        for row in model._base_manager.values_list(*[f.attname for f in fields]).iterator():
            count += sum(1 for v in row if v and KeyRing.key_id(v) != ring.active_kid)
    for data in _authenticators().values_list("data", flat=True).iterator():
        count += sum(1 for _, v in _mfa_values(data) if KeyRing.key_id(v) != ring.active_kid)
    return count


def rotate_field_keys(
    *, batch_size: int = 500, after_batch: Callable[[Rotation], None] | None = None
) -> Rotation:
    """Re-encrypt every value not under the active key of PLUSONE_FIELD_KEYS.

    The old keys must still be in the ring to decrypt. ``after_batch`` is
    called after each committed batch (progress; tests interrupt here).
    A value that cannot be decrypted is left as it is and named in
    ``failures``; the rest is still rotated.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ring = field_key_ring()
    result = Rotation(key_id=ring.active_kid)
    for model, fields in encrypted_models():
        for chunk in _chunks(model._base_manager.all(), batch_size):
            _rotate_rows(model, fields, chunk, ring, result, after_batch)
    for chunk in _chunks(_authenticators(), batch_size):
        _rotate_authenticators(chunk, ring, result, after_batch)
    return result


def _chunks(queryset: models.QuerySet[Any], size: int) -> Iterator[list[Any]]:
    """Primary keys of ``queryset`` in order, ``size`` at a time."""
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        pks = list(page.values_list("pk", flat=True)[:size])
        if not pks:
            return
        yield pks
        last = pks[-1]


def _rotate_rows(
    model: type[models.Model],
    fields: list[EncryptedTextField],
    pks: list[Any],
    ring: KeyRing,
    result: Rotation,
    after_batch: Callable[[Rotation], None] | None,
) -> None:
    label = model._meta.label_lower
    has_practice = any(f.attname == "practice_id" for f in model._meta.concrete_fields)
    columns = ["pk", *(["practice_id"] if has_practice else []), *[f.attname for f in fields]]
    with transaction.atomic():
        rows = model._base_manager.select_for_update().filter(pk__in=pks).values_list(*columns)
        per_practice: Counter[Any] = Counter()
        for row in rows:
            pk, practice_id = row[0], (row[1] if has_practice else None)
            values = row[2:] if has_practice else row[1:]
            changes = {}
            for f, value in zip(fields, values, strict=True):
                if not value or KeyRing.key_id(value) == ring.active_kid:
                    continue
                aad = f.associated_data(model(pk=pk))
                try:
                    changes[f.attname] = Ciphertext(ring.encrypt(ring.decrypt(value, aad), aad))
                except DecryptionError as exc:
                    result.failures.append(f"{label} {pk} {f.attname}: {exc}")
            if changes:
                model._base_manager.filter(pk=pk).update(**changes)
                per_practice[practice_id] += 1
        _record(label, per_practice, ring, result)
    if per_practice:
        result.rewritten[label] += sum(per_practice.values())
        result.batches += 1
        if after_batch:
            after_batch(result)


def _authenticators() -> models.QuerySet[Any]:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.all()


def _mfa_values(data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        return []
    return [(k, data[k]) for k in MFA_SECRET_KEYS if isinstance(data.get(k), str) and data[k]]


def _rotate_authenticators(
    pks: list[Any],
    ring: KeyRing,
    result: Rotation,
    after_batch: Callable[[Rotation], None] | None,
) -> None:
    from allauth.mfa.models import Authenticator

    aad = MFAAdapter.ASSOCIATED_DATA
    per_practice: Counter[Any] = Counter()
    with transaction.atomic():
        for auth in Authenticator.objects.select_for_update().filter(pk__in=pks):
            data = dict(auth.data)
            changed = False
            for key, value in _mfa_values(data):
                if KeyRing.key_id(value) == ring.active_kid:
                    continue
                try:
                    data[key] = ring.encrypt(ring.decrypt(value, aad), aad)
                    changed = True
                except DecryptionError as exc:
                    result.failures.append(f"mfa.authenticator {auth.pk} {key}: {exc}")
            if changed:
                Authenticator.objects.filter(pk=auth.pk).update(data=data)
                per_practice[_practice_of_user(auth.user_id)] += 1
        _record("mfa.authenticator", per_practice, ring, result)
    if per_practice:
        result.rewritten["mfa.authenticator"] += sum(per_practice.values())
        result.batches += 1
        if after_batch:
            after_batch(result)


def _practice_of_user(user_id: Any) -> uuid.UUID | None:

    membership = Membership.objects.filter(user_id=user_id).order_by("practice_id").first()
    if membership is not None:
        return membership.practice_id
    client = Client.objects.filter(portal_user_id=user_id).first()
    return client.practice_id if client is not None else None


def _record(label: str, per_practice: Counter[Any], ring: KeyRing, result: Rotation) -> None:
    """One audit event per practice touched by this batch: counts and key ids only."""

    for practice_id, rows in per_practice.items():
        if practice_id is None:
            # A user with no practice (none exist today) has no chain to record in.
            continue
        audit.record(
            practice=Practice.objects.get(pk=practice_id),
            actor=None,
            action="keys.rotate",
            target_type="crypto.field_keys",
            target_id=ring.active_kid,
            detail={"model": label, "rows": rows, "batch": result.batches + 1},
        )
