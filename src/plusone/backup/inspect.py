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


def column_names(cursor: Any, vendor: str, table: str) -> set[str]:
    """The columns of ``table`` (a name from the catalogue, never from input)."""
    if vendor == "sqlite":
        cursor.execute(f"PRAGMA table_info({quote(table)})")
        return {row[1] for row in cursor.fetchall()}
    cursor.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        [table],
    )
    return {row[0] for row in cursor.fetchall()}


def audit_heads(cursor: Any, tables: list[str], vendor: str) -> list[dict[str, Any]]:
    """Each practice's audit chain head: practice id, seq, MAC, key id and its own MAC.

    ``head_mac`` is absent from a database older than audit/0003 (which signed heads).
    """
    if AUDIT_HEAD_TABLE not in tables:
        return []
    signed = "head_mac" in column_names(cursor, vendor, AUDIT_HEAD_TABLE)
    if signed:
        cursor.execute("SELECT practice_id, seq, mac, key_id, head_mac FROM audit_chainhead")
    else:
        cursor.execute("SELECT practice_id, seq, mac, key_id FROM audit_chainhead")
    heads = []
    for row in cursor.fetchall():
        head = {"practice": str(uuid.UUID(str(row[0]))), "seq": int(row[1]), "mac": row[2]}
        head["key_id"] = row[3]
        if signed:
            head["head_mac"] = row[4]
        heads.append(head)
    return sorted(heads, key=lambda head: head["practice"])


def describe(cursor: Any, vendor: str) -> dict[str, Any]:
    """Tables with their row counts, the migration state and the audit heads."""
    tables = table_names(cursor, vendor)
    return {
        "tables": row_counts(cursor, tables),
        "migrations": migration_state(cursor, tables),
        "audit_heads": audit_heads(cursor, tables, vendor),
    }
