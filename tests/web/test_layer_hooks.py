"""The edges that point down: the record's flag signal and its access rules are
connected by the apps above it, and the record fails closed when one is not."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from personas import make_personas
from plusone.clinical import access, actions, checks, queries
from plusone.clinical.models import Flag
from plusone.clinical.signals import flag_raised
from plusone.notify.apps import enqueue_flag_email

pytestmark = pytest.mark.django_db


def _open(p):
    with transaction.atomic():
        return actions.open_flag(
            episode=p.bob.episodes.get(),
            grade=2,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
        )


def test_a_new_flag_queues_notifys_email_in_its_own_transaction():
    p = make_personas()
    flag = _open(p)
    queued = DBTaskResult.objects.get(task_path="plusone.notify.tasks.notify_new_flag")
    assert queued.args_kwargs["args"] == [str(flag.pk)]
    assert checks.check_flag_receiver() == []


def test_with_nobody_listening_no_flag_opens_and_the_check_fails():
    p = make_personas()
    assert flag_raised.disconnect(dispatch_uid="plusone.notify.flag_email")
    try:
        assert [e.id for e in checks.check_flag_receiver()] == ["plusone.E020"]
        with pytest.raises(ImproperlyConfigured):
            _open(p)
    finally:
        flag_raised.connect(enqueue_flag_email, dispatch_uid="plusone.notify.flag_email")
    assert not Flag.objects.exists()


@pytest.mark.parametrize("slot", ["break-glass", "consent directive"])
def test_a_read_with_an_access_rule_missing_fails_closed(slot, monkeypatch):
    p = make_personas()
    name = "_break_glass" if slot == "break-glass" else "_named_block"
    monkeypatch.setattr(access, name, [])
    assert [e.id for e in checks.check_access_rules()] == ["plusone.E021"]
    assert slot in checks.check_access_rules()[0].msg
    with pytest.raises(ImproperlyConfigured):
        list(queries.visible_clients(p.alice))


def test_both_access_rules_are_registered_by_their_apps():
    assert access.missing() == []
    assert checks.check_access_rules() == []
