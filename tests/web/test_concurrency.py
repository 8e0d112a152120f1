"""Concurrent writers on PostgreSQL: one consume wins, the audit chain stays whole.

SQLite's in-memory test database cannot host concurrent transactions; there
the IMMEDIATE transaction mode serialises writers instead.
"""

import datetime as dt
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from plusone import audit, tokens
from plusone.tokens import TokenError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)"
    ),
]


def _in_threads(n, work):
    barrier = threading.Barrier(n)
    results = []

    def run():
        from django.db import connections

        barrier.wait()
        try:
            results.append(work())
        except Exception as exc:  # the outcome under test
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_it_lets_exactly_one_of_two_simultaneous_submits_consume_the_token():
    from personas import make_personas

    p = make_personas()
    _, token = tokens.issue("checkin", practice=p.riverside, client=p.bob, ttl=dt.timedelta(days=1))

    def consume():
        with transaction.atomic():
            return tokens.consume(token)

    results = _in_threads(2, consume)
    errors = [r for r in results if isinstance(r, TokenError)]
    assert len(results) == 2 and len(errors) == 1 and errors[0].code == "used"


def test_it_keeps_the_chain_whole_under_concurrent_writers():
    from plusone.accounts.models import Practice

    practice = Practice.objects.create(name="Riverside")

    def write():
        for i in range(5):
            with transaction.atomic():
                audit.record(
                    practice=practice,
                    actor=None,
                    action="test.concurrent",
                    target_type="accounts.practice",
                    target_id=practice.pk,
                    detail={"i": i},
                )
        return "ok"

    assert _in_threads(4, write) == ["ok"] * 4
    result = audit.verify_chain(practice)
    assert result.ok and result.events == 20
    # Linear: seq 1..20 with no gap, each event linking to the one before it.
    from plusone.audit.models import AuditEvent

    events = list(AuditEvent.objects.filter(practice=practice).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, 21))
    assert [e.prev_mac for e in events] == ["", *[e.mac for e in events[:-1]]]
    out = StringIO()
    call_command("audit", "verify", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is True
