"""On PostgreSQL the app's role cannot change or remove audit rows (audit migration 0002).

The proof needs a role that is not a superuser (a superuser ignores REVOKE):
the CI runs this as ``plusone_app``. Under CI a superuser is a failure, not a skip.
"""

import os

import pytest
from django.db import DatabaseError, connection, transaction

from plusone import audit
from plusone.accounts.models import Practice
from plusone.audit.models import AuditEvent, ChainHead
from plusone.audit.purge import allow_purge_in_this_transaction

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="REVOKE and triggers are PostgreSQL only; on SQLite the app owns the file",
    ),
]


@pytest.fixture
def practice():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
    if superuser:
        message = "connected as a superuser, which ignores REVOKE: use the plusone_app role"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    practice = Practice.objects.create(name="Riverside")
    with transaction.atomic():
        audit.record(
            practice=practice, actor=None, action="test.event", target_type="t", target_id=1
        )
    return practice


def _refused(sql, params=()):
    """Run ``sql`` in a savepoint; return the database's error message, or None if it ran."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return str(exc)
    return None


def test_it_denies_the_app_role_update_of_an_audit_event(practice):
    error = _refused("UPDATE audit_auditevent SET action = 'forged'")
    assert error is not None and "permission denied" in error
    assert AuditEvent.objects.get().action == "test.event"


def test_it_denies_the_app_role_delete_of_an_audit_event(practice):
    error = _refused("DELETE FROM audit_auditevent")
    assert error is not None and "permission denied" in error
    assert AuditEvent.objects.count() == 1


def test_it_denies_the_app_role_delete_of_a_chain_head(practice):
    error = _refused("DELETE FROM audit_chainhead")
    assert error is not None and "permission denied" in error
    assert ChainHead.objects.count() == 1


def _fire_pending_foreign_key_checks():
    # PostgreSQL refuses TRUNCATE while this transaction's deferred FK checks are pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_it_refuses_truncate_without_the_purge_flag(practice):
    _fire_pending_foreign_key_checks()
    error = _refused("TRUNCATE audit_auditevent, audit_chainhead")
    assert error is not None and "append-only" in error
    assert AuditEvent.objects.count() == 1


def test_it_still_refuses_an_update_after_the_owner_regrants_itself(practice):
    # The second layer: the trigger holds even when the privilege comes back.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("GRANT UPDATE, DELETE ON audit_auditevent TO CURRENT_USER")
        error = _refused("UPDATE audit_auditevent SET action = 'forged'")
        assert error is not None and "append-only" in error
        cursor.execute("REVOKE UPDATE, DELETE ON audit_auditevent FROM CURRENT_USER")
    assert AuditEvent.objects.get().action == "test.event"


def test_it_lets_the_purge_path_truncate_inside_its_transaction(practice):
    with transaction.atomic():
        allow_purge_in_this_transaction()
        _fire_pending_foreign_key_checks()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent, audit_chainhead")
        assert not AuditEvent.objects.exists()
        transaction.set_rollback(True)
    assert AuditEvent.objects.count() == 1


def test_it_lets_record_keep_the_head_current(practice):
    with transaction.atomic():
        audit.record(
            practice=practice, actor=None, action="test.event", target_type="t", target_id=2
        )
    assert ChainHead.objects.get().seq == 2
    assert audit.verify_chain(practice).ok
