"""The week view: Alice's sessions Monday to Sunday, each with its check-in's state."""

import datetime as dt

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone import tokens
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Flag, Session
from plusone.insights import week as weeks
from plusone.measures.models import Sitting

URL = reverse("insights:week")
# Sessions, auth, the audit view row and the page's six reads (the bring-today notes and the
# failed check-in messages among them): never one per session.
QUERIES = 15


def at(day, hour, minute=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class WeekTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.bob_episode = cls.p.bob.episodes.get()
        cls.dave_episode = cls.p.dave.episodes.get()
        # A Wednesday three weeks on: nothing else of the personas' falls in that week.
        today = timezone.localdate()
        cls.monday = weeks.monday_of(today) + dt.timedelta(days=21)
        cls.wednesday = cls.monday + dt.timedelta(days=2)

    def session(self, episode, starts_at, **kw):
        return Session.objects.create(
            practice=self.p.riverside, episode=episode, starts_at=starts_at, **kw
        )

    def page(self, user=None, day=None):
        login_as(self.client, user or self.p.alice)
        return self.client.get(URL, {"week": (day or self.monday).isoformat()})

    def test_it_lists_alices_sessions_by_day_with_names(self):
        self.session(self.bob_episode, at(self.wednesday, 10))
        self.session(self.dave_episode, at(self.monday + dt.timedelta(days=6), 9))
        response = self.page()
        self.assertContains(response, "Bob Brown")
        self.assertContains(response, "Dave Davis")
        # The one date format (web/formats), after the weekday: "Wednesday 9 Dec 2026".
        day = self.wednesday
        self.assertContains(response, f"{day:%A} {day.day} {day:%b %Y}")
        self.assertContains(response, "2 sessions")

    def test_it_leaves_out_sessions_of_the_weeks_around(self):
        self.session(self.bob_episode, at(self.monday - dt.timedelta(days=1), 23))
        self.session(self.bob_episode, at(self.monday + dt.timedelta(days=7), 0))
        self.assertContains(self.page(), "0 sessions")

    def test_it_moves_to_the_previous_and_next_week(self):
        response = self.page()
        previous = (self.monday - dt.timedelta(days=7)).isoformat()
        following = (self.monday + dt.timedelta(days=7)).isoformat()
        self.assertContains(response, f"?week={previous}")
        self.assertContains(response, f"?week={following}")

    def test_it_shows_this_week_for_a_malformed_day(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(URL, {"week": "not-a-day"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["week"].monday, weeks.monday_of(timezone.localdate()))

    def test_it_shows_charlie_none_of_bobs_sessions(self):
        self.session(self.bob_episode, at(self.wednesday, 10))
        self.assertNotContains(self.page(self.p.charlie), "Bob Brown")

    def test_it_shows_sam_none_of_bobs_sessions_though_bob_consented(self):
        self.session(self.bob_episode, at(self.wednesday, 10))
        response = self.page(self.p.sam)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Bob Brown")

    def test_it_records_a_view_of_the_week(self):
        self.page()
        self.assertTrue(AuditEvent.objects.filter(action="view.week").exists())

    def test_it_reads_the_week_in_the_same_queries_for_1_and_30_sessions(self):
        self.session(self.bob_episode, at(self.monday, 8))
        login_as(self.client, self.p.alice)
        self.client.get(URL)  # warm the session and the caches
        with self.assertNumQueries(QUERIES):
            self.client.get(URL, {"week": self.monday.isoformat()})
        for i in range(29):
            episode = self.bob_episode if i % 2 else self.dave_episode
            self.session(episode, at(self.monday + dt.timedelta(days=i % 7), 9 + i // 7))
        with self.assertNumQueries(QUERIES):
            response = self.client.get(URL, {"week": self.monday.isoformat()})
        self.assertContains(response, "30 sessions")

    def test_it_says_which_clients_wrote_what_they_want_to_bring(self):
        from plusone.clinical.actions.journey_notes import set_bring_note

        session = self.session(self.bob_episode, at(self.monday + dt.timedelta(days=7), 8))
        self.session(self.dave_episode, at(self.monday + dt.timedelta(days=7), 10))
        set_bring_note(client=self.p.bob, session=session, text="my sister")
        login_as(self.client, self.p.alice)
        response = self.client.get(URL, {"week": (self.monday + dt.timedelta(days=7)).isoformat()})
        self.assertContains(response, "The client wrote what they want to bring", count=1)
        self.assertNotContains(response, "my sister")


class CheckinStateTests(TestCase):
    """Each state, from the rows the check-in leaves behind, for a session two days on."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
        cls.session = Session.objects.create(
            practice=cls.p.riverside, episode=cls.episode, starts_at=cls.starts
        )

    def state(self):
        day = timezone.localdate(self.starts)
        found = weeks.week(self.p.alice, day=day)
        return next(i.state for d in found.days for i in d.sessions if i.session == self.session)

    def sitting(self, status, when=None, key="k1"):
        when = when or timezone.now()
        return Sitting.objects.create(
            practice=self.p.riverside,
            client=self.p.bob,
            episode=self.episode,
            context="checkin",
            status=status,
            idempotency_key=key,
            started_at=when,
            completed_at=when,
        )

    def link(self):
        tokens.issue(
            "checkin",
            practice=self.p.riverside,
            client=self.p.bob,
            episode=self.episode,
            ttl=dt.timedelta(days=7),
        )

    def test_it_says_not_sent_with_nothing(self):
        self.assertEqual(self.state(), "not_sent")

    def test_it_says_sent_for_a_live_link(self):
        self.link()
        self.assertEqual(self.state(), "sent")

    def test_it_says_done_for_a_completed_check_in(self):
        self.link()
        self.sitting("completed")
        self.assertEqual(self.state(), "done")

    def test_it_says_skipped_for_a_skipped_one(self):
        self.sitting("skipped")
        self.assertEqual(self.state(), "skipped")

    def test_it_says_flagged_over_done_for_a_risk_flag(self):
        sitting = self.sitting("completed")
        Flag.objects.create(
            practice=self.p.riverside,
            client=self.p.bob,
            episode=self.episode,
            grade=2,
            source_id=sitting.pk,
            opened_at=timezone.now(),
        )
        self.assertEqual(self.state(), "flagged")

    def test_it_does_not_count_a_check_in_older_than_the_previous_session(self):
        self.sitting("completed", when=self.starts - dt.timedelta(days=5))
        Session.objects.create(
            practice=self.p.riverside,
            episode=self.episode,
            starts_at=self.starts - dt.timedelta(days=3),
        )
        self.assertEqual(self.state(), "not_sent")

    def test_it_shows_the_states_in_words_on_the_page(self):
        self.sitting("completed")
        login_as(self.client, self.p.alice)
        response = self.client.get(URL, {"week": timezone.localdate(self.starts).isoformat()})
        self.assertContains(response, 'class="checkin-state checkin-done">Done<')
