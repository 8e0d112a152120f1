"""Taking a backup (:func:`make_backup`) and restoring one (:func:`restore_backup`).

Consistency while the app runs:

- SQLite: one ``VACUUM INTO`` a fresh 0600 file in the data directory. It reads
  one snapshot in one step (the page-by-page backup API restarts on every
  write and may never finish). Counts, migrations and heads are read from
  that copy, so the manifest describes exactly what the dump holds.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot;
  ``pg_dump --snapshot`` dumps that snapshot while the same transaction
  counts rows and reads the heads.

Plaintext (the dump) exists only in a 0700 directory inside the data
directory and is removed in ``finally``. The backup file is written to a
temporary name, fsynced and renamed into place, mode 0600.

One module on purpose, though long: a backup and its restore are two halves of
one format; the manifest each writes is what the other checks, and they change
together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3

# pg_dump and pg_restore, run with argument lists and no shell.
import subprocess  # nosec B404
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction

from plusone.audit.purge import allow_purge_in_this_transaction
from plusone.backup import chains, inspect
from plusone.backup.archive import parse_recipients, read_archive, write_archive
from plusone.backup.errors import BackupError

FORMAT = "plusone-backup"
FORMAT_VERSION = 1
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Rows in any of these mean the database holds someone's data.
DATA_TABLES = ("accounts_practice", "accounts_user", "audit_auditevent")
# audit/0002_append_only_on_postgresql's privileges; pg_restore --no-privileges drops them.
AUDIT_REVOKES = (
    "REVOKE UPDATE, DELETE ON audit_auditevent FROM PUBLIC, CURRENT_USER",
    "REVOKE DELETE ON audit_chainhead FROM PUBLIC, CURRENT_USER",
)


def plusone_version() -> str:
    try:
        return metadata.version("plusone")
    except metadata.PackageNotFoundError:
        return "unknown"


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}", returncode=2)
    return vendor


@contextmanager
def _scratch() -> Iterator[Path]:
    """A private (0700) directory in the data directory, removed with all it holds."""
    root = Path(settings.DATA_DIR)
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".plusone-backup-", dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _new_private_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _pg_env() -> dict[str, str]:
    """libpq's environment for the configured database (the password never goes in argv)."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        value = str(db.get(key) or "")
        if value:
            env[var] = value
        else:
            env.pop(var, None)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools (postgresql-client)",
            returncode=2,
        )
    return path


def _run(argv: list[str], what: str) -> None:
    # An argument list with no shell; the password travels in PGPASSWORD.
    result = subprocess.run(  # noqa: S603  # nosec B603
        argv, env=_pg_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


# Backup ---------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    """The backup written, for the command's report."""

    path: Path
    size: int
    sha256: str
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "created_at": self.manifest["created_at"],
            "vendor": self.manifest["database"]["vendor"],
            "tables": len(self.manifest["tables"]),
            "rows": sum(self.manifest["tables"].values()),
            "audit_heads": len(self.manifest["audit_heads"]),
            "audit_anchors": len(self.manifest["audit_anchors"]),
        }


def default_output(now: dt.datetime) -> Path:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.DATA_DIR) / "backups" / f"plusone-{stamp}.tar.age"


def make_backup(*, output: Path | None, recipient: str | None) -> BackupResult:
    """Write one encrypted backup of the configured database; see the module docstring."""
    if recipient:
        recipients = parse_recipients(recipient, "--recipient")
    elif settings.BACKUP_RECIPIENT:
        recipients = parse_recipients(settings.BACKUP_RECIPIENT, "PLUSONE_BACKUP_RECIPIENT")
    else:
        raise BackupError(
            "no backup recipient: set PLUSONE_BACKUP_RECIPIENT (or give --recipient) to an "
            "age public key; PlusOne never writes an unencrypted backup",
            returncode=2,
        )
    vendor = _vendor()
    _refuse_unmigrated()
    now = dt.datetime.now(dt.UTC)
    target = (output or default_output(now)).absolute()
    if target.exists():
        raise BackupError(f"--output: {target} already exists; choose a new name", returncode=2)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _scratch() as scratch:
        dump = scratch / DUMP_NAMES[vendor]
        facts = _dump_sqlite(dump) if vendor == "sqlite" else _dump_postgresql(dump)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "plusone_version": plusone_version(),
            "database": {"vendor": vendor, "server_version": facts.pop("server_version")},
            "dump": {
                "name": dump.name,
                "size": dump.stat().st_size,
                "sha256": _sha256(dump),
            },
            **facts,
        }
        audit, warnings = chains.manifest_fields(facts["audit_heads"], now=now)
        manifest.update(audit)
        written = _write_atomically(target, manifest, dump, recipients)
    return BackupResult(target, written[0], written[1], manifest, warnings)


def _refuse_unmigrated() -> None:
    """A database PlusOne never migrated holds nothing to back up: say so, never write an
    empty backup (settings create the SQLite file early, private, so it exists anyway)."""
    if "django_migrations" not in connection.introspection.table_names():
        raise BackupError(
            "the database holds no PlusOne tables: run `plusone migrate` first", returncode=2
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(
    target: Path, manifest: dict[str, Any], dump: Path, recipients: list[Any]
) -> tuple[int, str]:
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            written = write_archive(
                handle, manifest, dump, DUMP_NAMES[manifest["database"]["vendor"]], recipients
            )
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        temp.unlink(missing_ok=True)
    return written.size, written.sha256


def _dump_sqlite(dump: Path) -> dict[str, Any]:
    source = Path(str(settings.DATABASES["default"]["NAME"]))
    if not source.exists():
        raise BackupError(f"the database {source} does not exist", returncode=2)
    _new_private_file(dump)
    # A connection of our own: VACUUM INTO reads one snapshot; WAL lets writers go on.
    live = sqlite3.connect(source, timeout=20)
    try:
        live.execute("VACUUM INTO ?", (str(dump),))
    finally:
        live.close()
    copy = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        facts = inspect.describe(copy.cursor(), "sqlite")
    finally:
        copy.close()
    return {"server_version": sqlite3.sqlite_version, **facts}


def _dump_postgresql(dump: Path) -> dict[str, Any]:
    pg_dump = _tool("pg_dump")
    _new_private_file(dump)
    with transaction.atomic(), connection.cursor() as cursor:
        # The first statement of the transaction: one snapshot for the counts and for pg_dump.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        facts = inspect.describe(cursor, "postgresql")
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--snapshot={snapshot}",
                f"--file={dump}",
            ],
            "pg_dump",
        )
    return {"server_version": server_version, **facts}


# Restore --------------------------------------------------------------------


@dataclass
class RestoreReport:
    """What restore did and what it checked; ``problems`` empty means every check passed."""

    backup: str
    created_at: str
    vendor: str
    tables: int = 0
    rows: int = 0
    practices: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    migrate_needed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "backup": self.backup,
            "created_at": self.created_at,
            "vendor": self.vendor,
            "tables": self.tables,
            "rows": self.rows,
            "practices": self.practices,
            "problems": self.problems,
            "notes": self.notes,
            "migrate_needed": self.migrate_needed,
        }


def restore_backup(*, source: Path, identities: list[Any], force: bool) -> RestoreReport:
    """Decrypt, verify and restore ``source`` into the configured database, then check it.

    Refuses (exit 2) to overwrite a database holding data without ``force``;
    refuses (exit 1) a damaged backup, a dump whose SHA-256 differs from the
    manifest, another vendor's backup, or one from a newer PlusOne.
    """
    if not source.is_file():
        raise BackupError(f"BACKUP: {source} is not a file", returncode=2)
    vendor = _vendor()
    with _scratch() as scratch:
        opened = read_archive(source, identities, scratch)
        manifest = opened.manifest
        _check_manifest(manifest, opened.dump_size, opened.dump_sha256, vendor)
        migrate_needed = _check_migrations(manifest["migrations"])
        _refuse_over_data(force)
        if vendor == "sqlite":
            _restore_sqlite(opened.dump_path)
        else:
            _restore_postgresql(opened.dump_path)
    report = RestoreReport(str(source), manifest["created_at"], vendor)
    report.migrate_needed = migrate_needed
    _check_restored(manifest, report)
    return report


def _check_manifest(manifest: dict[str, Any], size: int, sha256: str, vendor: str) -> None:
    if manifest.get("format") != FORMAT:
        raise BackupError("not a PlusOne backup: its manifest names another format")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"this backup has format version {manifest.get('format_version')!r}; this PlusOne "
            f"reads version {FORMAT_VERSION}"
        )
    dump = manifest.get("dump") or {}
    if dump.get("sha256") != sha256 or dump.get("size") != size:
        raise BackupError(
            "the database dump does not match the manifest's SHA-256: the backup is damaged"
        )
    theirs = (manifest.get("database") or {}).get("vendor")
    if theirs != vendor:
        raise BackupError(
            f"this is a backup of a {theirs} database, and the configured database is "
            f"{vendor}: restore it into a {theirs} database"
        )
    for key in ("tables", "migrations", "audit_heads", "created_at"):
        if key not in manifest:
            raise BackupError(f"not a PlusOne backup: the manifest has no {key!r}")


def _check_migrations(backed_up: dict[str, str]) -> bool:
    """Refuse a backup from a newer PlusOne; True when this code has newer migrations."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(f"{app}.{name}" for app, name in backed_up.items() if (app, name) not in known)
    if unknown:
        raise BackupError(
            "this backup comes from a newer PlusOne (migrations unknown here: "
            + ", ".join(unknown)
            + "); upgrade PlusOne before restoring"
        )
    latest: dict[str, str] = {}
    for app, name in known:
        latest[app] = max(latest.get(app, ""), name)
    return any(backed_up.get(app, "") < name for app, name in latest.items())


def _refuse_over_data(force: bool) -> None:
    if force:
        return
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        held = inspect.row_counts(cursor, [t for t in DATA_TABLES if t in tables])
    if any(held.values()):
        summary = ", ".join(f"{n} rows in {t}" for t, n in held.items() if n)
        raise BackupError(
            f"the configured database already holds data ({summary}); restore replaces "
            "everything in it, so it refuses without --force",
            returncode=2,
        )


def _restore_sqlite(dump: Path) -> None:
    target = Path(str(settings.DATABASES["default"]["NAME"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        _new_private_file(target)
    connections.close_all()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    live = sqlite3.connect(target, timeout=20)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the database in this backup fails SQLite's integrity check")
        # One step (pages=-1) under one write lock: the target is replaced as a whole or not at all.
        source.backup(live)
    finally:
        live.close()
        source.close()
    # The file holds health information: owner only, whoever created it.
    os.chmod(target, 0o600)


def _restore_postgresql(dump: Path) -> None:
    pg_restore = _tool("pg_restore")
    with transaction.atomic(), connection.cursor() as cursor:
        allow_purge_in_this_transaction()
        _empty_schema(cursor)
    connections.close_all()
    name = str(settings.DATABASES["default"]["NAME"])
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={name}",
            str(dump),
        ],
        "pg_restore (the database is now empty; fix the cause and run restore again)",
    )
    tables = set(connection.introspection.table_names())
    with transaction.atomic(), connection.cursor() as cursor:
        if {"audit_auditevent", "audit_chainhead"} <= tables:
            for statement in AUDIT_REVOKES:
                cursor.execute(statement)


def _empty_schema(cursor: Any) -> None:
    """Drop every table, view, sequence and function of the current schema."""
    # Tables first: CASCADE takes their indexes, triggers, constraints and owned sequences.
    for kinds, what in (
        (["r", "p"], "TABLE"),
        (["v"], "VIEW"),
        (["m"], "MATERIALIZED VIEW"),
        (["S"], "SEQUENCE"),
    ):
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind::text = ANY(%s)",
            [kinds],
        )
        for (name,) in cursor.fetchall():
            # Names from the catalogue, quoted.
            cursor.execute(f"DROP {what} IF EXISTS {inspect.quote(name)} CASCADE")
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
    )
    for (signature,) in cursor.fetchall():
        cursor.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")


def _check_restored(manifest: dict[str, Any], report: RestoreReport) -> None:
    """Row counts against the manifest, every chain verified, every head as backed up."""
    connections.close_all()
    with connection.cursor() as cursor:
        facts = inspect.describe(cursor, connection.vendor)
    counts = facts["tables"]
    expected = manifest["tables"]
    report.tables = len(counts)
    report.rows = sum(counts.values())
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            report.problems.append(
                f"table {table}: {counts.get(table, 'missing')} rows, the manifest says "
                f"{expected.get(table, 'missing')}"
            )
    chains.check_chains(manifest, facts["audit_heads"], report)
