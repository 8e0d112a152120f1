"""The crisis promise is kept (DESIGN.md, Risk): the time the client is told and the
escalation come from one function; an unacknowledged flag escalates once, a lead time
before that promise, to someone not yet told; the admin sees only counts."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase

from personas import login_as, make_personas
from plusone.accounts.models import Membership, Role, User
from plusone.audit.models import AuditEvent
from plusone.clinical import actions, risk
from plusone.clinical.models import Flag
from plusone.measures import actions as measures_actions
from plusone.measures.forms import field_name
from plusone.notify.escalation import ESCALATION_SLOT, escalate_flags
from plusone.notify.models import Delivery
from plusone.notify.tasks import SUBJECT, notify_new_flag

TORONTO = ZoneInfo("America/Toronto")
FRIDAY = dt.date(2026, 11, 27)
MONDAY = dt.date(2026, 11, 30)
# Friday before Thanksgiving Monday (12 October 2026, an Ontario public holiday).
LONG_WEEKEND_FRIDAY = dt.date(2026, 10, 9)
AWAY_UNTIL = dt.date(2026, 12, 4)


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

    def _settings(self, contact=None, lead: int = 4) -> None:
        risk.update_risk_settings(
            user=self.p.erin,
            practice=self.p.riverside,
            crisis_text="",
            crisis_text_fr="",
            clinical_contact=contact,
            escalation_lead_hours=lead,
        )

    def _away(self, cover, starts_on=MONDAY, ends_on=AWAY_UNTIL) -> None:
        risk.set_absence(
            user=self.p.erin,
            practice=self.p.riverside,
            therapist=self.p.alice,
            starts_on=starts_on,
            ends_on=ends_on,
            cover=cover,
        )

    def _gwen(self):
        """A third therapist of Riverside, to be the clinical contact beside a cover."""
        gwen = User.objects.create_user("gwen@riverside.example", "x", first_name="Gwen")
        Membership.objects.create(practice=self.p.riverside, user=gwen, role=Role.THERAPIST)
        return gwen

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

    def test_it_promises_the_next_business_days_close_and_escalates_4_hours_before(self) -> None:
        self._settings(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        self.assertEqual(flag.promised_read_by, at(MONDAY, 17))
        self.assertEqual(flag.escalate_at, at(MONDAY, 13))
        self.assertEqual(flag.first_told, self.p.alice)
        for quiet in (at(FRIDAY + days(1), 16), at(MONDAY, 12, 59)):
            with self.subTest(now=quiet):
                self.assertEqual(escalate_flags(now=quiet).escalated, [])
        run = escalate_flags(now=at(MONDAY, 13))
        self.assertEqual(run.escalated, [str(flag.pk)])
        flag.refresh_from_db()
        self.assertEqual(flag.escalated_to, self.p.charlie)
        self.assertEqual(flag.status, Flag.Status.OPEN)
        self.assertEqual([m.to for m in mail.outbox], [[self.p.charlie.email]])

    def test_it_escalates_a_friday_evening_flag_before_a_long_weekend_ahead_of_the_promise(
        self,
    ) -> None:
        self._settings(self.p.charlie)
        # Bob answers item 9 on Friday evening; Monday is Thanksgiving.
        with time_machine.travel(at(LONG_WEEKEND_FRIDAY, 19), tick=False):
            page = complete_grade3(self.client, self.p)
        flag = Flag.objects.get(client=self.p.bob)
        tuesday = LONG_WEEKEND_FRIDAY + days(4)
        self.assertEqual(flag.promised_read_by, at(tuesday, 17))
        self.assertContains(page, "Your therapist reads it by Tuesday 13 October at 17:00.")
        # The escalation fires the lead time (4 business hours) before the time told.
        for quiet in (at(LONG_WEEKEND_FRIDAY + days(3), 16), at(tuesday, 12, 59)):
            with self.subTest(now=quiet):
                self.assertEqual(escalate_flags(now=quiet).escalated, [])
        self.assertEqual(escalate_flags(now=at(tuesday, 13)).escalated, [str(flag.pk)])
        self.assertLess(flag.escalate_at, flag.promised_read_by)

    def test_it_takes_the_lead_time_from_the_practices_settings(self) -> None:
        self._settings(self.p.charlie, lead=2)
        self._open(at(FRIDAY, 16))
        self.assertEqual(escalate_flags(now=at(MONDAY, 14, 59)).escalated, [])
        self.assertEqual(len(escalate_flags(now=at(MONDAY, 15)).escalated), 1)

    def test_it_skips_the_practices_closure_days(self) -> None:
        self._settings(self.p.charlie)
        risk.add_closure_day(user=self.p.erin, practice=self.p.riverside, day=MONDAY, label="")
        flag = self._open(at(FRIDAY, 16))
        self.assertEqual(flag.promised_read_by, at(MONDAY + days(1), 17))

    def test_it_escalates_at_most_once(self) -> None:
        self._settings(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        for later in (at(MONDAY, 13), at(MONDAY, 16), at(MONDAY + days(3), 9)):
            escalate_flags(now=later)
        self.assertEqual(
            Delivery.objects.filter(target=str(flag.pk), slot=ESCALATION_SLOT).count(), 1
        )
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(AuditEvent.objects.filter(action="flag.escalate").count(), 1)

    def test_it_tells_the_cover_first_and_escalates_to_the_contact_not_the_cover(self) -> None:
        gwen = self._gwen()
        self._settings(gwen)
        self._away(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        self.assertEqual(flag.first_told, self.p.charlie)
        self.assertEqual(flag.promised_read_by, at(MONDAY, 17))
        self.assertEqual(notify_new_flag.call(str(flag.pk)), "sent")
        escalate_flags(now=at(MONDAY, 13))
        flag.refresh_from_db()
        self.assertEqual(flag.escalated_to, gwen)
        self.assertEqual([m.to for m in mail.outbox], [[self.p.charlie.email], [gwen.email]])

    def test_it_never_escalates_to_the_cover_who_was_told_already(self) -> None:
        # The cover is also the clinical contact: there is no one else to tell.
        self._settings(self.p.charlie)
        self._away(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        self.assertEqual(flag.first_told, self.p.charlie)
        self.assertIsNone(flag.escalate_at)
        notify_new_flag.call(str(flag.pk))
        run = escalate_flags(now=at(MONDAY, 16))
        self.assertEqual(run.escalated, [])
        self.assertEqual(run.no_recipient, [str(flag.pk)])
        self.assertEqual([m.to for m in mail.outbox], [[self.p.charlie.email]])

    def test_it_promises_a_solo_therapist_away_without_cover_the_day_back(self) -> None:
        # Alice is away Monday 30 November to Friday 4 December, with no cover and no contact.
        self._away(None)
        with time_machine.travel(at(FRIDAY, 20), tick=False):
            page = complete_grade3(self.client, self.p)
        flag = Flag.objects.get(client=self.p.bob)
        back = dt.date(2026, 12, 7)
        self.assertEqual(flag.promise, Flag.Promise.THERAPIST_BACK)
        self.assertEqual(flag.promised_read_by, at(back, 17))
        self.assertEqual(flag.first_told, self.p.alice)
        self.assertIsNone(flag.escalate_at)
        self.assertContains(page, "Your therapist reads it by Monday 7 December at 17:00.")
        self.assertContains(page, "Your therapist is away until then")

    def test_it_reports_a_due_flag_with_nobody_to_escalate_to(self) -> None:
        flag = self._open(at(FRIDAY, 16))
        self.assertIsNone(flag.escalate_at)
        run = escalate_flags(now=at(MONDAY, 16))
        self.assertEqual(run.no_recipient, [str(flag.pk)])
        self.assertEqual(mail.outbox, [])
        flag.refresh_from_db()
        self.assertIsNone(flag.escalated_at)

    def test_it_escalates_to_a_contact_set_after_the_flag_opened(self) -> None:
        flag = self._open(at(FRIDAY, 16))
        self._settings(self.p.charlie)
        self.assertEqual(escalate_flags(now=at(MONDAY, 12, 59)).escalated, [])
        self.assertEqual(escalate_flags(now=at(MONDAY, 13)).escalated, [str(flag.pk)])

    def test_it_never_escalates_an_acknowledged_flag(self) -> None:
        self._settings(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        actions.acknowledge_flag(user=self.p.alice, flag=flag, note="Phoned Bob on Monday.")
        self.assertEqual(escalate_flags(now=at(MONDAY + days(2), 16)).escalated, [])
        self.assertEqual(mail.outbox, [])

    def test_it_lets_the_contact_acknowledge_the_escalated_flag(self) -> None:
        self._settings(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        escalate_flags(now=at(MONDAY, 13))
        login_as(self.client, self.p.charlie)
        self.assertContains(self.client.get("/practice/flags/covering/"), "Bob")
        response = self.client.post(
            f"/practice/flags/{flag.pk}/acknowledge/", {"action_note": "Reached Bob."}
        )
        self.assertEqual(response.status_code, 302)
        flag.refresh_from_db()
        self.assertEqual(flag.acknowledged_by, self.p.charlie)

    def test_it_sends_a_neutral_escalation_email(self) -> None:
        self._settings(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        escalate_flags(now=at(MONDAY, 13))
        message = mail.outbox[0]
        self.assertEqual(message.subject, SUBJECT)
        text = message.subject + message.body
        for leak in ("Bob", "Brown", "grade", "3", "risk", "suicid", str(flag.pk)):
            self.assertNotIn(leak, text)

    def test_it_runs_as_plusone_escalate_flags(self) -> None:
        self._settings(self.p.charlie)
        self._open(at(FRIDAY, 16))
        out = io.StringIO()
        with time_machine.travel(at(MONDAY, 13, 1), tick=False):
            call_command("escalate-flags", "--format", "json", stdout=out)
        self.assertEqual(
            json.loads(out.getvalue()), {"checked": 1, "escalated": 1, "no_recipient": 0}
        )

    def test_it_runs_from_the_worker_every_few_minutes(self) -> None:
        from plusone.measures.management.commands import worker

        self._settings(self.p.charlie)
        flag = self._open(at(FRIDAY, 16))
        # DESIGN.md: checked at least every 15 minutes.
        self.assertLessEqual(worker.ESCALATION_EVERY_SECONDS, 15 * 60)
        with time_machine.travel(at(MONDAY, 13, 1), tick=False):
            run = escalate_flags(now=dt.datetime.now(tz=TORONTO))
        self.assertEqual(run.escalated, [str(flag.pk)])

    def test_it_shows_erin_only_the_counts(self) -> None:
        self._settings(self.p.charlie)
        self._open(at(FRIDAY, 16))
        self._open(at(MONDAY, 10))
        escalate_flags(now=at(MONDAY, 13))
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
                    "crisis_text_fr": "",
                    "clinical_contact": who.pk,
                    "escalation_lead_hours": 4,
                },
            )
            self.assertEqual(response.status_code, 200)
        self.assertIsNone(risk.settings_for(self.p.riverside).clinical_contact)


OWN_EN = (
    "Nobody watches this form live. We read it by {read_by}. "
    "If you might act on these thoughts now, call or text 9-8-8 or call 911."
)
OWN_FR = (
    "Personne ne surveille ce formulaire en direct. Nous le lirons d'ici {read_by}. "
    "Si vous risquez de passer à l'acte maintenant, appelez ou textez le 9-8-8 ou le 911."
)


class CrisisTextTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _post(self, en: str, fr: str) -> Any:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/practice/settings/risk/",
            {
                "crisis_text": en,
                "crisis_text_fr": fr,
                "clinical_contact": "",
                "escalation_lead_hours": 4,
            },
        )
        self.client.logout()
        return response

    def test_it_fills_the_default_texts_slot_with_the_promised_time(self) -> None:
        # Friday evening: the next business day closes on Monday at 17:00.
        with time_machine.travel(at(FRIDAY, 20), tick=False):
            page = complete_grade3(self.client, self.p)
        self.assertContains(page, "Your therapist reads it by Monday 30 November at 17:00.")
        self.assertContains(page, 'href="tel:988"')

    def test_it_fills_the_practices_own_text_from_the_settings_page(self) -> None:
        self.assertEqual(self._post(OWN_EN, OWN_FR).status_code, 302)
        self.p.riverside.refresh_from_db()
        self.assertEqual(
            (self.p.riverside.crisis_text, self.p.riverside.crisis_text_fr), (OWN_EN, OWN_FR)
        )
        self.assertTrue(AuditEvent.objects.filter(action="risk_settings.update").exists())
        with time_machine.travel(at(FRIDAY, 20), tick=False):
            page = complete_grade3(self.client, self.p)
        self.assertContains(page, "We read it by Monday 30 November at 17:00.")

    def test_it_gives_the_french_text_with_the_time_in_french(self) -> None:
        self._post(OWN_EN, OWN_FR)
        flag_time = at(FRIDAY, 20)
        self.p.riverside.refresh_from_db()
        text = risk.crisis_text(self.p.riverside, at(MONDAY, 17), "fr")
        self.assertEqual(
            text,
            OWN_FR.replace(
                "{read_by}", risk.format_read_by(self.p.riverside, at(MONDAY, 17), "fr")
            ),
        )
        self.assertNotIn("{read_by}", text)
        self.assertLess(flag_time, at(MONDAY, 17))

    def test_it_refuses_a_text_without_its_slot_or_in_one_language_only(self) -> None:
        typed = OWN_EN.replace("{read_by}", "6 pm on weekdays")
        for en, fr, message in (
            (typed, OWN_FR, "must contain {read_by} exactly once"),
            (OWN_EN, "", "in both English and French"),
            (OWN_EN + " {read_by}", OWN_FR, "must contain {read_by} exactly once"),
            (OWN_EN + " {name}", OWN_FR, "no braces except {read_by}"),
        ):
            with self.subTest(message=message):
                response = self._post(en, fr)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
        self.p.riverside.refresh_from_db()
        self.assertEqual(self.p.riverside.crisis_text, "")

    def test_it_never_shows_a_stored_text_that_lacks_the_slot(self) -> None:
        # A text saved before the slot existed states a time nothing enforces.
        self.p.riverside.crisis_text = "We read it by 6 pm on weekdays."
        self.p.riverside.save()
        with time_machine.travel(at(FRIDAY, 20), tick=False):
            page = complete_grade3(self.client, self.p)
        self.assertNotContains(page, "6 pm on weekdays")
        self.assertContains(page, "Your therapist reads it by Monday 30 November at 17:00.")
