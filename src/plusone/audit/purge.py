"""The one door through which audit rows may be removed: test and restore code only.

On PostgreSQL the migration ``0002_append_only_on_postgresql`` revokes UPDATE
and DELETE on ``audit_auditevent`` (and DELETE on ``audit_chainhead``) from the
migrating role and PUBLIC, and installs triggers that reject UPDATE, DELETE
and TRUNCATE of audit rows unless the transaction-local setting
``plusone.audit_purge`` is ``on``. Nothing in the running app sets it.
"""

from __future__ import annotations

from django.db import connections, transaction

PURGE_SETTING = "plusone.audit_purge"
PURGE_SQL = f"SET LOCAL {PURGE_SETTING} = 'on'"


def allow_purge_in_this_transaction(using: str = "default") -> None:
    """Let the current transaction TRUNCATE (or, with privileges, delete) audit rows.

    Only test fixtures and ``plusone restore`` call this. It lasts until the
    transaction ends; outside ``transaction.atomic`` it raises, so it can never
    leak into a session. A no-op on SQLite, which has no triggers.
    """
    connection = connections[using]
    if not transaction.get_connection(using).in_atomic_block:
        raise AssertionError("allow_purge_in_this_transaction() needs transaction.atomic")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(PURGE_SQL)
