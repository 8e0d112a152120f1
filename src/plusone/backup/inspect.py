"""What a manifest records about a database, read through any DB-API cursor.

The same functions read the snapshot at backup time (a raw ``sqlite3`` cursor
on the ``VACUUM INTO`` copy, or Django's cursor inside the transaction whose
snapshot ``pg_dump`` uses) and the restored database afterwards, so the two
sides are counted the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

AUDIT_HEAD_TABLE = "audit_chainhead"
MIGRATIONS_TABLE = "django_migrations"


def quote(name: str) -> str:
    """A table name as a quoted SQL identifier (both vendors use double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def table_names(cursor: Any, vendor: str) -> list[str]:
    """Every ordinary table of the database (SQLite's own ``sqlite_*`` tables left out)."""
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    elif vendor == "postgresql":
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    else:
        raise ValueError(f"unsupported database vendor {vendor!r}")
    return [row[0] for row in cursor.fetchall()]


def row_counts(cursor: Any, tables: list[str]) -> dict[str, int]:
    """The number of rows of each table."""
    counts: dict[str, int] = {}
    for table in tables:
        # The names come from the database's own catalogue, quoted; nothing from input.
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608  # nosec B608
        counts[table] = int(cursor.fetchone()[0])
    return counts


def migration_state(cursor: Any, tables: list[str]) -> dict[str, str]:
    """The latest applied migration of each app (migration names sort by their number)."""
    if MIGRATIONS_TABLE not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        if app not in latest or name > latest[app]:
            latest[app] = name
    return dict(sorted(latest.items()))


def audit_heads(cursor: Any, tables: list[str]) -> list[dict[str, Any]]:
    """Each practice's audit chain head: practice id, seq, MAC and key id."""
    if AUDIT_HEAD_TABLE not in tables:
        return []
    cursor.execute("SELECT practice_id, seq, mac, key_id FROM audit_chainhead")
    heads = [
        {"practice": str(uuid.UUID(str(pid))), "seq": int(seq), "mac": mac, "key_id": kid}
        for pid, seq, mac, kid in cursor.fetchall()
    ]
    return sorted(heads, key=lambda head: head["practice"])


def describe(cursor: Any, vendor: str) -> dict[str, Any]:
    """Tables with their row counts, the migration state and the audit heads."""
    tables = table_names(cursor, vendor)
    return {
        "tables": row_counts(cursor, tables),
        "migrations": migration_state(cursor, tables),
        "audit_heads": audit_heads(cursor, tables),
    }
