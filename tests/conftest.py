"""Shared test set-up: the test profile and the personas.

The personas live in tests/personas.py (see its docstring for who is who);
here they are fixtures for plain pytest functions:

- ``personas``: a :class:`personas.Personas` with every persona created;
- ``login_as``: the helper ``login_as(test_client, user)`` that signs a persona
  in as MFA-verified.

``django.test.TestCase`` classes import them directly:
``from personas import login_as, make_personas``.
"""

from __future__ import annotations

import os

# Before Django loads: the test profile generates throwaway keys in a temp dir.
os.environ.setdefault("PLUSONE_PROFILE", "test")

import pytest


def _flush_may_purge_audit_rows() -> None:
    """Let the test flush (TRUNCATE between TransactionTestCase tests) pass the audit guard.

    On PostgreSQL, triggers refuse TRUNCATE of audit rows unless the transaction
    sets plusone.audit_purge (plusone.audit.purge); the flush is test code, so it does.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    from plusone.audit.purge import PURGE_SQL

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):  # type: ignore[no-untyped-def]
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        return [PURGE_SQL, *statements] if statements else statements

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_flush_may_purge_audit_rows()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """On SQLite, a run that starts the live server gets a test database in a file.

    pytest-django keeps SQLite's test database in memory and, for the live server,
    hands its request threads one shared connection: two requests at once (an
    autosave still in flight when the client presses send) then collide inside it
    and SQLite answers "database table is locked". A file in WAL mode gives each
    thread its own connection, with the IMMEDIATE transaction mode and the busy
    timeout that queue writers in a real SQLite practice
    (tests/web/test_live_server_threads.py). Runs without the live server keep the
    faster in-memory database.
    """
    from django.conf import settings

    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.sqlite3":
        return
    if any("live_server" in getattr(item, "fixturenames", ()) for item in request.session.items):
        test = default.setdefault("TEST", {})
        test["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture
def personas(db):  # type: ignore[no-untyped-def]
    from personas import make_personas

    return make_personas()


@pytest.fixture
def login_as():  # type: ignore[no-untyped-def]
    from personas import login_as as helper

    return helper
