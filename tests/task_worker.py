"""Run the task queue as ``plusone worker`` does, from a test, on SQLite and PostgreSQL.

The worker checks its connection each loop (``close_old_connections``); inside a test's
transaction that check closes the connection on PostgreSQL (autocommit is off there), and
the test's own transaction dies with it. So, inside a transaction only, the check is skipped:
the tasks still run through the real database backend and the real ``db_worker``.
"""

from __future__ import annotations

from unittest import mock

from django.core.management import call_command
from django.db import connection


def run_worker() -> None:
    """Run every ready task, as ``plusone worker --batch`` would, until the queue is empty."""
    args = ("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    if not connection.in_atomic_block:
        call_command(*args)
        return
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command(*args)
