"""Escalation: a flag unacknowledged for the practice's business hours escalates once,
to the cover or the designated clinical contact; the admin sees only counts; the
client's crisis text states the practice's read-by time."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions, risk
from plusone.clinical.models import Flag
from plusone.measures import actions as measures_actions
from plusone.measures.forms import field_name
from plusone.notify.escalation import ESCALATION_SLOT, escalate_flags
from plusone.notify.models import Delivery
from plusone.notify.tasks import SUBJECT

TORONTO = ZoneInfo("America/Toronto")
FRIDAY = dt.date(2026, 11, 27)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TORONTO)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


# PHQ-9 with item 9 = 3 (grade 3: the crisis text), goals and GAD-7 as the plan asks.
GRADE3_ANSWERS = {
    "phq9": {f"phq9_{i}": v for i, v in enumerate([1, 1, 2, 2, 1, 2, 1, 1, 3], start=1)},
    "personal_goals": {"goal_1": 4, "goal_2": 6},
    "gad7": {f"gad7_{i}": 1 for i in range(1, 8)},
}


def complete_grade3(web, p):
    """Walk Bob's check-in through the pages with a grade-3 risk answer; return the done page."""
    issued = measures_actions.issue_checkin_link(
        acting_user=p.alice, client=p.bob, send_email=False
    )
    web.get(urlsplit(issued.url).path)
    # Bob agrees on the consent page before his first check-in, as a client would.
    web.post("/checkin/consent/", {"choice": "agree"})
    for _ in range(10):
        page = web.get("/checkin/")
        if page.status_code == 302:
            break
        key = page.context["group"].key
        last = page.context["position"] == page.context["total"]
        data = {"group": key, "action": "submit" if last else "next"}
        data |= {field_name(key, item): str(v) for item, v in GRADE3_ANSWERS[key].items()}
        web.post("/checkin/", data)
        if last:
            break
    return web.get("/checkin/done/")


class EscalationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _contact(self, who, hours: int = 24) -> None:
        risk.update_risk_settings(
            user=self.p.erin,
            practice=self.p.riverside,
            crisis_text="",
            read_by="",
            clinical_contact=who,
            escalate_after_hours=hours,
        )

    def _open(self, when: dt.datetime) -> Flag:
        with transaction.atomic():
            return actions.open_flag(
                episode=self.p.bob.episodes.get(),
                grade=3,
                source_kind="administration",
                source_id=uuid.uuid4(),
                actor=None,
                now=when,
            )

    def test_it_escalates_a_friday_16_00_flag_after_24_business_hours_not_on_saturday(self) -> None:
        self._contact(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        # 1 h on Friday, 8 on Monday, 8 on Tuesday, 7 on Wednesday.
        for quiet in (
            at(FRIDAY + days(1), 16),
            at(FRIDAY + days(4), 16),
            at(FRIDAY + days(5), 15, 59),
        ):
            with self.subTest(now=quiet):
                self.assertEqual(escalate_flags(now=quiet).escalated, [])
        run = escalate_flags(now=at(FRIDAY + days(5), 16))
        self.assertEqual(run.escalated, [str(flag.pk)])
        flag.refresh_from_db()
        self.assertEqual(flag.escalated_to, self.p.charlie)
        self.assertEqual(flag.status, Flag.Status.OPEN)
        self.assertEqual([m.to for m in mail.outbox], [[self.p.charlie.email]])

    def test_it_escalates_on_tuesday_at_16_00_with_a_16_business_hour_delay(self) -> None:
        self._contact(self.p.charlie, hours=16)
        self._open(at(FRIDAY, 16))
        self.assertEqual(escalate_flags(now=at(FRIDAY + days(4), 15, 59)).escalated, [])
        self.assertEqual(len(escalate_flags(now=at(FRIDAY + days(4), 16)).escalated), 1)

    def test_it_escalates_at_most_once(self) -> None:
        self._contact(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        for later in (at(FRIDAY + days(5), 16), at(FRIDAY + days(6), 16), at(FRIDAY + days(9), 9)):
            escalate_flags(now=later)
        self.assertEqual(
            Delivery.objects.filter(target=str(flag.pk), slot=ESCALATION_SLOT).count(), 1
        )
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(AuditEvent.objects.filter(action="flag.escalate").count(), 1)

    def test_it_escalates_to_the_cover_while_alice_is_away(self) -> None:
        self._contact(self.p.charlie)
        risk.set_absence(
            user=self.p.erin,
            practice=self.p.riverside,
            therapist=self.p.alice,
            starts_on=FRIDAY,
            ends_on=FRIDAY + days(10),
            cover=self.p.charlie,
        )
        flag = self._open(at(FRIDAY, 16))
        escalate_flags(now=at(FRIDAY + days(5), 16))
        flag.refresh_from_db()
        self.assertEqual(flag.escalated_to, self.p.charlie)

    def test_it_reports_an_overdue_flag_with_nobody_to_escalate_to(self) -> None:
        flag = self._open(at(FRIDAY, 16))
        run = escalate_flags(now=at(FRIDAY + days(5), 16))
        self.assertEqual(run.no_recipient, [str(flag.pk)])
        self.assertEqual(mail.outbox, [])
        flag.refresh_from_db()
        self.assertIsNone(flag.escalated_at)

    def test_it_never_escalates_an_acknowledged_flag(self) -> None:
        self._contact(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        actions.acknowledge_flag(user=self.p.alice, flag=flag, note="Phoned Bob on Monday.")
        self.assertEqual(escalate_flags(now=at(FRIDAY + days(7), 16)).escalated, [])
        self.assertEqual(mail.outbox, [])

    def test_it_lets_the_contact_acknowledge_the_escalated_flag(self) -> None:
        self._contact(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        escalate_flags(now=at(FRIDAY + days(5), 16))
        login_as(self.client, self.p.charlie)
        self.assertContains(self.client.get("/practice/flags/covering/"), "Bob")
        response = self.client.post(
            f"/practice/flags/{flag.pk}/acknowledge/", {"action_note": "Reached Bob."}
        )
        self.assertEqual(response.status_code, 302)
        flag.refresh_from_db()
        self.assertEqual(flag.acknowledged_by, self.p.charlie)

    def test_it_sends_a_neutral_escalation_email(self) -> None:
        self._contact(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        escalate_flags(now=at(FRIDAY + days(5), 16))
        message = mail.outbox[0]
        self.assertEqual(message.subject, SUBJECT)
        text = message.subject + message.body
        for leak in ("Bob", "Brown", "grade", "3", "risk", "suicid", str(flag.pk)):
            self.assertNotIn(leak, text)

    def test_it_runs_as_plusone_escalate_flags(self) -> None:
        self._contact(self.p.charlie)
        self._open(at(FRIDAY, 16))
        out = io.StringIO()
        with time_machine.travel(at(FRIDAY + days(5), 16, 1), tick=False):
            call_command("escalate-flags", "--format", "json", stdout=out)
        self.assertEqual(
            json.loads(out.getvalue()), {"checked": 1, "escalated": 1, "no_recipient": 0}
        )

    def test_it_shows_erin_only_the_counts(self) -> None:
        self._contact(self.p.charlie)
        self._open(at(FRIDAY, 16))
        self._open(at(FRIDAY + days(5), 10))
        escalate_flags(now=at(FRIDAY + days(5), 16))
        login_as(self.client, self.p.erin)
        page = self.client.get("/practice/settings/risk/")
        self.assertContains(page, "Open flags: 2. Escalated: 1.")
        for hidden in ("Bob", "Brown", "grade", "Grade"):
            self.assertNotContains(page, hidden)
        self.assertEqual(self.client.get("/practice/flags/covering/").status_code, 403)

    def test_it_keeps_the_risk_settings_page_from_therapists(self) -> None:
        login_as(self.client, self.p.alice)
        self.assertEqual(self.client.get("/practice/settings/risk/").status_code, 403)

    def test_it_refuses_a_clinical_contact_from_another_practice_or_role(self) -> None:
        login_as(self.client, self.p.erin)
        for who in (self.p.faye, self.p.sam):
            response = self.client.post(
                "/practice/settings/risk/",
                {
                    "crisis_text": "",
                    "read_by": "",
                    "clinical_contact": who.pk,
                    "escalate_after_hours": 24,
                },
            )
            self.assertEqual(response.status_code, 200)
        self.assertIsNone(risk.settings_for(self.p.riverside).clinical_contact)


class CrisisTextTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_it_states_the_practices_read_by_time_at_grades_2_and_3(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/practice/settings/risk/",
            {
                "crisis_text": "",
                "read_by": "6 pm on weekdays",
                "clinical_contact": "",
                "escalate_after_hours": 24,
            },
        )
        self.assertEqual(response.status_code, 302)
        self.client.logout()
        page = complete_grade3(self.client, self.p)
        self.assertContains(page, "Your therapist reads it by 6 pm on weekdays.")
        self.assertContains(page, 'href="tel:988"')

    def test_it_computes_the_next_business_day_until_the_practice_sets_one(self) -> None:
        # Friday evening: the next business day closes on Monday at 17:00.
        with time_machine.travel(at(FRIDAY, 20), tick=False):
            page = complete_grade3(self.client, self.p)
        self.assertContains(page, "reads it by the next business day (Monday 30 November, 17:00)")

    def test_it_shows_the_practices_own_crisis_text_from_the_settings_page(self) -> None:
        own = (
            "Nobody watches this form live. We read it within one working day. "
            "Call 9-8-8 now if you need to."
        )
        login_as(self.client, self.p.erin)
        self.client.post(
            "/practice/settings/risk/",
            {"crisis_text": own, "read_by": "", "clinical_contact": "", "escalate_after_hours": 24},
        )
        self.p.riverside.refresh_from_db()
        self.assertEqual(self.p.riverside.crisis_text, own)
        self.assertTrue(AuditEvent.objects.filter(action="risk_settings.update").exists())
        self.client.logout()
        self.assertContains(
            complete_grade3(self.client, self.p), "We read it within one working day."
        )
