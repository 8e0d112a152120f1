"""Risk cover: while Alice is away, Charlie gets Bob's flag notifications and can
acknowledge Bob's flag, only during the absence and only the flag."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions, risk
from plusone.clinical.models import Absence, Flag
from plusone.notify.models import Delivery
from plusone.notify.tasks import notify_new_flag

TORONTO = ZoneInfo("America/Toronto")
AWAY_FROM = dt.date(2026, 11, 30)  # a Monday
AWAY_TO = dt.date(2026, 12, 4)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TORONTO)


class CoverTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.absence = risk.set_absence(
            user=cls.p.alice,
            practice=cls.p.riverside,
            therapist=cls.p.alice,
            starts_on=AWAY_FROM,
            ends_on=AWAY_TO,
            cover=cls.p.charlie,
        )

    def _open(self, when: dt.datetime) -> Flag:
        with transaction.atomic():
            return actions.open_flag(
                episode=self.p.bob.episodes.get(),
                grade=2,
                source_kind="administration",
                source_id=uuid.uuid4(),
                actor=None,
                now=when,
            )

    def _acknowledge_as_charlie(self, flag: Flag, when: dt.datetime) -> int:
        with time_machine.travel(when, tick=False):
            login_as(self.client, self.p.charlie)
            response = self.client.post(
                f"/practice/flags/{flag.pk}/acknowledge/", {"action_note": "Called Bob; safe."}
            )
        return response.status_code

    def test_it_sends_the_new_flag_notification_to_charlie_while_alice_is_away(self) -> None:
        flag = self._open(at(AWAY_FROM, 11))
        self.assertEqual(notify_new_flag.call(str(flag.pk)), "sent")
        self.assertEqual([m.to for m in mail.outbox], [[self.p.charlie.email]])
        self.assertEqual(Delivery.objects.get(target=str(flag.pk)).recipient, self.p.charlie)

    def test_it_sends_it_to_alice_before_and_after_her_absence(self) -> None:
        # Promised by the next business day's close: Friday 27 Nov (before) and Monday 7 Dec.
        for when in (
            at(AWAY_FROM - dt.timedelta(days=4), 10),
            at(AWAY_TO + dt.timedelta(days=1), 0),
        ):
            with self.subTest(when=when):
                mail.outbox.clear()
                flag = self._open(when)
                notify_new_flag.call(str(flag.pk))
                self.assertEqual([m.to for m in mail.outbox], [[self.p.alice.email]])

    def test_it_lets_charlie_acknowledge_bobs_flag_during_the_absence(self) -> None:
        flag = self._open(at(AWAY_FROM, 11))
        self.assertEqual(self._acknowledge_as_charlie(flag, at(AWAY_TO, 16)), 302)
        flag.refresh_from_db()
        self.assertEqual(flag.status, Flag.Status.ACKNOWLEDGED)
        self.assertEqual(flag.acknowledged_by, self.p.charlie)
        event = AuditEvent.objects.get(action="flag.acknowledge", target_id=str(flag.pk))
        self.assertEqual(event.actor_id, self.p.charlie.pk)
        self.assertIs(event.detail["cover"], True)

    def test_it_hides_bobs_flag_from_charlie_before_and_after_the_absence(self) -> None:
        flag = self._open(at(AWAY_FROM - dt.timedelta(days=3), 11))
        for when in (
            at(AWAY_FROM - dt.timedelta(days=1), 16),
            at(AWAY_TO + dt.timedelta(days=1), 9),
        ):
            with self.subTest(when=when):
                self.assertEqual(self._acknowledge_as_charlie(flag, when), 404)
                flag.refresh_from_db()
                self.assertEqual(flag.status, Flag.Status.OPEN)
        self.assertFalse(AuditEvent.objects.filter(action="flag.acknowledge").exists())

    def test_it_lists_bobs_flag_on_charlies_cover_page_only_during_the_absence(self) -> None:
        self._open(at(AWAY_FROM, 11))
        with time_machine.travel(at(AWAY_FROM, 12), tick=False):
            login_as(self.client, self.p.charlie)
            during = self.client.get("/practice/flags/covering/")
        with time_machine.travel(at(AWAY_TO + dt.timedelta(days=1), 12), tick=False):
            login_as(self.client, self.p.charlie)
            after = self.client.get("/practice/flags/covering/")
        # The full name: a random CSRF token once held "Bob" ("criNxBobRN6...").
        self.assertContains(during, self.p.bob.display_name)
        self.assertNotContains(after, self.p.bob.display_name)
        self.assertTrue(AuditEvent.objects.filter(action="view.covered_flags").exists())

    def test_it_says_on_the_cover_page_what_was_answered_and_what_to_do(self) -> None:
        with transaction.atomic():
            actions.open_flag(
                episode=self.p.bob.episodes.get(),
                grade=2,
                source_kind="administration",
                source_id=uuid.uuid4(),
                actor=None,
                now=at(AWAY_FROM, 11),
                instrument_key="phq9",
                item_id="phq9_9",
                answer=3,
            )
        with time_machine.travel(at(AWAY_FROM, 12), tick=False):
            login_as(self.client, self.p.charlie)
            page = self.client.get("/practice/flags/covering/")
        self.assertContains(page, "grade 2, PHQ-9 item 9: Nearly every day,")
        self.assertContains(page, "The client was shown the crisis text")

    def test_it_gives_charlie_the_flag_only_not_bobs_record(self) -> None:
        episode = self.p.bob.episodes.get()
        with time_machine.travel(at(AWAY_FROM, 12), tick=False):
            login_as(self.client, self.p.charlie)
            self.assertEqual(
                self.client.get(f"/practice/episodes/{episode.pk}/journey/").status_code, 404
            )

    def test_it_lets_alice_set_her_own_away_dates_on_the_page(self) -> None:
        login_as(self.client, self.p.alice)
        response = self.client.post(
            "/practice/away/",
            {
                "therapist": self.p.alice.pk,
                "starts_on": "2027-01-04",
                "ends_on": "2027-01-08",
                "cover": self.p.charlie.pk,
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(Absence.objects.filter(starts_on=dt.date(2027, 1, 4)).exists())
        self.assertTrue(
            AuditEvent.objects.filter(action="absence.set", actor_id=self.p.alice.pk).exists()
        )

    def test_it_refuses_alice_setting_charlies_away_dates(self) -> None:
        login_as(self.client, self.p.alice)
        response = self.client.post(
            "/practice/away/",
            {
                "therapist": self.p.charlie.pk,
                "starts_on": "2027-01-04",
                "ends_on": "2027-01-08",
                "cover": self.p.alice.pk,
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Absence.objects.count(), 1)

    def test_it_lets_erin_set_alices_away_dates_as_the_admin(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/practice/away/",
            {
                "therapist": self.p.alice.pk,
                "starts_on": "2027-02-01",
                "ends_on": "2027-02-01",
                "cover": self.p.charlie.pk,
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Absence.objects.count(), 2)

    def test_it_refuses_a_cover_who_is_not_a_therapist_of_the_practice(self) -> None:
        login_as(self.client, self.p.alice)
        for cover in (self.p.faye, self.p.erin, self.p.alice):
            with self.subTest(cover=cover.email):
                response = self.client.post(
                    "/practice/away/",
                    {
                        "therapist": self.p.alice.pk,
                        "starts_on": "2027-01-04",
                        "ends_on": "2027-01-08",
                        "cover": cover.pk,
                    },
                )
                self.assertEqual(response.status_code, 200)
        for cover in (self.p.faye, self.p.erin, self.p.sam):
            with self.subTest(cover=cover.email), self.assertRaises(ValidationError):
                risk.set_absence(
                    user=self.p.alice,
                    practice=self.p.riverside,
                    therapist=self.p.alice,
                    starts_on=AWAY_FROM,
                    ends_on=AWAY_TO,
                    cover=cover,
                )
        self.assertEqual(Absence.objects.count(), 1)

    def test_it_refuses_backwards_dates_and_self_cover_in_the_database(self) -> None:
        rows = [
            {"cover": self.p.alice, "starts_on": AWAY_FROM, "ends_on": AWAY_TO},
            {"cover": self.p.charlie, "starts_on": AWAY_TO, "ends_on": AWAY_FROM},
        ]
        for row in rows:
            with self.subTest(row=row), self.assertRaises(IntegrityError), transaction.atomic():
                Absence.objects.create(
                    practice=self.p.riverside,
                    therapist=self.p.alice,
                    created_by=self.p.alice,
                    **row,
                )

    def test_it_keeps_the_away_page_from_supervisors(self) -> None:
        login_as(self.client, self.p.sam)
        self.assertEqual(self.client.get("/practice/away/").status_code, 403)
