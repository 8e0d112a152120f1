"""A flag says what to do: its item, answer and instrument, the graded guidance, the time
the client was told, and the cover; it can be acknowledged from the card and the journey,
and an acknowledged flag stays on the journey with its action note (issue 12)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from test_journey import _card, _journey

from personas import login_as, make_personas
from plusone.clinical import actions
from plusone.clinical.models import Flag
from plusone.clinical.risk import format_read_by, set_absence

ITEM_9 = "Thoughts that you would be better off dead or of hurting yourself in some way"


def _open(episode, *, grade=2, answer=2) -> Flag:
    with transaction.atomic():
        return actions.open_flag(
            episode=episode,
            grade=grade,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
            instrument_key="phq9",
            item_id="phq9_9",
            answer=answer,
        )


class FlagDetailsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def test_it_shows_the_item_the_answer_the_instrument_and_the_read_by_time(self):
        flag = _open(self.episode)
        read_by = format_read_by(self.p.riverside, flag.promised_read_by)
        login_as(self.client, self.p.alice)
        for url in (_card(self.episode), _journey(self.episode)):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, "PHQ-9 item 9")
                self.assertContains(response, ITEM_9)
                self.assertContains(response, "More than half the days")
                self.assertContains(response, read_by)
                self.assertContains(response, "crisis text")

    def test_it_gives_grade_1_the_safety_plan_guidance(self):
        _open(self.episode, grade=1, answer=1)
        login_as(self.client, self.p.alice)
        response = self.client.get(_card(self.episode))
        self.assertContains(response, "Several days")
        self.assertContains(response, "their own safety plan")
        self.assertNotContains(response, "crisis text")

    def test_it_names_the_cover_while_alice_is_away(self):
        today = timezone.localdate()
        set_absence(
            user=self.p.alice,
            practice=self.p.riverside,
            therapist=self.p.alice,
            starts_on=today - dt.timedelta(days=1),
            ends_on=today + dt.timedelta(days=21),
            cover=self.p.charlie,
        )
        _open(self.episode)
        login_as(self.client, self.p.alice)
        response = self.client.get(_card(self.episode))
        self.assertContains(response, "Cover")
        self.assertContains(response, str(self.p.charlie))


class AcknowledgeFromThePageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def setUp(self):
        self.flag = _open(self.episode)
        self.url = reverse("clinical:acknowledge_flag", args=[self.flag.pk])

    def test_it_offers_the_acknowledge_form_on_the_card_and_the_journey(self):
        login_as(self.client, self.p.alice)
        for page in (_card(self.episode), _journey(self.episode)):
            with self.subTest(page=page):
                response = self.client.get(page)
                self.assertContains(response, f'action="{self.url}"')
                self.assertContains(response, f'name="next" value="{page}"')

    def test_it_returns_to_the_card_it_came_from(self):
        login_as(self.client, self.p.alice)
        back = _card(self.episode)
        response = self.client.post(self.url, {"action_note": "Called Bob.", "next": back})
        self.assertRedirects(response, back, fetch_redirect_response=False)
        self.flag.refresh_from_db()
        self.assertEqual(self.flag.status, Flag.Status.ACKNOWLEDGED)

    def test_it_returns_to_the_journey_even_without_a_note(self):
        login_as(self.client, self.p.alice)
        back = _journey(self.episode)
        response = self.client.post(self.url, {"action_note": " ", "next": back})
        self.assertRedirects(response, back, fetch_redirect_response=False)
        self.flag.refresh_from_db()
        self.assertEqual(self.flag.status, Flag.Status.OPEN)

    def test_it_never_follows_a_next_to_another_site(self):
        login_as(self.client, self.p.alice)
        # The last two are what the fuzz sent: not a path, so redirect() took them for a view
        # name and answered 500.
        for unsafe in (
            "https://evil.example/",
            "//evil.example/x",
            "javascript:alert(1)",
            '"><img src=x onerror=alert(1)>',
            "insights:caseload",
        ):
            with self.subTest(next=unsafe):
                response = self.client.post(self.url, {"action_note": "x", "next": unsafe})
                self.assertRedirects(
                    response, reverse("insights:caseload"), fetch_redirect_response=False
                )

    def test_it_shows_the_acknowledged_flag_and_its_note_on_the_journey(self):
        login_as(self.client, self.p.alice)
        self.client.post(self.url, {"action_note": "Called Bob; safe tonight."})
        response = self.client.get(_journey(self.episode))
        self.assertContains(response, "Acknowledged")
        self.assertContains(response, "Called Bob; safe tonight.")
        self.assertContains(response, ITEM_9)
        self.assertNotContains(response, f'action="{self.url}"')

    def test_it_shows_sam_the_flag_without_the_form(self):
        login_as(self.client, self.p.sam)
        for page in (_card(self.episode), _journey(self.episode)):
            with self.subTest(page=page):
                response = self.client.get(page)
                self.assertContains(response, ITEM_9)
                self.assertNotContains(response, f'action="{self.url}"')


class FlagQueryCountTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def _counts(self) -> dict[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = {}
        for url in (_card(self.episode), _journey(self.episode)):
            self.client.get(url)  # warm the session
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(url).status_code, 200)
            counts[url] = len(queries)
        return counts

    def test_it_reads_the_same_number_of_queries_for_one_flag_or_six(self):
        login_as(self.client, self.p.alice)
        _open(self.episode)
        one = self._counts()
        for n in range(5):
            flag = _open(self.episode, grade=1, answer=1)
            if n % 2:
                actions.acknowledge_flag(user=self.p.alice, flag=flag, note=f"Called, {n}.")
        self.assertEqual(self._counts(), one)
