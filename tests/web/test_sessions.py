"""The hand-kept session list: Alice adds, moves, cancels and marks Bob's sessions, and
"next session", the summary and Sessions in Deepening follow them."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions
from plusone.clinical.models import EpisodeSummary, Session
from plusone.measures.summary import history_for

HOUR = dt.timedelta(hours=1)


def soon(days=2, hour=10):
    """A time to come, on the hour, in the practice's time zone."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def ago(days=2, hour=10):
    return soon(-days, hour)


class SessionActionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def add(self, starts_at, **kw):
        return actions.add_session(user=self.p.alice, client=self.p.bob, starts_at=starts_at, **kw)

    def test_it_adds_a_session_to_come_and_names_it_next_on_the_summary(self):
        session = self.add(soon())
        self.assertEqual(session.status, Session.Status.SCHEDULED)
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertEqual(summary.next_session_at, session.starts_at)
        self.assertIsNone(summary.judged_on)

    def test_it_records_the_add_last_with_ids_only(self):
        session = self.add(soon())
        event = AuditEvent.objects.filter(practice=self.p.riverside).order_by("-seq").first()
        self.assertEqual(event.action, "session.add")
        self.assertEqual(event.target_id, str(session.pk))
        self.assertEqual(set(event.detail), {"episode", "version"})

    def test_it_refuses_a_past_session_unless_it_is_recorded_attended(self):
        with self.assertRaisesMessage(ValidationError, "That time has passed"):
            self.add(ago())
        recorded = self.add(ago(), attended=True)
        self.assertEqual(recorded.status, Session.Status.ATTENDED)
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertEqual(summary.last_session_at, recorded.starts_at)

    def test_it_refuses_to_mark_a_session_to_come_attended(self):
        with self.assertRaisesMessage(ValidationError, "still to come"):
            self.add(soon(), attended=True)

    def test_it_refuses_an_overlap_with_another_of_alices_clients(self):
        self.add(soon(hour=10))
        with self.assertRaisesMessage(ValidationError, "overlaps another of your sessions"):
            actions.add_session(
                user=self.p.alice,
                client=self.p.dave,
                starts_at=soon(hour=10) + dt.timedelta(minutes=30),
            )
        # Back to back is fine, and Charlie's hours are his own.
        self.add(soon(hour=10) + dt.timedelta(minutes=50))

    def test_it_frees_the_hour_of_a_cancelled_session(self):
        first = self.add(soon())
        actions.cancel_session(user=self.p.alice, session=first, base_version=first.version)
        self.add(soon())

    def test_it_moves_a_scheduled_session_and_raises_its_version(self):
        session = self.add(soon())
        moved = actions.move_session(
            user=self.p.alice, session=session, starts_at=soon(days=3), base_version=1
        )
        self.assertEqual((moved.starts_at, moved.version), (soon(days=3), 2))
        self.assertEqual(
            EpisodeSummary.objects.get(episode=self.episode).next_session_at, soon(days=3)
        )

    def test_it_refuses_a_move_from_a_stale_page(self):
        session = self.add(soon())
        actions.move_session(
            user=self.p.alice, session=session, starts_at=soon(days=3), base_version=1
        )
        with self.assertRaisesMessage(actions.SessionConflict, "changed while you were editing"):
            actions.move_session(
                user=self.p.alice, session=session, starts_at=soon(days=4), base_version=1
            )
        self.assertEqual(Session.objects.get(pk=session.pk).starts_at, soon(days=3))

    def test_it_refuses_a_move_into_the_past(self):
        session = self.add(soon())
        with self.assertRaisesMessage(ValidationError, "still to come"):
            actions.move_session(
                user=self.p.alice, session=session, starts_at=ago(), base_version=1
            )

    def test_it_cancels_and_clears_next_session(self):
        session = self.add(soon())
        actions.cancel_session(user=self.p.alice, session=session, base_version=1)
        self.assertIsNone(EpisodeSummary.objects.get(episode=self.episode).next_session_at)
        with self.assertRaisesMessage(ValidationError, "Only a scheduled session"):
            actions.cancel_session(user=self.p.alice, session=session, base_version=2)

    def test_it_marks_attendance_once_the_session_has_started(self):
        session = Session.objects.create(
            practice=self.p.riverside, episode=self.episode, starts_at=ago()
        )
        actions.mark_attendance(
            user=self.p.alice, session=session, status="no_show", base_version=1
        )
        marked = actions.mark_attendance(
            user=self.p.alice, session=session, status="attended", base_version=2
        )
        self.assertEqual((marked.status, marked.version), ("attended", 3))
        actions_seen = list(
            AuditEvent.objects.filter(target_id=str(session.pk)).values_list("action", flat=True)
        )
        self.assertEqual(sorted(actions_seen), ["session.attended", "session.no_show"])

    def test_it_refuses_attended_before_the_start_but_takes_a_late_cancel(self):
        session = self.add(soon())
        with self.assertRaisesMessage(ValidationError, "not started yet"):
            actions.mark_attendance(
                user=self.p.alice, session=session, status="attended", base_version=1
            )
        marked = actions.mark_attendance(
            user=self.p.alice, session=session, status="late_cancel", base_version=1
        )
        self.assertEqual(marked.status, "late_cancel")

    def test_it_refuses_a_mark_that_is_not_attendance(self):
        session = self.add(soon())
        with self.assertRaises(ValidationError):
            actions.mark_attendance(
                user=self.p.alice, session=session, status="scheduled", base_version=1
            )

    def test_it_counts_attended_sessions_into_the_rule_engines_history(self):
        before = len(history_for(self.episode).sessions)
        for days in (21, 14, 7):
            self.add(ago(days), attended=True)
        self.assertEqual(len(history_for(self.episode).sessions), before + 3)


class SessionPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.url = reverse("clinical:sessions", kwargs={"client_id": cls.p.bob.pk})

    def form(self, when, **extra):
        local = timezone.localtime(when)
        data = {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}
        return {**data, "duration_minutes": "50", "kind": "routine", **extra}

    def test_it_adds_a_session_from_the_page(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, self.form(soon()), follow=True)
        self.assertContains(response, "Session added.")
        self.assertEqual(Session.objects.filter(episode__client=self.p.bob).count(), 1)
        self.assertContains(response, "Move")

    def test_it_explains_a_past_time_politely(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, self.form(ago()))
        self.assertContains(response, "That time has passed")
        self.assertFalse(Session.objects.filter(episode__client=self.p.bob).exists())

    def test_it_refuses_a_malformed_date_without_a_500(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {**self.form(soon()), "date": "2026-02-31"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Enter a valid date")

    def test_it_records_a_view_of_the_session_list(self):
        login_as(self.client, self.p.alice)
        self.client.get(self.url)
        self.assertTrue(
            AuditEvent.objects.filter(action="view.sessions", target_id=str(self.p.bob.pk)).exists()
        )

    def test_it_hides_bobs_sessions_from_charlie(self):
        session = actions.add_session(user=self.p.alice, client=self.p.bob, starts_at=soon())
        login_as(self.client, self.p.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.form(soon(3))).status_code, 404)
        mark = reverse(
            "clinical:session_mark", kwargs={"client_id": self.p.bob.pk, "session_id": session.pk}
        )
        self.assertEqual(
            self.client.post(mark, {"mark": "cancelled", "version": "1"}).status_code, 404
        )
        self.assertEqual(Session.objects.get(pk=session.pk).status, "scheduled")

    def test_it_shows_sam_bobs_list_read_only_and_refuses_his_changes(self):
        actions.add_session(user=self.p.alice, client=self.p.bob, starts_at=soon())
        login_as(self.client, self.p.sam)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Add the session")
        self.assertNotContains(response, ">Move<")

    def test_it_refuses_a_session_reached_through_another_clients_url(self):
        session = actions.add_session(user=self.p.alice, client=self.p.bob, starts_at=soon())
        login_as(self.client, self.p.alice)
        wrong = reverse(
            "clinical:session_move", kwargs={"client_id": self.p.dave.pk, "session_id": session.pk}
        )
        self.assertEqual(self.client.get(wrong).status_code, 404)

    def test_it_moves_and_cancels_from_the_page(self):
        session = actions.add_session(user=self.p.alice, client=self.p.bob, starts_at=soon())
        login_as(self.client, self.p.alice)
        move = reverse(
            "clinical:session_move", kwargs={"client_id": self.p.bob.pk, "session_id": session.pk}
        )
        self.assertContains(self.client.get(move), 'name="version" value="1"')
        response = self.client.post(move, self.form(soon(3), version="1"), follow=True)
        self.assertContains(response, "Session moved.")
        mark = reverse(
            "clinical:session_mark", kwargs={"client_id": self.p.bob.pk, "session_id": session.pk}
        )
        response = self.client.post(mark, {"mark": "cancelled", "version": "2"}, follow=True)
        self.assertContains(response, "Session cancelled.")

    def test_it_says_a_stale_mark_changed_nothing(self):
        session = actions.add_session(user=self.p.alice, client=self.p.bob, starts_at=soon())
        actions.cancel_session(user=self.p.alice, session=session, base_version=1)
        login_as(self.client, self.p.alice)
        mark = reverse(
            "clinical:session_mark", kwargs={"client_id": self.p.bob.pk, "session_id": session.pk}
        )
        response = self.client.post(mark, {"mark": "late_cancel", "version": "1"}, follow=True)
        self.assertContains(response, "changed while you were editing")
        self.assertEqual(Session.objects.get(pk=session.pk).status, "cancelled")

    def test_it_links_an_attended_sessions_note(self):
        session = actions.add_session(
            user=self.p.alice, client=self.p.bob, starts_at=ago(), attended=True
        )
        login_as(self.client, self.p.alice)
        note = reverse("insights:note", kwargs={"session_id": session.pk})
        self.assertContains(self.client.get(self.url), note)

    def test_it_is_linked_from_the_journey(self):
        login_as(self.client, self.p.alice)
        journey = reverse("insights:journey", kwargs={"episode_id": self.p.bob.episodes.get().pk})
        self.assertContains(self.client.get(journey), self.url)
