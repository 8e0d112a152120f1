"""A message that could not be sent is shown to the therapist, never silently lost: the
week marks the upcoming session whose check-in invitation or reminder failed, and the
daily digest counts every failed message about the therapist's clients (no names). No
automatic retry: the at-most-once rule stands (docs/reminders.md)."""

import datetime as dt
import io
import json
import re
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.test import Client as Browser
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone.clinical.models import Client, Session
from plusone.insights.digests import FLAG_DIGEST
from plusone.measures import consent
from plusone.measures.actions import followups
from plusone.notify import sms
from plusone.notify.models import Delivery
from plusone.observers import actions as observer_actions
from task_worker import run_worker

pytestmark = pytest.mark.django_db

INVITE_NOTE = "Check-in invitation not sent (email failed): send the link by hand"
REMINDER_NOTE = "Check-in reminder not sent (email failed): send the link by hand"
DIGEST = "PlusOne: your daily summary of flags"


class RefusingEmailBackend(EmailBackend):
    """The mail server refuses some addresses before taking anything; the rest go through."""

    refused = ("bob@client.example", "tom@observer.example")

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & set(self.refused):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such mailbox")})
        return super().send_messages(messages)


REFUSING = override_settings(EMAIL_BACKEND=f"{__name__}.RefusingEmailBackend")


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def remind() -> dict:
    out = io.StringIO()
    call_command("remind", "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def daily(tmp_path) -> dict:
    out = io.StringIO()
    with override_settings(AUDIT_ANCHOR_FILE=tmp_path / "anchors.jsonl"):
        call_command("daily", "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def session_for(person, *, hours: float) -> Session:
    return Session.objects.create(
        practice=person.practice,
        episode=person.episodes.get(),
        starts_at=timezone.now() + dt.timedelta(hours=hours),
    )


def week_items(user, session: Session) -> dict[str, str]:
    """The week page holding ``session`` as ``user`` sees it: each session item's HTML, by
    the client's name."""
    browser = Browser()
    login_as(browser, user)
    day = timezone.localdate(session.starts_at)
    response = browser.get(reverse("insights:week"), {"week": day.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    items = re.findall(
        r'<li class="session-item.*?</li>\s*(?=<li class="session-item|</ul>)', html, re.S
    )
    found = {}
    for item in items:
        name = re.search(r">([A-Z][a-z]+ [A-Z][a-z]+)</a>", item)
        found[name.group(1) if name else "?"] = item
    return found


def digests_to(user) -> list:
    return [m for m in mail.outbox if m.subject == DIGEST and m.to == [user.email]]


def test_alices_week_shows_the_invitation_that_could_not_be_sent_to_bob_and_only_there():
    p = make_personas()
    bobs = session_for(p.bob, hours=30)
    session_for(p.dave, hours=30)
    with REFUSING:
        assert remind()["invitations"] == 2
        run_worker()
    # Dave's went out; Bob's was refused, marked failed, and is not retried.
    assert [m.to for m in mail.outbox] == [[p.dave.email]]
    claim = Delivery.objects.get(kind="checkin_invite", target=str(bobs.pk))
    assert claim.status == Delivery.Status.FAILED
    items = week_items(p.alice, bobs)
    assert INVITE_NOTE in items["Bob Brown"]
    assert INVITE_NOTE not in items["Dave Davis"]
    # The way to act on it is beside the note: a check-in link for Bob, and his journey.
    assert reverse("measures:issue_link") in items["Bob Brown"]
    assert f'value="{p.bob.pk}"' in items["Bob Brown"]
    # Charlie sees neither Bob's session nor its failure.
    assert "Bob Brown" not in week_items(p.charlie, bobs)
    # Still no retry: the next run sends nothing more.
    with REFUSING:
        remind()
        run_worker()
    assert len(mail.outbox) == 1


def test_a_reminder_that_could_not_be_sent_is_shown_since_it_replaced_the_working_link():
    p = make_personas()
    bobs = session_for(p.bob, hours=20)
    remind()
    run_worker()
    assert len(mail.outbox) == 1  # the invitation went out
    assert INVITE_NOTE not in week_items(p.alice, bobs)["Bob Brown"]
    Delivery.objects.filter(kind="checkin_invite").update(
        claimed_at=timezone.now() - dt.timedelta(hours=13)
    )
    with REFUSING:
        assert remind()["reminders"] == 1
        run_worker()
    item = week_items(p.alice, bobs)["Bob Brown"]
    assert REMINDER_NOTE in item
    assert INVITE_NOTE not in item


def test_a_message_sent_on_one_channel_and_refused_on_the_other_says_so():
    p = make_personas()
    bobs = session_for(p.bob, hours=30)
    Client.objects.filter(pk=p.bob.pk).update(phone="+16135550101")
    consent.record_withdrawal(acting_user=p.alice, client=p.bob, channel="sms", withdraw=False)
    with REFUSING:
        remind()
        run_worker()
    assert len(sms.outbox) == 1
    item = week_items(p.alice, bobs)["Bob Brown"]
    assert "Check-in invitation sent by SMS, not by email (email failed)" in item
    assert "send the link by hand" not in item


def test_a_session_whose_messages_went_out_shows_no_note_and_no_digest_line(tmp_path):
    p = make_personas()
    bobs = session_for(p.bob, hours=30)
    remind()
    run_worker()
    assert len(mail.outbox) == 1
    assert "not sent" not in week_items(p.alice, bobs)["Bob Brown"]
    daily(tmp_path)
    run_worker()
    assert digests_to(p.alice) == []  # no new flag, nothing failed: no digest


def test_the_digest_counts_alices_failed_messages_without_a_name_and_charlie_gets_none(
    tmp_path,
):
    p = make_personas()
    session_for(p.bob, hours=30)
    session_for(p.dave, hours=30)
    with REFUSING:
        remind()
        run_worker()
        # Bob invites Tom as an observer; Tom's server refuses it too.
        observer_actions.invite(
            actor=None,
            client=p.bob,
            label="My brother Tom",
            email="tom@observer.example",
            relationship="family",
        )
        run_worker()
    assert Delivery.objects.get(kind="observer_invite", slot="first", status="failed")
    # A follow-up invitation to Bob that could not go out (its own test is below).
    Delivery.objects.create(
        practice=p.riverside,
        kind=followups.FOLLOW_UP_DELIVERY,
        target=str(p.bob.episodes.get().pk),
        slot="3m",
        status=Delivery.Status.FAILED,
    )
    # Gus's failure is Faye's, in another practice.
    gus_session = session_for(p.gus, hours=30)
    Delivery.objects.create(
        practice=p.lakeview,
        kind="checkin_invite",
        target=str(gus_session.pk),
        slot="email",
        status=Delivery.Status.FAILED,
    )
    daily(tmp_path)
    run_worker()
    [digest] = digests_to(p.alice)
    assert "3 messages about your clients could not be sent; see your week" in digest.body
    for leak in ("Bob", "Brown", "Dave", "Tom", "observer", "follow"):
        assert leak not in digest.body, leak
    assert digests_to(p.charlie) == []
    [faye] = digests_to(p.faye)
    assert "1 message about your clients could not be sent; see your week" in faye.body
    # The next digest counts only what failed since this one: nothing, so none is sent.
    Delivery.objects.filter(kind=FLAG_DIGEST).update(
        slot=(timezone.localdate() - dt.timedelta(days=1)).isoformat()
    )
    mail.outbox.clear()
    daily(tmp_path)
    run_worker()
    assert digests_to(p.alice) == []


def test_a_follow_up_invitation_the_server_refused_is_marked_failed():
    p = make_personas()
    delivery = Delivery.objects.create(
        practice=p.riverside,
        kind=followups.FOLLOW_UP_DELIVERY,
        target=str(p.bob.episodes.get().pk),
        slot="3m",
    )
    with REFUSING, pytest.raises(smtplib.SMTPRecipientsRefused):
        followups._send(delivery.pk, p.bob.email, "subject", "", "body")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
