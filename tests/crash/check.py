"""Check a crash-test database after the kill and the retries (run as a script).

    python tests/crash/check.py EXPECTED_JSON

EXPECTED_JSON holds ``{"links": {raw_token: {"acked": bool, "risk": int, "groups": [...]}}}``:
what each client saw and posted. Prints a JSON report: the counts, every broken
invariant (``problems``) and the database's own integrity checks. The invariants:

1. Each link has at most one Sitting, and every acknowledged link exactly one
   (``duplicates`` and ``losses``).
2. A link is marked used exactly when its Sitting exists (no consumed link without
   its sitting, no sitting without its consumed link).
3. A completed Sitting holds one Administration per group the client posted, no
   more and no fewer; each Administration belongs to a completed Sitting of its own
   link, has its answers and instrument version, and a total (and a PHQ-9 or GAD-7 band)
   when valid.
4. Every risk answer has its flag: a Sitting's risk grade is the worst of its
   Administrations', a Sitting with a risk grade has exactly one Flag, its own (named by
   its link, or by one of its Administrations before December 2026), with that grade
   (capped at 3), and one without has none. A flag opened when a group was saved, whose
   sitting was never sent, stays open with its answer on a link that exists. A client
   who answered PHQ-9 item 9 above 0 has that answer stored with a risk grade.
5. The episode summary agrees with the rows: the open-flag count, the latest primary
   total and the not-completed count.
6. Every Sitting has one ``checkin.submit`` audit row and every Administration one
   ``administration.create``; no check-in draft outlives its sitting.
7. The database itself: SQLite ``PRAGMA integrity_check`` = ok and an empty
   ``foreign_key_check``; PostgreSQL amcheck ``bt_index_check(index, true)`` on every
   btree index and ``verify_heapam`` on every table of the schema.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# Instruments whose valid score always falls in a severity band.
BANDED = ("phq9", "gad7")


def main(expected_file: Path) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")
    django.setup()
    from django.db import connection

    from plusone.audit.models import AuditEvent
    from plusone.clinical.models import EpisodeSummary, Flag
    from plusone.measures.models import Administration, CheckinDraft, Sitting, SittingStatus
    from plusone.tokens.models import AccessToken
    from plusone.tokens.service import hash_token

    links: dict[str, dict[str, Any]] = json.loads(expected_file.read_text())["links"]
    problems: list[str] = []
    tokens = {t.token_hash: t for t in AccessToken.objects.all()}
    sittings_by_key: dict[str, list[Any]] = {}
    for s in Sitting.objects.all():
        sittings_by_key.setdefault(s.idempotency_key, []).append(s)
    admins_by_sitting: dict[Any, list[Any]] = {}
    for a in Administration.objects.all():
        admins_by_sitting.setdefault(a.sitting_id, []).append(a)
    flags_by_source = Counter(str(f.source_id) for f in Flag.objects.all())
    flags = list(Flag.objects.all())
    audits = Counter(
        (e.action, e.target_id)
        for e in AuditEvent.objects.filter(action__in=["checkin.submit", "administration.create"])
    )

    stored = duplicates = losses = 0
    for n, (raw, seen) in enumerate(links.items()):
        token = tokens.get(hash_token(raw))
        if token is None:
            problems.append(f"link #{n}: no such token")
            continue
        found = sittings_by_key.get(str(token.pk), [])
        if len(found) > 1:
            duplicates += len(found) - 1
            problems.append(f"link #{n}: stored {len(found)} times")
        if not found:
            if seen["acked"]:
                losses += 1
                problems.append(f"link #{n}: acknowledged but not stored")
            if token.used_at is not None:
                problems.append(f"link #{n}: marked used without a sitting")
            continue
        stored += 1
        sitting = found[0]
        if token.used_at is None:
            problems.append(f"link #{n}: a sitting but the link is not marked used")
        admins = admins_by_sitting.get(sitting.pk, [])
        keys = Counter(a.instrument_key for a in admins)
        if any(c > 1 for c in keys.values()):
            duplicates += sum(c - 1 for c in keys.values())
            problems.append(f"link #{n}: an instrument stored twice: {dict(keys)}")
        if sitting.status == SittingStatus.COMPLETED and set(keys) != set(seen["groups"]):
            problems.append(
                f"link #{n}: stored {sorted(keys)} but the client posted {sorted(seen['groups'])}"
            )
        if seen["risk"] > 0:
            phq9 = [a for a in admins if a.instrument_key == "phq9"]
            if not phq9 or phq9[0].answers.get("phq9_9") != seen["risk"] or not phq9[0].risk_grade:
                problems.append(f"link #{n}: the PHQ-9 item 9 answer or its risk grade is missing")
        if CheckinDraft.objects.filter(token_id=str(token.pk)).exists():
            problems.append(f"link #{n}: a draft outlived its sitting")

    for s in Sitting.objects.all():
        admins = admins_by_sitting.get(s.pk, [])
        if s.status == SittingStatus.COMPLETED and not admins:
            problems.append(f"sitting {s.pk}: completed without administrations")
        worst = max((a.risk_grade for a in admins), default=0)
        if s.risk_grade != worst:
            problems.append(f"sitting {s.pk}: risk grade {s.risk_grade}, worst answer {worst}")
        # The sitting's one flag names its link (or, before December 2026, an administration).
        opened = [
            f
            for f in flags
            if (f.source_kind == "checkin" and str(f.source_id) == s.idempotency_key)
            or (f.source_kind == "administration" and f.source_id in {a.pk for a in admins})
        ]
        if worst and (len(opened) != 1 or opened[0].grade != min(worst, 3)):
            problems.append(f"sitting {s.pk}: risk grade {worst} with {len(opened)} flags")
        if not worst and opened:
            problems.append(f"sitting {s.pk}: a flag without a risk answer")
        if audits[("checkin.submit", str(s.pk))] != 1:
            problems.append(
                f"sitting {s.pk}: {audits[('checkin.submit', str(s.pk))]} submit audits"
            )
        for a in admins:
            if not a.idempotency_key.startswith(f"{s.idempotency_key}:"):
                problems.append(f"administration {a.pk}: not its sitting's link")
            if not a.answers or not a.instrument_version:
                problems.append(f"administration {a.pk}: no answers or instrument version")
            if a.valid and a.total is None:
                problems.append(f"administration {a.pk}: valid without its total")
            if a.valid and a.instrument_key in BANDED and not a.band:
                problems.append(f"administration {a.pk}: valid without its band")
            if audits[("administration.create", str(a.pk))] != 1:
                problems.append(f"administration {a.pk}: not audited exactly once")
    if None in admins_by_sitting:
        problems.append(f"{len(admins_by_sitting[None])} administrations without a sitting")
    for source, count in flags_by_source.items():
        if count > 1:
            problems.append(f"source {source}: {count} flags")
    # A flag opened when a group was saved, its sitting never sent (killed, or abandoned):
    # it stays, with the answer that opened it, on a link that exists.
    links_by_id = {str(t.pk) for t in tokens.values()}
    for f in flags:
        early = f.source_kind == "checkin" and str(f.source_id) not in sittings_by_key
        if early and (str(f.source_id) not in links_by_id or not f.answer or f.status != "open"):
            problems.append(f"flag {f.pk}: opened before its sitting, but not as it should")

    for summary in EpisodeSummary.objects.select_related("episode"):
        episode = summary.episode
        open_flags = sum(1 for f in flags if f.episode_id == episode.pk and f.status == "open")
        if summary.open_flag_count != open_flags:
            problems.append(
                f"episode {episode.pk}: summary says {summary.open_flag_count} open flags, "
                f"rows say {open_flags}"
            )
        latest = (
            Administration.objects.filter(
                episode=episode, instrument_key=episode.primary_instrument, risk_item_only=False
            )
            .order_by("-completed_at")
            .first()
        )
        if latest is not None and summary.latest_total != latest.total:
            problems.append(f"episode {episode.pk}: summary total is not the latest")
        skipped = Sitting.objects.filter(episode=episode, status=SittingStatus.SKIPPED).count()
        if summary.not_completed_count > skipped:
            problems.append(f"episode {episode.pk}: not-completed count above the rows")

    integrity = database_checks(connection)
    return {
        "links": len(links),
        "stored": stored,
        "duplicates": duplicates,
        "losses": losses,
        "sittings": sum(len(v) for v in sittings_by_key.values()),
        "administrations": sum(len(v) for v in admins_by_sitting.values()),
        "flags": len(flags),
        "problems": problems[:50],
        "problem_count": len(problems),
        "integrity": integrity,
    }


def database_checks(connection: Any) -> dict[str, Any]:
    """The engine's own verdict on the file or the heap and indexes."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            verdict = [row[0] for row in cursor.fetchall()]
            cursor.execute("PRAGMA foreign_key_check")
            orphans = [list(row) for row in cursor.fetchall()]
            cursor.execute("PRAGMA journal_mode")
            return {
                "engine": "sqlite",
                "journal_mode": cursor.fetchone()[0],
                "ok": verdict == ["ok"] and not orphans,
                "integrity_check": verdict,
                "foreign_key_check": orphans,
            }
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE am.amname = 'btree' AND n.nspname = 'public' ORDER BY 1"
        )
        indexes = [row[0] for row in cursor.fetchall()]
        for index in indexes:
            # Raises on corruption; heapallindexed also proves every heap tuple is indexed.
            cursor.execute("SELECT bt_index_check(%s::regclass, true)", [index])
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'm') AND n.nspname = 'public' ORDER BY 1"
        )
        tables = [row[0] for row in cursor.fetchall()]
        corrupt: list[list[Any]] = []
        for table in tables:
            cursor.execute("SELECT * FROM verify_heapam(%s::regclass)", [table])
            corrupt += [[table, *map(str, row)] for row in cursor.fetchall()]
        return {
            "engine": "postgresql",
            "ok": not corrupt,
            "btree_indexes_checked": len(indexes),
            "tables_checked": len(tables),
            "verify_heapam": corrupt[:20],
        }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
