"""Check-in invitations and their one reminder, observer invitations and the daily digests:
queued as tasks, run by the real database worker, sent at most once, no health information."""

import datetime as dt
import io
import json
import re
import uuid

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import transaction
from django.test import Client as Browser
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from personas import make_personas
from plusone.clinical.actions import open_flag
from plusone.clinical.models import Client, Consent, Flag, MeasurementPlan, Session
from plusone.measures import consent
from plusone.measures.invitations import send_checkin_invitation, send_checkin_reminder
from plusone.measures.models import CheckinDraft
from plusone.notify import sms
from plusone.notify.models import Delivery
from plusone.observers import actions as observer_actions
from plusone.observers.invitations import send_observer_invitation
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken
from task_worker import run_worker

pytestmark = pytest.mark.django_db

# What no message may name: the client, a score, an instrument, a clinical word.
LEAKS = ("Bob", "Brown", "PHQ", "GAD", "Felt Change", "score", "mood", "anxiety", "therapy")


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


class FlakyEmailBackend(EmailBackend):
    """The server accepts the message, then the connection drops before its reply."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise ConnectionResetError("connection dropped after the message was accepted")


def worker():
    """Run the queue as ``plusone worker`` does, until it is empty."""
    run_worker()


def remind() -> dict:
    out = io.StringIO()
    call_command("remind", "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def session_for(person, *, hours: float) -> Session:
    return Session.objects.create(
        practice=person.practice,
        episode=person.episodes.get(),
        starts_at=timezone.now() + dt.timedelta(hours=hours),
    )


def assert_no_phi(text: str) -> None:
    for leak in LEAKS:
        assert leak.lower() not in text.lower(), leak


def test_it_emails_bob_his_check_in_link_two_days_before_his_session_without_health_information():
    p = make_personas()
    session = session_for(p.bob, hours=30)
    assert remind()["invitations"] == 1
    worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [p.bob.email]
    assert "your check-in before your session" in message.subject.lower()
    assert_no_phi(message.subject + message.body)
    token = AccessToken.objects.get(session=session)
    assert "/c/" in message.body
    # The link works until the session ends.
    end = session.starts_at + dt.timedelta(minutes=50)
    assert abs(token.expires_at - end) < dt.timedelta(seconds=5)
    assert Delivery.objects.get(kind="checkin_invite", target=str(session.pk)).status == "sent"


def test_it_invites_nobody_for_a_session_beyond_the_window_or_cancelled():
    p = make_personas()
    session_for(p.bob, hours=72)
    cancelled = session_for(p.dave, hours=20)
    Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)
    assert remind()["invitations"] == 0
    worker()
    assert mail.outbox == []


def test_it_sends_nothing_when_bob_withdrew_the_email_channel():
    p = make_personas()
    consent.record_withdrawal(acting_user=p.alice, client=p.bob, channel="email", withdraw=True)
    session = session_for(p.bob, hours=30)
    assert remind()["invitations"] == 0
    # Even a task queued before the withdrawal sends nothing.
    send_checkin_invitation.enqueue(str(session.pk))
    worker()
    assert mail.outbox == []
    assert sms.outbox == []
    assert not AccessToken.objects.filter(session=session).exists()


def test_it_invites_nobody_to_a_session_at_which_the_plan_asks_nothing():
    p = make_personas()
    # Every slot empty: no routine, no alternate, no risk item; nothing carried over.
    MeasurementPlan.objects.filter(episode=p.bob.episodes.get()).update(
        schedule={"routine": [], "alternate": [], "every_4th": [], "review": [], "intake": []}
    )
    session = session_for(p.bob, hours=20)
    assert remind()["invitations"] == 0
    # Even a task queued before the plan changed sends nothing and claims nothing.
    send_checkin_invitation.enqueue(str(session.pk))
    send_checkin_reminder.enqueue(str(session.pk))
    worker()
    assert mail.outbox == [] and sms.outbox == []
    assert not AccessToken.objects.filter(session=session).exists()
    assert not Delivery.objects.filter(target=str(session.pk)).exists()
    results = DBTaskResult.objects.filter(task_path__endswith="send_checkin_invitation")
    assert [r.return_value for r in results] == ["nothing_due"]


def test_it_invites_when_only_the_risk_item_is_due():
    p = make_personas()
    MeasurementPlan.objects.filter(episode=p.bob.episodes.get()).update(
        schedule={"routine": [], "risk_item_only": ["phq9"]}
    )
    session_for(p.bob, hours=20)
    assert remind()["invitations"] == 1
    worker()
    assert len(mail.outbox) == 1


def test_it_invites_under_the_default_plan_as_before():
    p = make_personas()
    assert MeasurementPlan.objects.filter(episode=p.bob.episodes.get()).exists()
    session_for(p.bob, hours=20)
    assert remind()["invitations"] == 1
    worker()
    assert len(mail.outbox) == 1


def test_it_texts_bob_only_with_sms_consent_and_a_phone():
    p = make_personas()
    session = session_for(p.bob, hours=30)
    Client.objects.filter(pk=p.bob.pk).update(phone="+16135550101")
    remind()
    worker()
    assert sms.outbox == []  # a phone, but no SMS consent
    Delivery.objects.all().delete()
    consent.record_withdrawal(acting_user=p.alice, client=p.bob, channel="sms", withdraw=False)
    send_checkin_invitation.enqueue(str(session.pk))
    worker()
    assert [m.to for m in sms.outbox] == ["+16135550101"]
    assert "/c/" in sms.outbox[0].body
    assert_no_phi(sms.outbox[0].body)


def test_it_texts_nobody_with_sms_consent_but_no_phone():
    p = make_personas()
    Consent.objects.filter(client=p.bob).update(channel="sms")
    session_for(p.bob, hours=30)
    assert remind()["invitations"] == 0
    worker()
    assert sms.outbox == [] and mail.outbox == []


def test_it_writes_to_a_french_client_in_french():
    p = make_personas()
    Client.objects.filter(pk=p.bob.pk).update(language="fr")
    session_for(p.bob, hours=30)
    remind()
    worker()
    message = mail.outbox[0]
    assert "Votre suivi avant votre séance" in message.subject
    assert "Bonjour" in message.body
    assert_no_phi(message.subject + message.body)


def test_it_reminds_an_open_check_in_once_with_a_new_link():
    p = make_personas()
    session = session_for(p.bob, hours=20)
    remind()
    worker()
    first = AccessToken.objects.get(session=session)
    # Twelve hours later, the check-in is still open.
    Delivery.objects.filter(kind="checkin_invite").update(
        claimed_at=timezone.now() - dt.timedelta(hours=13)
    )
    assert remind()["reminders"] == 1
    worker()
    assert remind()["reminders"] == 0
    worker()
    assert len(mail.outbox) == 2
    reminder = mail.outbox[1]
    assert reminder.subject.lower().startswith("riverside: reminder")
    assert_no_phi(reminder.subject + reminder.body)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert AccessToken.objects.filter(session=session, revoked_at=None).count() == 1


def test_it_does_not_remind_a_check_in_already_done():
    p = make_personas()
    session = session_for(p.bob, hours=20)
    remind()
    worker()
    AccessToken.objects.filter(session=session).update(used_at=timezone.now())
    Delivery.objects.filter(kind="checkin_invite").update(
        claimed_at=timezone.now() - dt.timedelta(hours=13)
    )
    assert remind()["reminders"] == 0
    worker()
    assert len(mail.outbox) == 1


def test_it_sends_one_invitation_when_the_task_is_queued_twice_and_retried_after_a_failure():
    p = make_personas()
    session = session_for(p.bob, hours=30)
    Client.objects.filter(pk=p.bob.pk).update(phone="+16135550101")
    consent.record_withdrawal(acting_user=p.alice, client=p.bob, channel="sms", withdraw=False)
    with override_settings(EMAIL_BACKEND=f"{__name__}.FlakyEmailBackend"):
        send_checkin_invitation.enqueue(str(session.pk))
        send_checkin_invitation.enqueue(str(session.pk))
        worker()
    results = DBTaskResult.objects.filter(task_path__endswith="send_checkin_invitation")
    # The first failed after its claim (the server took the email); the duplicate found the claim.
    assert sorted(r.status for r in results) == ["FAILED", "SUCCESSFUL"]
    assert [r.return_value for r in results if r.status == "SUCCESSFUL"] == ["already"]
    # A retry, as an operator would after the failure, and the next reminder run.
    send_checkin_invitation.enqueue(str(session.pk))
    remind()
    worker()
    assert len(mail.outbox) == 1
    assert len(sms.outbox) == 1
    assert AccessToken.objects.filter(session=session).count() == 1
    claims = Delivery.objects.filter(kind="checkin_invite", target=str(session.pk))
    assert sorted(claims.values_list("slot", "status")) == [("email", "failed"), ("sms", "sent")]


# --- the daily digests -------------------------------------------------------------------


def daily(tmp_path) -> dict:
    out = io.StringIO()
    with override_settings(AUDIT_ANCHOR_FILE=tmp_path / "anchors.jsonl"):
        call_command("daily", "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def flag_yesterday(person):
    with transaction.atomic():
        flag = open_flag(
            episode=person.episodes.get(),
            grade=3,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
        )
    Flag.objects.filter(pk=flag.pk).update(opened_at=timezone.now() - dt.timedelta(days=1))
    return flag


def digests(subject: str) -> list:
    return [m for m in mail.outbox if m.subject == subject]


def test_it_sends_alice_the_count_of_yesterdays_new_flags_without_names_or_content(tmp_path):
    p = make_personas()
    flag_yesterday(p.bob)
    flag_yesterday(p.dave)
    result = daily(tmp_path)
    assert result["digests"] == 2  # Alice's flags, and Erin's office
    worker()
    [digest] = digests("PlusOne: your daily summary of flags")
    assert digest.to == [p.alice.email]
    assert "New flags on" in digest.body and ": 2\n" in digest.body
    assert "Flags still open: 2" in digest.body
    assert "/accounts/login/" in digest.body
    assert_no_phi(digest.body)
    for leak in ("Dave", "Davis", "grade", "safety", "PHQ"):
        assert leak not in digest.body, leak
    # Charlie had no new flag: no digest.
    assert not [m for m in mail.outbox if p.charlie.email in m.to]


def test_it_sends_erin_the_audit_anchor_and_the_office_clocks(tmp_path):
    p = make_personas()
    flag_yesterday(p.bob)
    result = daily(tmp_path)
    worker()
    [digest] = digests("PlusOne: the privacy office's daily summary")
    assert digest.to == [p.erin.email]
    line = json.loads((tmp_path / "anchors.jsonl").read_text().splitlines()[0])
    riverside = next(
        json.loads(x)
        for x in (tmp_path / "anchors.jsonl").read_text().splitlines()
        if json.loads(x)["practice"] == str(p.riverside.pk)
    )
    assert f"sequence {riverside['seq']}, MAC {riverside['mac'][:16]}…" in digest.body
    assert riverside["mac"] not in digest.body  # a prefix, not the whole MAC
    assert "Access and correction requests overdue: 0" in digest.body
    assert "Incidents whose clients are not yet notified: 0" in digest.body
    assert "Lakeview" not in digest.body  # Erin is not Lakeview's officer
    assert_no_phi(digest.body)
    assert line["seq"] >= 1 and result["anchor"]["ok"]


def test_it_sends_each_digest_once_when_the_daily_job_runs_twice(tmp_path):
    p = make_personas()
    flag_yesterday(p.bob)
    daily(tmp_path)
    daily(tmp_path)
    worker()
    assert len(digests("PlusOne: your daily summary of flags")) == 1
    assert len(digests("PlusOne: the privacy office's daily summary")) == 1
    assert Delivery.objects.filter(kind="privacy_digest", target=str(p.erin.pk)).count() == 1


# --- observer invitations ----------------------------------------------------------------


def invite_tom(p):
    return observer_actions.invite(
        actor=None,
        client=p.bob,
        label="My brother Tom",
        email="tom@observer.example",
        relationship="family",
    )


def test_it_sends_the_observer_invitation_through_a_task_once_with_a_live_link():
    p = make_personas()
    tom = invite_tom(p)
    assert mail.outbox == []  # nothing sent inside the client's request
    [queued] = DBTaskResult.objects.filter(task_path__endswith="send_observer_invitation")
    link = tom.links.get()
    assert queued.args_kwargs["args"] == [str(link.token_id)]
    send_observer_invitation.enqueue(str(link.token_id))  # a duplicate
    worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tom@observer.example"]
    raw = message.body.split("/o/")[1].split()[0]
    assert tokens.resolve(raw, "observer").pk == link.token_id
    for leak in ("Brown", "PHQ", "score", "therap", "mood"):
        assert leak.lower() not in (message.subject + message.body).lower(), leak
    delivery = Delivery.objects.get(kind="observer_invite", target=str(link.token_id))
    assert delivery.status == "sent"


def test_it_never_sends_an_observer_link_revoked_before_the_worker_ran():
    p = make_personas()
    tom = invite_tom(p)
    observer_actions.revoke(actor=None, observer=tom)
    worker()
    assert mail.outbox == []


def test_it_sends_one_reminder_when_the_reminder_task_is_queued_twice():
    p = make_personas()
    session = session_for(p.bob, hours=20)
    remind()
    worker()
    send_checkin_reminder.enqueue(str(session.pk))
    send_checkin_reminder.enqueue(str(session.pk))
    worker()
    results = DBTaskResult.objects.filter(task_path__endswith="send_checkin_reminder")
    assert sorted(r.return_value for r in results) == ["already", "sent"]
    assert len(mail.outbox) == 2  # the invitation and one reminder


def _bob_opens_his_invitation(browser) -> AccessToken:
    """Bob opens the emailed link on his phone, agrees, and his check-in begins (a draft)."""
    path = re.search(r"/c/[A-Za-z0-9_-]+", mail.outbox[0].body).group(0)
    response = browser.get(path, follow=True)
    if response.redirect_chain and response.redirect_chain[-1][0].endswith("/checkin/consent/"):
        response = browser.post("/checkin/consent/", {"choice": "agree"}, follow=True)
    assert response.status_code == 200
    token = AccessToken.objects.get(purpose="checkin", revoked_at=None)
    assert CheckinDraft.objects.filter(token_id=str(token.pk)).exists()
    return token


def _invited_thirteen_hours_ago() -> None:
    Delivery.objects.filter(kind="checkin_invite").update(
        claimed_at=timezone.now() - dt.timedelta(hours=13)
    )


def test_it_holds_the_reminder_while_bob_is_answering_and_sends_it_once_he_has_gone_quiet():
    p = make_personas()
    session_for(p.bob, hours=20)
    remind()
    worker()
    browser = Browser()
    first = _bob_opens_his_invitation(browser)
    _invited_thirteen_hours_ago()

    # He is answering now: no reminder, and his link still works in his browser.
    assert remind()["reminders"] == 0
    worker()
    assert len(mail.outbox) == 1
    first.refresh_from_db()
    assert first.revoked_at is None
    page = browser.get("/checkin/")
    assert page.status_code == 200
    assert "This link has been replaced" not in page.content.decode()

    # He put the phone down two hours ago: the reminder goes, and his answers go with it.
    CheckinDraft.objects.filter(token_id=str(first.pk)).update(
        updated_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert remind()["reminders"] == 1
    worker()
    assert len(mail.outbox) == 2
    first.refresh_from_db()
    assert first.revoked_at is not None
    second = AccessToken.objects.get(purpose="checkin", revoked_at=None)
    assert CheckinDraft.objects.filter(token_id=str(second.pk)).exists()


def test_a_reminder_queued_before_bob_began_waits_while_he_answers():
    p = make_personas()
    session = session_for(p.bob, hours=20)
    remind()
    worker()
    first = _bob_opens_his_invitation(Browser())
    send_checkin_reminder.enqueue(str(session.pk))
    worker()
    result = DBTaskResult.objects.get(task_path__endswith="send_checkin_reminder")
    assert result.return_value == "in_progress"
    assert not Delivery.objects.filter(kind="checkin_reminder").exists()
    first.refresh_from_db()
    assert first.revoked_at is None
    assert len(mail.outbox) == 1
