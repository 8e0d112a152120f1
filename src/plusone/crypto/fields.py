"""EncryptedTextField: free text encrypted at rest, bound to its row."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from plusone.crypto.keyring import field_key_ring


class Sealed(str):
    """A ciphertext as loaded from the database, not yet decrypted."""


class Ciphertext(str):
    """A ciphertext produced by pre_save, ready to be written."""


class _DecryptingAttribute(DeferredAttribute):
    """Decrypts a loaded ciphertext on first access, with the row's pk as associated data."""

    def __get__(self, instance: models.Model | None, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is None or not isinstance(value, Sealed):
            return value
        field: EncryptedTextField = self.field  # type: ignore[assignment]
        plain = field_key_ring().decrypt(value, field.associated_data(instance))
        instance.__dict__[field.attname] = plain
        return plain

    # Defining __set__ makes this a data descriptor, so it wins over instance.__dict__.
    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text field stored as AES-256-GCM ciphertext (``v1:<kid>:<base64>``).

    The associated data is the model label, the field name and the row's UUID
    primary key (set before save), so a ciphertext moved to another row or
    column fails to decrypt. Values decrypt lazily on attribute access;
    ``.values()`` returns ciphertext. The empty string is stored as the empty
    string, so a CheckConstraint can test for "no text". The column can never
    be searched or ordered by content.
    """

    description = "Text encrypted with AES-256-GCM"
    descriptor_class = _DecryptingAttribute

    def associated_data(self, instance: models.Model) -> bytes:
        if instance.pk is None:
            raise ValueError(f"{type(instance).__name__} needs its UUID before encrypting")
        return f"{instance._meta.label_lower}.{self.attname}:{instance.pk}".encode()

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value in (None, ""):
            return value
        return Ciphertext(
            field_key_ring().encrypt(str(value), self.associated_data(model_instance))
        )

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        # Plaintext may reach the database only through pre_save, which encrypts it:
        # QuerySet.update(field="...") and lookups by content are refused.
        if value in (None, "") or isinstance(value, Ciphertext | Sealed):
            return super().get_db_prep_value(value, connection, prepared)
        raise TypeError(
            f"{self.model.__name__}.{self.name} is encrypted: save it through the instance"
        )

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return Sealed(value)
