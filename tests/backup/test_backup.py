"""`plusone backup` and `plusone restore`: encrypted, consistent, checked, on SQLite and PostgreSQL.

Every database here is a real one of its own (a SQLite file, or a PostgreSQL
database this module creates and drops), driven through the real commands in
subprocesses; nothing goes through the pytest process's Django connection.
PostgreSQL runs when DATABASE_URL names one (the CI's PostgreSQL step).
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyrage
import pytest

# About a minute per database: the fast tier leaves it out; the CI's slow SQLite step and
# its PostgreSQL step run it.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
POPULATION = Path(__file__).resolve().parent / "population.py"
# The sentinel in Bob's signed note (tests/access_fixtures.py).
NOTE_SENTINEL = b"SENTINEL-NOTE-7f3a river crossing"


def _key(kid: str) -> str:
    # Throwaway keys made fresh for each run: no secret, not even a test one, is committed.
    return f"{kid}:" + base64.urlsafe_b64encode(os.urandom(32)).decode()


K1, K2 = _key("k1"), _key("k2")
AUDIT_KEY = _key("a1")
SECRET_KEY = secrets.token_urlsafe(50)
IDENTITY = pyrage.x25519.Identity.generate()
RECIPIENT = str(IDENTITY.to_public())


@dataclass(frozen=True)
class Db:
    """One database and the environment of a PlusOne server that uses it."""

    vendor: str
    url: str
    data_dir: Path
    field_keys: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUSONE_", "DATABASE"))}
        env.update(
            PLUSONE_PROFILE="test",
            PLUSONE_DATA_DIR=str(self.data_dir),
            DATABASE_URL=self.url,
            PLUSONE_SECRET_KEY=SECRET_KEY,
            PLUSONE_FIELD_KEYS=self.field_keys,
            PLUSONE_AUDIT_KEY=AUDIT_KEY,
        )
        env.update(extra)
        return env

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            env=self.env(**extra),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=110,
            check=False,
        )

    def plusone(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "plusone.cli", *args, **extra)

    def ok(self, *args: str, **extra: str) -> str:
        done = self.plusone(*args, **extra)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done.stdout


def _pg_base() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname or "",
        port=parts.port or 5432,
        user=parts.username or "",
        password=parts.password or "",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


class Factory:
    """Makes fresh, empty databases of one vendor, and drops them at the end."""

    def __init__(self, vendor: str, root: Path) -> None:
        self.vendor, self.root, self.made = vendor, root, []
        self.base = _pg_base() or ""

    def new(self, name: str, field_keys: str) -> Db:
        data_dir = self.root / f"data-{name}"
        data_dir.mkdir(parents=True, exist_ok=True)
        if self.vendor == "sqlite":
            url = f"sqlite:///{self.root / (name + '.sqlite3')}"
        else:
            parts = urlsplit(self.base)
            db_name = f"{parts.path.lstrip('/')}_bk_{name}"
            _pg_admin(self.base, f'DROP DATABASE IF EXISTS "{db_name}"')
            _pg_admin(self.base, f'CREATE DATABASE "{db_name}"')
            self.made.append(db_name)
            url = parts._replace(path="/" + db_name).geturl()
        return Db(self.vendor, url, data_dir, field_keys)

    def untouched(self) -> Db:
        """One empty database shared by the tests whose restore must refuse before writing."""
        if not hasattr(self, "_untouched"):
            self._untouched = self.new("untouched", K2)
        return self._untouched

    def drop_all(self) -> None:
        for db_name in self.made:
            _pg_admin(self.base, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _vendors() -> list[Any]:
    pg_missing = shutil.which("pg_dump") is None and os.environ.get("CI") != "true"
    skip_pg = pytest.mark.skipif(
        _pg_base() is None or pg_missing,
        reason="PostgreSQL runs when DATABASE_URL names one and pg_dump is installed",
    )
    # One database per CI step: the SQLite step runs these, the PostgreSQL step the others.
    skip_sqlite = pytest.mark.skipif(
        _pg_base() is not None, reason="SQLite runs in the SQLite step (DATABASE_URL unset)"
    )
    return [pytest.param("sqlite", marks=skip_sqlite), pytest.param("postgresql", marks=skip_pg)]


@pytest.fixture(scope="module", params=_vendors())
def factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Factory]:
    made = Factory(request.param, tmp_path_factory.mktemp(request.param))
    yield made
    made.drop_all()


@dataclass
class Source:
    db: Db
    backup: Path

    @property
    def manifest(self) -> dict[str, Any]:
        return _open(self.backup)[0]


@pytest.fixture(scope="module")
def source(factory: Factory) -> Source:
    """A populated database, its field keys rotated k1 → k2, then backed up."""
    db = factory.new("src", K1)
    db.ok("migrate", "--no-input", "-v", "0")
    populated = db.run(str(POPULATION), "populate")
    assert populated.returncode == 0, populated.stderr[-3000:]
    db = replace(db, field_keys=f"{K2},{K1}")
    rotated = json.loads(db.ok("rotate-keys", "--format", "json"))
    assert rotated["rows"] > 0 and rotated["remaining"] == 0
    backup = factory.root / "src.tar.age"
    result = json.loads(
        db.ok("backup", "--output", str(backup), "--format", "json", "--recipient", RECIPIENT)
    )
    assert result["path"] == str(backup) and result["size"] == backup.stat().st_size
    return Source(db, backup)


def _open(backup: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decrypt a backup in memory (the test's own reading): its manifest and members."""
    plain = pyrage.decrypt(backup.read_bytes(), [IDENTITY])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    return json.loads(members["manifest.json"]), members


def _connect(db: Db) -> Any:
    if db.vendor == "sqlite":
        return sqlite3.connect(db.url.removeprefix("sqlite:///"))
    import psycopg

    return psycopg.connect(db.url)


def _query(db: Db, sql: str) -> list[tuple[Any, ...]]:
    conn = _connect(db)
    try:
        return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def _rows(db: Db) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, raw (encrypted columns stay ciphertext), in a stable order."""
    if db.vendor == "sqlite":
        names = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    else:
        names = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    conn = _connect(db)
    try:
        tables = [r[0] for r in conn.execute(names).fetchall()]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
        }
    finally:
        conn.close()


def _restore(
    db: Db, backup: Path, *flags: str, identity: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    if identity is None:
        identity = db.data_dir.parent / "identity.txt"
        identity.write_text(f"# public key: {RECIPIENT}\n{IDENTITY}\n", encoding="utf-8")
    return db.plusone(
        "restore", str(backup), "--identity", str(identity), "--format", "json", *flags, **extra
    )


def test_it_round_trips_every_row_after_a_key_rotation(factory: Factory, source: Source) -> None:
    target = factory.new("roundtrip", K2)  # the restoring server holds only the new key
    done = _restore(target, source.backup)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["ok"] and report["problems"] == []

    before, after = _rows(source.db), _rows(target)
    assert sorted(after) == sorted(before)
    assert sum(len(rows) for rows in before.values()) > 200
    different = [t for t in before if before[t] != after[t]]
    assert different == []
    # The ciphertext came back as it was, and the new key alone still decrypts it.
    read = target.run(str(POPULATION), "read")
    assert read.returncode == 0, read.stderr[-3000:]
    assert json.loads(read.stdout) == {
        "note": NOTE_SENTINEL.decode() + " (risk_assessment)",
        "key_ids": ["k2"],
    }


def test_it_writes_every_practices_audit_head_into_the_manifest(
    factory: Factory, source: Source
) -> None:
    in_db = sorted(_query(source.db, "SELECT seq, mac FROM audit_chainhead"))
    assert len(in_db) == 2 and len(source.manifest["audit_heads"]) == 2
    in_manifest = sorted((h["seq"], h["mac"]) for h in source.manifest["audit_heads"])
    assert in_manifest == in_db
    assert min(seq for seq, _ in in_manifest) > 1
    assert source.manifest["database"]["vendor"] == factory.vendor
    assert (
        source.manifest["migrations"]["audit"] == "0004_seal_events_recorded_before_ids_were_signed"
    )
    assert source.manifest["tables"]["notes_sessionnote"] == 1

    target = factory.new("heads", K2)
    report = json.loads(_restore(target, source.backup).stdout)
    assert sorted(p["head_seq"] for p in report["practices"]) == sorted(s for s, _ in in_manifest)
    assert all(p["chain_ok"] and p["head_matches"] for p in report["practices"])


def test_it_anchors_every_practices_signed_head_in_the_manifest(
    factory: Factory, source: Source
) -> None:
    manifest = source.manifest
    anchors = manifest["audit_anchors"]
    heads = {h["practice"]: h for h in manifest["audit_heads"]}
    assert sorted(a["practice"] for a in anchors) == sorted(heads)
    for anchor in anchors:
        head = heads[anchor["practice"]]
        assert (anchor["seq"], anchor["mac"], anchor["head_mac"]) == (
            head["seq"],
            head["mac"],
            head["head_mac"],
        )
    assert set(manifest["audit_keys"]) == {"a1"}
    # The manifest's anchors, saved as a file, check the source's chains like any anchor file.
    saved = factory.root / "manifest-anchors.jsonl"
    saved.write_text("".join(json.dumps(a) + "\n" for a in anchors), encoding="utf-8")
    verified = json.loads(source.db.ok("audit", "verify", "--anchors", str(saved)))
    assert verified["ok"] and verified["anchors"]["used"] == 2


def test_it_says_the_audit_key_differs_rather_than_forged(factory: Factory, source: Source) -> None:
    other_key = _key("a1")  # the same key id, other bytes: two servers that each made their own

    done = _restore(factory.new("otherkey", K2), source.backup, PLUSONE_AUDIT_KEY=other_key)

    assert done.returncode == 1
    assert "the audit key differs from the backup's (key id a1)" in done.stderr
    assert "edited or forged" not in done.stderr
    report = json.loads(done.stdout)
    assert [p["chain_ok"] for p in report["practices"]] == [None, None]
    assert all(p["head_matches"] for p in report["practices"])
    assert len(report["problems"]) == 1


def test_it_writes_no_plaintext_and_only_for_its_owner(factory: Factory, source: Source) -> None:
    raw = source.backup.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1\n")
    for plain in (
        NOTE_SENTINEL,
        b"SQLite format 3",
        b"PGDMP",
        b"manifest.json",
        b"audit_chainhead",
    ):
        assert plain not in raw
    assert source.backup.stat().st_mode & 0o777 == 0o600
    # The dump's plaintext did not outlive the backup.
    assert [p.name for p in source.db.data_dir.iterdir() if p.name.startswith(".plusone")] == []
    # Yet the dump in it is the whole database: the sentinel's ciphertext row is there.
    _, members = _open(source.backup)
    assert set(members) == {"manifest.json", source.manifest["dump"]["name"]}


def test_it_refuses_a_tampered_backup(factory: Factory, source: Source) -> None:
    tampered = factory.root / "tampered.tar.age"
    raw = bytearray(source.backup.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    tampered.write_bytes(bytes(raw))
    target = factory.untouched()

    done = _restore(target, tampered)

    assert done.returncode == 1
    assert "this backup is damaged or was altered" in done.stderr
    assert done.stdout == ""
    assert "accounts_user" not in _rows(target)


def _forge(source: Source, path: Path, *, manifest: Any = None, dump: Any = None) -> Path:
    """Re-encrypt the source backup to the same key after editing its manifest or dump."""
    old_manifest, members = _open(source.backup)
    dump_name = old_manifest["dump"]["name"]
    new_manifest = manifest(old_manifest) if manifest else old_manifest
    body = {
        "manifest.json": json.dumps(new_manifest).encode(),
        dump_name: dump(members[dump_name]) if dump else members[dump_name],
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in body.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(pyrage.encrypt(buffer.getvalue(), [IDENTITY.to_public()]))
    return path


def test_it_refuses_a_dump_that_does_not_match_its_manifest(
    factory: Factory, source: Source
) -> None:
    def flip(data: bytes) -> bytes:
        return data[:-100] + bytes([data[-100] ^ 0x01]) + data[-99:]

    forged = _forge(source, factory.root / "forged-dump.tar.age", dump=flip)

    done = _restore(factory.untouched(), forged)

    assert done.returncode == 1
    assert "does not match the manifest's SHA-256" in done.stderr
    assert "accounts_user" not in _rows(factory.untouched())


def test_it_fails_when_the_restored_database_differs_from_the_manifest(
    factory: Factory, source: Source
) -> None:
    def edit(manifest: dict[str, Any]) -> dict[str, Any]:
        manifest["audit_heads"][0]["mac"] = "0" * 64
        manifest["tables"]["notes_sessionnote"] += 1
        return manifest

    forged = _forge(source, factory.root / "forged-manifest.tar.age", manifest=edit)

    done = _restore(factory.new("differs", K2), forged)

    assert done.returncode == 1
    assert "table notes_sessionnote: 1 rows, the manifest says 2" in done.stderr
    assert "the audit chain head differs from the manifest's" in done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is False and len(report["problems"]) == 2


def test_it_refuses_another_vendors_backup_and_a_newer_plusones(
    factory: Factory, source: Source
) -> None:
    other = "postgresql" if factory.vendor == "sqlite" else "sqlite"

    def vendor(manifest: dict[str, Any]) -> dict[str, Any]:
        manifest["database"]["vendor"] = other
        return manifest

    def newer(manifest: dict[str, Any]) -> dict[str, Any]:
        manifest["migrations"]["audit"] = "9999_from_the_future"
        return manifest

    wrong_vendor = _restore(
        factory.untouched(), _forge(source, factory.root / "vendor.tar.age", manifest=vendor)
    )
    too_new = _restore(
        factory.untouched(), _forge(source, factory.root / "newer.tar.age", manifest=newer)
    )

    assert wrong_vendor.returncode == 1
    assert f"this is a backup of a {other} database" in wrong_vendor.stderr
    assert too_new.returncode == 1
    assert "comes from a newer PlusOne" in too_new.stderr
    assert "audit.9999_from_the_future" in too_new.stderr
    assert "accounts_user" not in _rows(factory.untouched())


def test_it_refuses_to_back_up_a_database_never_migrated(factory: Factory, source: Source) -> None:
    # An empty database (the SQLite file exists: settings create it, private, at start-up).
    empty = factory.new("never-migrated", K1)
    out = factory.root / "empty.tar.age"
    done = empty.plusone("backup", "--output", str(out), "--recipient", RECIPIENT)
    assert done.returncode == 2, done.stderr
    assert "holds no PlusOne tables: run `plusone migrate` first" in done.stderr
    assert not out.exists()


def test_it_refuses_a_wrong_identity(factory: Factory, source: Source) -> None:
    other = factory.root / "other-identity.txt"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n", encoding="utf-8")

    done = _restore(factory.untouched(), source.backup, identity=other)

    assert done.returncode == 1
    assert "this identity cannot decrypt this backup" in done.stderr


def test_it_refuses_to_back_up_without_a_usable_recipient(factory: Factory, source: Source) -> None:
    out = factory.root / "never.tar.age"
    none = source.db.plusone("backup", "--output", str(out))
    assert none.returncode == 2
    assert (
        "no backup recipient" in none.stderr and "never writes an unencrypted backup" in none.stderr
    )
    bad = source.db.plusone("backup", "--output", str(out), PLUSONE_BACKUP_RECIPIENT="age1nothing")
    assert bad.returncode == 2
    assert "PLUSONE_BACKUP_RECIPIENT is not an age public key" in bad.stderr
    assert not out.exists()
    # The setting alone is enough.
    assert (
        source.db.plusone(
            "backup", "--output", str(out), PLUSONE_BACKUP_RECIPIENT=RECIPIENT
        ).returncode
        == 0
    )
    assert _open(out)[0]["audit_heads"] == source.manifest["audit_heads"]


def test_it_replaces_a_database_that_holds_data_only_with_force(
    factory: Factory, source: Source
) -> None:
    target = factory.new("force", K2)
    assert _restore(target, source.backup).returncode == 0
    # Something to lose: one more check-in, and its audit events.
    wrote = target.run(str(POPULATION), "write", str(factory.root / "no-stop-file"), "1")
    assert wrote.returncode == 0, wrote.stderr[-3000:]
    grown = _rows(target)["audit_auditevent"]

    refused = _restore(target, source.backup)
    assert refused.returncode == 2
    assert "already holds data" in refused.stderr and "--force" in refused.stderr
    assert _rows(target)["audit_auditevent"] == grown

    forced = _restore(target, source.backup, "--force")
    assert forced.returncode == 0, forced.stderr[-3000:]
    assert _rows(target) == _rows(source.db)


def test_it_backs_up_consistently_while_check_ins_arrive(factory: Factory, source: Source) -> None:
    live = factory.new("live", K2)
    assert _restore(live, source.backup).returncode == 0
    stop = factory.root / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, str(POPULATION), "write", str(stop)],
        env=live.env(),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        start = _sittings(live)
        _wait_for(live, start + 3)
        backup = factory.root / "live.tar.age"
        live.ok("backup", "--output", str(backup), "--recipient", RECIPIENT)
        during = _sittings(live)
        _wait_for(live, during + 3)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err[-3000:]
    assert int(out) >= 6
    manifest = _open(backup)[0]
    # The snapshot fell while the writer ran, and the manifest counted that snapshot.
    assert start + 3 <= manifest["tables"]["measures_sitting"] <= during

    target = factory.new("live-restored", K2)
    done = _restore(target, backup)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["ok"] and all(p["chain_ok"] and p["head_matches"] for p in report["practices"])


def _sittings(db: Db) -> int:
    return int(_query(db, "SELECT COUNT(*) FROM measures_sitting")[0][0])


def _wait_for(db: Db, sittings: int) -> None:
    deadline = time.monotonic() + 30
    while _sittings(db) < sittings and time.monotonic() < deadline:
        time.sleep(0.05)
