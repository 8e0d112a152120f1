"""Two final POSTs at the same instant (a double tap on two connections) store once."""

from __future__ import annotations

import threading

import pytest
from checkin_helpers import PHQ9_MODERATE, issue
from django.db import connection, connections
from django.test import TransactionTestCase

from personas import make_personas
from plusone.measures import actions
from plusone.measures.models import Administration, Sitting


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database cannot hold two writers on two threads",
)
class ConcurrentSubmitTests(TransactionTestCase):
    def test_it_stores_two_simultaneous_submits_once(self) -> None:
        p = make_personas()
        _, token = issue(p.alice, p.bob)
        barrier = threading.Barrier(2)
        results: list[object] = []
        errors: list[BaseException] = []

        def submit() -> None:
            try:
                barrier.wait(timeout=10)
                results.append(
                    actions.submit_checkin(link=token, answers={"phq9": dict(PHQ9_MODERATE)})
                )
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        assert sorted(r.created for r in results) == [False, True]  # type: ignore[attr-defined]
        assert Sitting.objects.count() == 1
        assert Administration.objects.count() == 1
