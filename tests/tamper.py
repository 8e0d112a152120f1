"""Tamper with the audit tables the way an attacker holding the table owner's role could.

On PostgreSQL the app's role has no UPDATE or DELETE on audit rows and
triggers refuse them (audit migration 0002). The owner can re-grant itself the
privileges and a purge-flagged transaction passes the triggers, so this helper
does both for one statement and takes them back before returning.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from plusone.audit.purge import PURGE_SQL

_GRANT = (
    "GRANT UPDATE, DELETE ON audit_auditevent TO CURRENT_USER;"
    "GRANT DELETE ON audit_chainhead TO CURRENT_USER"
)
_REVOKE = (
    "REVOKE UPDATE, DELETE ON audit_auditevent FROM CURRENT_USER;"
    "REVOKE DELETE ON audit_chainhead FROM CURRENT_USER"
)


def tamper(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    """Run one raw statement against the audit tables, past the PostgreSQL guard."""
    pg = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            cursor.execute(PURGE_SQL)
            for statement in _GRANT.split(";"):
                cursor.execute(statement)
        cursor.execute(sql, params)
        if pg:
            for statement in _REVOKE.split(";"):
                cursor.execute(statement)
            cursor.execute("SET LOCAL plusone.audit_purge = 'off'")
