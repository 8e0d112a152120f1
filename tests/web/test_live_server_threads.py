"""The test server's SQLite database is a file, so every request thread has its own connection.

With pytest-django's default in-memory SQLite, the live server's request threads all share
one connection. Two requests at once (a check-in's autosave still in flight when the client
presses "Send my answers") then meet inside one connection and SQLite answers "database
table is locked": a 500 where a client expects "saved". A PlusOne practice on SQLite keeps
a file in WAL mode, where the IMMEDIATE transaction mode and the busy timeout queue writers
instead; the test server now runs the same way (tests/conftest.py).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crash"))

from crash_helpers import Outcome, complete_checkin

from personas import _client, make_personas
from plusone.measures import actions as measures
from plusone.measures.models import Administration

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 6


def test_the_live_servers_sqlite_database_is_a_file_not_a_shared_memory_connection(
    live_server: Any,
) -> None:
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    assert not connection.is_in_memory_db()
    assert Path(connection.settings_dict["NAME"]).is_file()


def test_check_ins_sent_at_the_same_moment_are_each_acknowledged_and_stored(
    live_server: Any,
) -> None:
    p = make_personas()
    people = [p.bob, p.dave] + [
        _client(p.alice, p.riverside, f"Client{n}", "Together") for n in range(CLIENTS - 2)
    ]
    outcomes = []
    for person in people:
        issued = measures.issue_checkin_link(acting_user=p.alice, client=person, send_email=False)
        outcomes.append(Outcome(token=urlsplit(issued.url).path.rsplit("/", 1)[-1], risk=0))
    before = Administration.objects.count()

    start = threading.Barrier(len(outcomes))

    def walk(outcome: Outcome) -> None:
        start.wait()
        try:
            complete_checkin(live_server.url, outcome)
        except Exception as exc:  # reported below, with the others
            outcome.state = f"raised {exc!r}"

    threads = [threading.Thread(target=walk, args=(o,)) for o in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [o.state for o in outcomes] == ["acked"] * len(outcomes)
    # Each client answered every group of their plan: at least the primary measure was stored.
    assert Administration.objects.count() - before >= len(outcomes)
