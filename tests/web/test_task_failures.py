"""A task that fails stores its traceback in the task table (django-tasks' DBTaskResult),
in plain text, for as long as the row is kept. Like a log line, it keeps the types and the
frames but never an exception's message: an SMTP refusal names the observer's address, a
unique violation a row's values."""

import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from personas import make_personas
from plusone.observers import actions as observer_actions
from task_worker import run_worker

pytestmark = pytest.mark.django_db

ADDRESS = "tom.private@observer.example"


class RefusingEmailBackend(EmailBackend):
    """The mail server refuses Tom's address, naming it, as servers do."""

    def send_messages(self, messages):
        for message in messages:
            if ADDRESS in message.to:
                raise smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"no such mailbox")})
        return super().send_messages(messages)


@override_settings(EMAIL_BACKEND=f"{__name__}.RefusingEmailBackend")
def test_a_failed_tasks_stored_traceback_names_no_address():
    p = make_personas()
    observer_actions.invite(
        actor=None, client=p.bob, label="My brother Tom", email=ADDRESS, relationship="family"
    )
    run_worker()
    (failed,) = DBTaskResult.objects.filter(status="FAILED")
    stored = failed.traceback + failed.exception_class_path
    assert "tom.private" not in stored
    assert "SMTPRecipientsRefused" in stored
    assert "send_observer_invitation" in stored or "invitations.py" in stored
