"""The client's own record in the portal (issue 13): my goals, my decisions, notes and
disputes, and who sees my record."""

from __future__ import annotations

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import (
    Consent,
    Decision,
    EpisodeSummary,
    Goal,
    RecordAnnotation,
)
from plusone.core import lanes
from plusone.core.policy import Policy
from plusone.insights import decisions as decision_actions
from plusone.measures.models import Administration
from plusone.measures.summary import history_for
from plusone.rights import actions as rights
from plusone.rights import clock
from plusone.rights.models import CorrectionRequest
from portal_fixtures import portal_web


def _decide(p, episode, phase, *, days_ago=0, confirmation="pending"):
    on = timezone.localdate() - dt.timedelta(days=days_ago)
    deeper = phase == "deepening"
    return decision_actions.record_decision(
        user=p.alice,
        episode=episode,
        data=decision_actions.DecisionData(
            kind="phase_change",
            phase=phase,
            decided_on=on,
            options_discussed=["go_deeper", "continue"],
            discomfort_acknowledged=deeper,
            symptom_rise_acknowledged=deeper,
            discomfort_note="",
            focus="Being less guarded with my partner" if deeper else "",
            present=["client", "therapist"],
            confirmation=confirmation,
            confirmed_on=on if confirmation == "spoken" else None,
        ),
        today=timezone.localdate(),
    )


class MyGoalsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=10, skipped=9, decision_session=8, rupture_session=9)

    def test_it_keeps_every_version_when_bob_rewords_a_goal(self) -> None:
        web = portal_web(self.p.bob)
        first = Goal.objects.get(episode=self.episode, position=1)
        response = web.post("/me/goals/", {"position": "1", "text": "Sleep through most nights"})
        self.assertEqual(response.status_code, 302)
        versions = list(Goal.objects.filter(goal_id=first.goal_id).order_by("version"))
        self.assertEqual([g.version for g in versions], [1, 2])
        self.assertEqual(versions[0].text, first.text)
        self.assertEqual(versions[1].text, "Sleep through most nights")
        page = web.get("/me/goals/")
        self.assertContains(page, "Sleep through most nights")
        self.assertContains(page, "Reworded once before")
        self.assertTrue(
            AuditEvent.objects.filter(action="goal.rewrite", target_id=str(versions[1].pk)).exists()
        )

    def test_ratings_stay_with_the_version_they_were_given_under(self) -> None:
        first = Goal.objects.get(episode=self.episode, position=1)
        portal_web(self.p.bob).post("/me/goals/", {"position": "1", "text": "New words"})
        rated = [g for g in history_for(self.episode).goals if g.position == 1]
        self.assertTrue(rated)
        self.assertEqual({g.version for g in rated}, {1})
        self.assertEqual({g.label for g in rated}, {first.text})
        # A rating given after the rewrite belongs to version 2, and the goals score uses
        # the current version's ratings only (DESIGN.md, "Goals score").
        last = Administration.objects.filter(
            episode=self.episode, instrument_key="personal_goals"
        ).latest("completed_at")
        now = timezone.now()
        Administration.objects.filter(pk=last.pk).update(
            completed_at=now, started_at=now, answers={"goal_1": 10, "goal_2": 0}
        )
        goals = history_for(self.episode).goals
        newest = [g for g in goals if g.position == 1 and g.version == 2]
        self.assertEqual([(g.rating, g.label) for g in newest], [(10.0, "New words")])
        history = history_for(self.episode)
        ctx = lanes.Ctx()
        score = lanes.goals(
            history.goals, history.inactive_goals, timezone.localdate(), Policy(), ctx
        )
        # Goal 1 counts only its version-2 rating (10), goal 2 its latest (0).
        self.assertEqual(score.mean, 5.0)
        trace = " ".join(ctx.trace)
        self.assertIn("'New words' 10", trace)
        self.assertNotIn(f"'{first.text}'", trace)

    def test_bob_adds_a_third_goal_but_never_a_fourth(self) -> None:
        web = portal_web(self.p.bob)
        taken = set(Goal.objects.filter(episode=self.episode).values_list("position", flat=True))
        free = ({1, 2, 3} - taken).pop() if len(taken) < 3 else None
        if free is not None:
            web.post("/me/goals/", {"position": str(free), "text": "Call my sister"})
        page = web.get("/me/goals/")
        self.assertContains(page, "the most there is room for")
        refused = web.post("/me/goals/", {"position": "4", "text": "One too many"})
        self.assertEqual(refused.status_code, 200)
        self.assertNotIn("One too many", [g.text for g in Goal.objects.all()])

    def test_it_writes_to_the_open_episode_when_an_older_one_is_closed(self) -> None:
        from plusone.clinical.models import Episode

        Episode.objects.create(
            practice=self.p.riverside,
            client=self.p.bob,
            primary_instrument="phq9",
            prior_therapy=False,
            status=Episode.Status.CLOSED,
            opened_on=timezone.localdate() - dt.timedelta(days=900),
            closed_on=timezone.localdate() - dt.timedelta(days=800),
        )
        portal_web(self.p.bob).post("/me/goals/", {"position": "1", "text": "Open words"})
        self.assertIn("Open words", [g.text for g in Goal.objects.filter(episode=self.episode)])

    def test_an_empty_goal_is_refused_with_words(self) -> None:
        refused = portal_web(self.p.bob).post("/me/goals/", {"position": "1", "text": "  "})
        self.assertContains(refused, "Write it in your own words first.")
        self.assertEqual(Goal.objects.filter(episode=self.episode, position=1).count(), 1)


class MyDecisionsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=14, skipped=9, decision_session=10, rupture_session=12)
        cls.episode.decisions.all().delete()
        _decide(cls.p, cls.episode, "plus_one", days_ago=7, confirmation="spoken")
        cls.deeper = _decide(cls.p, cls.episode, "deepening")

    def test_the_phase_moves_only_when_bob_confirms_in_the_portal(self) -> None:
        web = portal_web(self.p.bob)
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertEqual((summary.phase, summary.awaiting), ("plus_one", "deepening"))
        # Reading it, adding a note and asking for a correction change nothing.
        web.get(f"/me/decisions/{self.deeper.pk}/")
        web.post(
            f"/me/decisions/{self.deeper.pk}/",
            {"action": "note", "note-text": "I am nervous about this"},
        )
        self.assertEqual(decision_actions.agreed_phase(self.episode), "plus_one")
        summary.refresh_from_db()
        self.assertEqual(summary.awaiting, "deepening")
        response = web.post(
            f"/me/decisions/{self.deeper.pk}/", {"action": "confirm", "confirm-text": ""}
        )
        self.assertEqual(response.status_code, 302)
        self.deeper.refresh_from_db()
        self.assertEqual(self.deeper.confirmation, Decision.Confirmation.PORTAL)
        self.assertEqual(self.deeper.confirmed_on, timezone.localdate())
        self.assertEqual(decision_actions.agreed_phase(self.episode), "deepening")
        summary.refresh_from_db()
        self.assertEqual((summary.phase, summary.awaiting), ("deepening", ""))
        consent = Consent.objects.get(decision=self.deeper)
        self.assertEqual(consent.channel, Consent.Channel.PORTAL)
        event = AuditEvent.objects.get(action="decision.confirm", target_id=str(self.deeper.pk))
        self.assertEqual((event.actor_kind, str(event.actor_id)), ("token", str(self.p.bob.pk)))
        login_as(self.client, self.p.alice)
        caseload = self.client.get("/practice/caseload/")
        self.assertNotContains(caseload, "awaiting the client")

    def test_it_shows_the_decision_in_plain_words(self) -> None:
        page = portal_web(self.p.bob).get("/me/decisions/")
        self.assertContains(page, "Deeper work")
        self.assertContains(page, "Choosing what&#x27;s next")
        self.assertContains(page, "Being less guarded with my partner")
        self.assertContains(page, "Go deeper")
        self.assertContains(page, "Waiting for you")
        self.assertNotContains(page, "deepening")
        self.assertNotContains(page, "plus_one")

    def test_a_note_is_kept_beside_the_decision_encrypted(self) -> None:
        portal_web(self.p.bob).post(
            f"/me/decisions/{self.deeper.pk}/",
            {"action": "note", "note-text": "I want to go slowly"},
        )
        note = RecordAnnotation.objects.get(target="decision", target_id=self.deeper.pk)
        self.assertEqual((note.text, note.kind), ("I want to go slowly", "note"))
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT text FROM clinical_recordannotation WHERE id = %s", [note.pk.hex]
            )
            stored = cursor.fetchone()
        if stored is None:  # PostgreSQL stores the uuid natively
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT text FROM clinical_recordannotation WHERE id = %s", [str(note.pk)]
                )
                stored = cursor.fetchone()
        self.assertNotIn("slowly", str(stored))
        page = portal_web(self.p.bob).get(f"/me/decisions/{self.deeper.pk}/")
        self.assertContains(page, "I want to go slowly")

    def test_a_not_now_is_shown_and_waits_for_no_confirmation(self) -> None:
        today = timezone.localdate()
        not_now = decision_actions.record_decision(
            user=self.p.alice,
            episode=self.episode,
            data=decision_actions.DecisionData(
                kind="declined",
                phase="",
                decided_on=today,
                options_discussed=["continue", "go_deeper"],
                discomfort_acknowledged=False,
                symptom_rise_acknowledged=False,
                discomfort_note="",
                focus="",
                present=["client", "therapist"],
                confirmation="pending",
                review_date=today + dt.timedelta(weeks=6),
            ),
            today=today,
        )
        web = portal_web(self.p.bob)
        self.assertContains(web.get("/me/decisions/"), "Not now: staying with")
        page = web.get(f"/me/decisions/{not_now.pk}/")
        self.assertNotContains(page, "Yes, confirm it")
        web.post(f"/me/decisions/{not_now.pk}/", {"action": "confirm", "confirm-text": ""})
        not_now.refresh_from_db()
        self.assertEqual(not_now.confirmation, "pending")

    def test_bob_never_sees_daves_decision(self) -> None:
        dave_episode = self.p.dave.episodes.get()
        daves = _decide(self.p, dave_episode, "stabilizing")
        web = portal_web(self.p.bob)
        self.assertEqual(web.get(f"/me/decisions/{daves.pk}/").status_code, 404)
        posted = web.post(f"/me/decisions/{daves.pk}/", {"action": "confirm"})
        self.assertEqual(posted.status_code, 404)
        daves.refresh_from_db()
        self.assertEqual(daves.confirmation, "pending")


class DisputeTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=6, skipped=5, decision_session=3, rupture_session=4)
        cls.point = Administration.objects.filter(
            episode=cls.episode, instrument_key=cls.episode.primary_instrument
        ).latest("completed_at")

    def test_a_dispute_opens_a_correction_request_with_its_clock(self) -> None:
        web = portal_web(self.p.bob)
        response = web.post(
            f"/me/record/points/{self.point.pk}/",
            {"action": "dispute", "dispute-text": "I answered for the wrong week"},
        )
        self.assertEqual(response.status_code, 302)
        request = CorrectionRequest.objects.get(client=self.p.bob)
        today = timezone.localdate()
        self.assertEqual(request.received_on, today)
        self.assertEqual(request.due_on, clock.due_on(today, extended=False))
        self.assertEqual((request.status, request.how_received), ("open", "portal"))
        note = RecordAnnotation.objects.get(target_id=self.point.pk)
        self.assertEqual((note.kind, note.correction_request_id), ("dispute", request.pk))
        page = web.get("/me/record/")
        self.assertContains(page, "Waiting for an answer")
        # The privacy officer sees it among the practice's requests.
        login_as(self.client, self.p.erin)
        self.assertContains(self.client.get("/rights/"), "Bob")

    def test_a_note_on_a_point_opens_no_request(self) -> None:
        portal_web(self.p.bob).post(
            f"/me/record/points/{self.point.pk}/",
            {"action": "note", "note-text": "A hard week at work"},
        )
        self.assertFalse(CorrectionRequest.objects.exists())
        self.assertEqual(RecordAnnotation.objects.get().text, "A hard week at work")

    def test_bob_attaches_a_statement_after_a_refusal(self) -> None:
        web = portal_web(self.p.bob)
        web.post(
            f"/me/record/points/{self.point.pk}/",
            {"action": "dispute", "dispute-text": "That score is wrong"},
        )
        request = CorrectionRequest.objects.get(client=self.p.bob)
        # Before a refusal there is no statement form, and a post changes nothing.
        self.assertNotContains(web.get(f"/me/record/requests/{request.pk}/"), "Attach my statement")
        web.post(f"/me/record/requests/{request.pk}/", {"text": "Too early"})
        request.refresh_from_db()
        self.assertEqual(request.statement, "")
        rights.refuse_correction(
            user=self.p.erin,
            request=request,
            ground="s55_8",
            reason="The answers were recorded as given.",
            today=timezone.localdate(),
        )
        page = web.get(f"/me/record/requests/{request.pk}/")
        self.assertContains(page, "Not corrected")
        self.assertContains(page, "The answers were recorded as given.")
        web.post(f"/me/record/requests/{request.pk}/", {"text": "I still disagree"})
        request.refresh_from_db()
        self.assertEqual(request.statement, "I still disagree")
        self.assertEqual(request.statement_received_on, timezone.localdate())
        self.assertNotContains(web.get(f"/me/record/requests/{request.pk}/"), "Attach my statement")

    def test_bob_never_sees_daves_points_or_requests(self) -> None:
        dave_episode = self.p.dave.episodes.get()
        give_history(dave_episode, n=3, skipped=3, decision_session=2, rupture_session=2)
        daves = Administration.objects.filter(client=self.p.dave).first()
        web = portal_web(self.p.bob)
        self.assertEqual(web.get(f"/me/record/points/{daves.pk}/").status_code, 404)
        today = timezone.localdate()
        request = rights.record_correction_request(
            user=self.p.erin,
            client=self.p.dave,
            note=None,
            received_on=today,
            how_received="mail",
            asked="Dave's words",
            today=today,
        )
        self.assertEqual(web.get(f"/me/record/requests/{request.pk}/").status_code, 404)
        self.assertNotContains(web.get("/me/record/"), "Dave")


class WhoSeesMyRecordTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def test_it_lists_the_therapist_the_supervisor_and_the_roles(self) -> None:
        page = portal_web(self.p.bob).get("/me/access/")
        for words in ("Your therapist", "Supervisor", "Privacy officer", "Practice administrator"):
            self.assertContains(page, words)
        self.assertContains(page, self.p.sam.get_full_name() or self.p.sam.get_username())

    def test_who_viewed_lists_the_therapists_view_of_the_journey(self) -> None:
        login_as(self.client, self.p.alice)
        self.assertEqual(
            self.client.get(f"/practice/episodes/{self.episode.pk}/journey/").status_code, 200
        )
        page = portal_web(self.p.bob).get("/me/access/")
        body = page.content.decode()
        name = self.p.alice.get_full_name() or self.p.alice.get_username()
        self.assertIn(name, body.split("Who looked at my record", 1)[1])
        self.assertNotIn("view.journey", body)
        self.assertNotIn("insights:", body)

    def test_withdrawing_supervision_removes_sams_access(self) -> None:
        login_as(self.client, self.p.sam)
        journey = f"/practice/episodes/{self.episode.pk}/journey/"
        self.assertEqual(self.client.get(journey).status_code, 200)
        consent = Consent.objects.get(client=self.p.bob, kind="supervision")
        web = portal_web(self.p.bob)
        response = web.post(f"/me/access/supervision/{consent.pk}/withdraw/")
        self.assertEqual(response.status_code, 302)
        consent.refresh_from_db()
        self.assertIsNotNone(consent.withdrawn_at)
        self.assertEqual(self.client.get(journey).status_code, 404)
        self.assertNotContains(web.get("/me/access/"), "Withdraw my consent")
        self.assertTrue(AuditEvent.objects.filter(action="consent.supervision.withdraw").exists())

    def test_dave_cannot_withdraw_bobs_consent(self) -> None:
        consent = Consent.objects.get(client=self.p.bob, kind="supervision")
        response = portal_web(self.p.dave).post(f"/me/access/supervision/{consent.pk}/withdraw/")
        self.assertEqual(response.status_code, 404)
        consent.refresh_from_db()
        self.assertIsNone(consent.withdrawn_at)

    def test_dave_sees_no_supervisor(self) -> None:
        page = portal_web(self.p.dave).get("/me/access/")
        self.assertNotContains(page, "Withdraw my consent")

    def test_without_a_portal_session_it_sends_to_sign_in(self) -> None:
        for url in ("/me/goals/", "/me/decisions/", "/me/record/", "/me/access/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 302)
                self.assertIn("/me/", response["Location"])


class TherapistSeesTheNotesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=4, skipped=4, decision_session=2, rupture_session=3)
        cls.decision = cls.episode.decisions.get()

    def test_alice_reads_bobs_notes_beside_the_decision_and_on_his_results(self) -> None:
        web = portal_web(self.p.bob)
        web.post(
            f"/me/decisions/{self.decision.pk}/",
            {"action": "note", "note-text": "I remember it differently"},
        )
        point = Administration.objects.filter(episode=self.episode).first()
        web.post(
            f"/me/record/points/{point.pk}/",
            {"action": "note", "note-text": "My mother was in hospital that week"},
        )
        login_as(self.client, self.p.alice)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/decisions/")
        self.assertContains(page, "I remember it differently")
        self.assertContains(page, "My mother was in hospital that week")
        login_as(self.client, self.p.charlie)
        other = self.client.get(f"/practice/episodes/{self.episode.pk}/decisions/")
        self.assertEqual(other.status_code, 404)


class RecordPagesQueryCountTests(TestCase):
    """The list pages read a fixed number of queries, with 1 row or 30."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _count(self, url: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        web = portal_web(self.p.bob)
        web.get(url)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(web.get(url).status_code, 200)
        return len(queries)

    def _rows(self, n: int) -> None:
        episode = self.p.bob.episodes.get()
        today = timezone.localdate()
        for i in range(n):
            Decision.objects.create(
                practice=self.p.riverside,
                episode=episode,
                phase="stabilizing",
                kind=Decision.Kind.PHASE_CHANGE,
                decided_on=today - dt.timedelta(days=i),
                recorded_by=self.p.alice,
                options_discussed=["continue"],
            )
            at = timezone.now() - dt.timedelta(days=i)
            Administration.objects.create(
                practice=self.p.riverside,
                client=self.p.bob,
                episode=episode,
                instrument_key="phq9",
                instrument_version="1",
                context="checkin",
                respondent="client",
                total=5,
                valid=True,
                started_at=at,
                completed_at=at,
                idempotency_key=f"count:{n}:{i}",
            )
            rights.record_correction_request(
                user=self.p.erin,
                client=self.p.bob,
                note=None,
                received_on=today,
                how_received="mail",
                asked="Words",
                today=today,
            )
        login_as(self.client, self.p.alice)
        for _ in range(n):
            self.client.get(f"/practice/episodes/{episode.pk}/journey/")

    def test_the_list_pages_read_the_same_queries_for_1_and_30_rows(self) -> None:
        urls = ("/me/decisions/", "/me/record/", "/me/access/")
        self._rows(1)
        one = {url: self._count(url) for url in urls}
        self._rows(29)
        thirty = {url: self._count(url) for url in urls}
        self.assertEqual(one, thirty)
        self.assertEqual(one, PINNED_QUERIES)


# The access page's eleventh reads the client's observers (plusone.observers' partial).
PINNED_QUERIES = {"/me/decisions/": 3, "/me/record/": 5, "/me/access/": 11}
