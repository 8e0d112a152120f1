"""The new-flag notification: enqueued with the flag, sent at most once, no health information."""

import uuid

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from personas import make_personas
from plusone.clinical import actions
from plusone.notify.models import Delivery
from plusone.notify.tasks import notify_new_flag

pytestmark = pytest.mark.django_db


def _open(p):
    with transaction.atomic():
        return actions.open_flag(
            episode=p.bob.episodes.get(),
            grade=3,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
        )


def test_it_enqueues_the_notification_with_the_flag():
    p = make_personas()
    flag = _open(p)
    queued = DBTaskResult.objects.get(task_path="plusone.notify.tasks.notify_new_flag")
    assert queued.args_kwargs["args"] == [str(flag.pk)]


def test_it_enqueues_nothing_when_the_flag_rolls_back():
    p = make_personas()
    with pytest.raises(RuntimeError), transaction.atomic():
        _open(p)
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


def test_it_emails_alice_without_any_health_information():
    p = make_personas()
    flag = _open(p)
    assert notify_new_flag.call(str(flag.pk)) == "sent"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [p.alice.email]
    text = message.subject + message.body
    for leak in ("Bob", "Brown", "grade", "3", "PHQ", "score", str(flag.pk), str(p.bob.pk)):
        assert leak not in text, leak
    assert "/accounts/login/" in message.body
    assert Delivery.objects.get(target=str(flag.pk)).status == Delivery.Status.SENT


def test_it_sends_at_most_once_when_the_task_runs_again():
    p = make_personas()
    flag = _open(p)
    notify_new_flag.call(str(flag.pk))
    assert notify_new_flag.call(str(flag.pk)) == "already"
    assert len(mail.outbox) == 1


def test_it_sends_nothing_for_a_flag_already_acknowledged():
    p = make_personas()
    flag = _open(p)
    actions.acknowledge_flag(user=p.alice, flag=flag, note="Called Bob; safety plan reviewed.")
    assert notify_new_flag.call(str(flag.pk)) == "handled"
    assert mail.outbox == []
    assert not Delivery.objects.filter(target=str(flag.pk)).exists()
