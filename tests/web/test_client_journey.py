"""The client's journey (issue 13): release timing, moments that matter, what I want to
bring today, on the client's selector and on the therapist's journey and card."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.actions.journey_notes import (
    add_moment,
    remove_moment,
    set_bring_note,
    set_release_timing,
)
from plusone.clinical.models import Moment, ReleaseTiming, Session
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures.administrations import scored_administration
from plusone.measures.models import Context, Respondent, Sitting, SittingStatus
from plusone.portal.journey import client_journey

# Never on the client's journey, whatever the therapist's side holds.
THERAPIST_ONLY_WORDS = (
    "rupture",
    "Possible rupture",
    "Deterioration",
    "Not progressing",
    "Therapist Rating",
    "proposal",
    "flag",
    "depression",
    "PHQ-9",
    "+1 threshold",
    "cutoff",
)


def give_sitting(episode, session, phq9_total, *, hours_before=1):
    """A completed check-in sitting before ``session`` holding one PHQ-9."""
    at = session.starts_at - dt.timedelta(hours=hours_before)
    sitting = Sitting.objects.create(
        practice_id=episode.practice_id,
        client_id=episode.client_id,
        episode=episode,
        session=session,
        context=Context.CHECKIN,
        status=SittingStatus.COMPLETED,
        idempotency_key=f"test:{uuid.uuid4()}",
        started_at=at,
        completed_at=at,
    )
    phq9 = load_instrument("phq9")
    items = [i for i in phq9.items if i.numeric]
    answers, left = {}, phq9_total
    for item in items[:-1]:
        answers[item.id] = min(item.max_value, left)
        left -= answers[item.id]
    answers[items[-1].id] = 0
    scored_administration(
        phq9,
        answers,
        score(phq9, answers),
        completed_at=at,
        practice_id=episode.practice_id,
        client_id=episode.client_id,
        episode=episode,
        session=session,
        sitting=sitting,
        context=Context.CHECKIN,
        respondent=Respondent.CLIENT,
        idempotency_key=f"{sitting.idempotency_key}:phq9",
    ).save(force_insert=True)
    return sitting


def add_session(episode, days_ago):
    return Session.objects.create(
        practice_id=episode.practice_id,
        episode=episode,
        starts_at=timezone.now() - dt.timedelta(days=days_ago),
        status=Session.Status.ATTENDED,
    )


class ReleaseTimingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.bob = cls.p.bob
        cls.episode = cls.bob.episodes.get()
        cls.first = add_session(cls.episode, 14)
        cls.second = add_session(cls.episode, 7)
        give_sitting(cls.episode, cls.first, 18)

    def today(self):
        return timezone.localdate()

    def test_it_defaults_to_after_we_look_together(self):
        self.assertEqual(self.bob.release_timing, ReleaseTiming.AFTER_REVIEW)

    def test_it_hides_scores_not_yet_looked_at_together_and_says_some_wait(self):
        mine = client_journey(self.bob, today=self.today())
        self.assertTrue(mine.waiting)
        self.assertEqual(mine.symptoms, "")
        self.assertEqual([v for v in mine.data.journey.symptoms.values.values() if v], [])

    def test_it_shows_them_once_the_therapist_marks_them_looked_at_together(self):
        login_as(self.client, self.p.alice)
        url = reverse("insights:looked_at_together", args=[self.episode.pk])
        self.assertEqual(self.client.post(url).status_code, 302)
        mine = client_journey(self.bob, today=self.today())
        self.assertFalse(mine.waiting)
        self.assertEqual(mine.symptoms, "Low mood: higher range")
        event = AuditEvent.objects.filter(action="measures.looked_at_together").get()
        self.assertEqual(event.detail["sittings"], 1)

    def test_a_later_check_in_waits_again_until_looked_at(self):
        login_as(self.client, self.p.alice)
        self.client.post(reverse("insights:looked_at_together", args=[self.episode.pk]))
        give_sitting(self.episode, self.second, 6)
        mine = client_journey(self.bob, today=self.today())
        self.assertTrue(mine.waiting)
        self.assertEqual(mine.symptoms, "Low mood: higher range")

    def test_at_once_shows_every_score_as_soon_as_it_is_sent(self):
        set_release_timing(client=self.bob, timing=ReleaseTiming.AT_ONCE)
        mine = client_journey(self.bob, today=self.today())
        self.assertFalse(mine.waiting)
        self.assertEqual(mine.symptoms, "Low mood: higher range")
        self.assertTrue(AuditEvent.objects.filter(action="portal.release_timing").exists())

    def test_charlie_cannot_mark_bobs_results_looked_at(self):
        login_as(self.client, self.p.charlie)
        url = reverse("insights:looked_at_together", args=[self.episode.pk])
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertFalse(Sitting.objects.filter(looked_at_together_at__isnull=False).exists())

    def test_the_therapists_journey_offers_the_looked_at_button_while_some_wait(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        self.assertContains(response, "We looked at the results together")
        self.assertContains(response, "1 check-in not yet looked at together")


class ClientJourneyWordsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.bob = cls.p.bob
        cls.episode = cls.bob.episodes.get()
        # The therapist's side holds a proposal, alerts, a rupture and its repair.
        give_history(cls.episode, n=40)

    def test_the_client_journey_has_no_therapist_only_words(self):
        mine = client_journey(self.bob, today=timezone.localdate())
        text = mine.chart.svg + mine.chart.table.html() + mine.narrow.svg
        for word in THERAPIST_ONLY_WORDS:
            self.assertNotIn(word.lower(), text.lower(), word)
        self.assertIsNone(mine.data.proposal)
        self.assertEqual(mine.data.alerts, ())
        self.assertEqual(mine.data.flags, ())
        self.assertEqual(mine.phase, "Choosing what's next")

    def test_it_reads_the_symptom_floor_in_plain_words(self):
        mine = client_journey(self.bob, today=timezone.localdate())
        self.assertEqual(mine.symptoms, "Low mood: lower range")


class MomentTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.bob, cls.dave = cls.p.bob, cls.p.dave
        cls.episode = cls.bob.episodes.get()
        give_history(cls.episode, n=6, skipped=2, decision_session=3, rupture_session=4)

    def test_a_moment_the_client_marks_sits_on_both_journeys(self):
        add_moment(
            episode=self.episode,
            text="the day I called my brother",
            happened_on=timezone.localdate() - dt.timedelta(days=10),
            today=timezone.localdate(),
        )
        mine = client_journey(self.bob, today=timezone.localdate())
        self.assertIn("the day I called my brother", mine.chart.svg)
        self.assertEqual(len(mine.data.journey.moments), 1)
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        self.assertContains(response, "the day I called my brother")
        self.assertContains(response, "by the client, in the portal")
        event = AuditEvent.objects.get(action="moment.add")
        self.assertFalse(event.detail["with_client"])

    def test_the_therapist_marks_a_moment_with_the_client(self):
        login_as(self.client, self.p.alice)
        url = reverse("insights:moment_with_client", args=[self.episode.pk])
        day = timezone.localdate() - dt.timedelta(days=3)
        self.client.post(url, {"text": "walking the dog again", "happened_on": day.isoformat()})
        moment = Moment.objects.get()
        self.assertEqual(moment.recorded_by_kind, Moment.By.THERAPIST_WITH_CLIENT)
        self.assertEqual(moment.recorded_by, self.p.alice)
        mine = client_journey(self.bob, today=timezone.localdate())
        self.assertIn("walking the dog again", mine.chart.svg)

    def test_charlie_cannot_mark_a_moment_on_bobs_journey(self):
        login_as(self.client, self.p.charlie)
        url = reverse("insights:moment_with_client", args=[self.episode.pk])
        day = timezone.localdate().isoformat()
        self.assertEqual(self.client.post(url, {"text": "x", "happened_on": day}).status_code, 404)
        self.assertFalse(Moment.objects.exists())

    def test_the_client_removes_their_moment_from_both_journeys(self):
        moment = add_moment(
            episode=self.episode,
            text="the day I called my brother",
            happened_on=timezone.localdate(),
            today=timezone.localdate(),
        )
        remove_moment(client=self.bob, moment=moment)
        mine = client_journey(self.bob, today=timezone.localdate())
        self.assertNotIn("the day I called my brother", mine.chart.svg)
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        self.assertNotContains(response, "the day I called my brother")
        self.assertTrue(AuditEvent.objects.filter(action="moment.remove").exists())

    def test_bob_never_sees_daves_moment(self):
        add_moment(
            episode=self.dave.episodes.get(),
            text="daves own moment",
            happened_on=timezone.localdate(),
            today=timezone.localdate(),
        )
        mine = client_journey(self.bob, today=timezone.localdate())
        self.assertNotIn("daves own moment", mine.chart.svg + mine.chart.table.html())
        self.assertEqual(mine.moments, ())

    def test_the_journeys_query_count_does_not_grow_with_moments(self):
        login_as(self.client, self.p.alice)
        url = reverse("insights:journey", args=[self.episode.pk])
        counts = []
        for n in (1, 30):
            while Moment.objects.count() < n:
                add_moment(
                    episode=self.episode,
                    text=f"moment {Moment.objects.count()}",
                    happened_on=timezone.localdate(),
                    today=timezone.localdate(),
                )
            self.client.get(url)
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(url).status_code, 200)
            counts.append(len(queries))
            mine_queries = CaptureQueriesContext(connection)
            with mine_queries:
                client_journey(self.bob, today=timezone.localdate())
            counts.append(len(mine_queries))
        self.assertEqual(counts[0], counts[2])
        self.assertEqual(counts[1], counts[3])


class BringNoteTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.bob = cls.p.bob
        cls.episode = cls.bob.episodes.get()
        give_history(cls.episode, n=4, skipped=3, decision_session=2, rupture_session=2)
        cls.next = Session.objects.get(episode=cls.episode, status=Session.Status.SCHEDULED)

    def test_the_therapist_reads_what_the_client_wants_to_bring_on_the_card(self):
        set_bring_note(client=self.bob, session=self.next, text="my sister's visit")
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:session_card", args=[self.episode.pk]))
        self.assertContains(response, "What the client wants to bring today")
        self.assertContains(response, "my sister&#x27;s visit")
        self.assertTrue(AuditEvent.objects.filter(action="bring_note.write").exists())

    def test_a_blank_note_clears_it(self):
        set_bring_note(client=self.bob, session=self.next, text="something")
        set_bring_note(client=self.bob, session=self.next, text="  ")
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:session_card", args=[self.episode.pk]))
        self.assertNotContains(response, "What the client wants to bring today")

    def test_bob_cannot_write_a_note_for_daves_session(self):
        from django.core.exceptions import ValidationError

        daves = Session.objects.create(
            practice_id=self.episode.practice_id,
            episode=self.p.dave.episodes.get(),
            starts_at=timezone.now() + dt.timedelta(days=2),
        )
        with self.assertRaises(ValidationError):
            set_bring_note(client=self.bob, session=daves, text="not mine")
