"""My journey in the portal (issue 13), read through the pages a client uses."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from test_client_journey import THERAPIST_ONLY_WORDS, add_session, give_sitting

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.actions import open_flag
from plusone.clinical.actions.journey_notes import add_moment
from plusone.clinical.models import BringNote, Client, Decision, Moment, Phase, Session
from portal_fixtures import portal_web

JOURNEY = "/me/journey/"


def _text(response) -> str:
    return response.content.decode()


class PortalJourneyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.bob, cls.dave = cls.p.bob, cls.p.dave
        cls.episode = cls.bob.episodes.get()
        # The therapist's side holds a proposal, alerts, a rupture, a repair and a flag.
        give_history(cls.episode, n=12, skipped=5, decision_session=8, rupture_session=10)
        with transaction.atomic():
            open_flag(
                episode=cls.episode,
                grade=2,
                source_kind="test",
                source_id=cls.episode.pk,
                actor=None,
            )
        Decision.objects.create(
            practice_id=cls.episode.practice_id,
            episode=cls.episode,
            phase=Phase.DEEPENING,
            kind=Decision.Kind.PHASE_CHANGE,
            decided_on=timezone.localdate(),
            recorded_by=cls.p.alice,
            options_discussed=["go_deeper"],
            present=["client", "therapist"],
        )

    def test_the_journey_url_is_named(self):
        self.assertEqual(reverse("portal:journey"), JOURNEY)

    def test_own_words_come_before_growth_before_the_relationship_before_symptoms(self):
        body = _text(portal_web(self.bob).get(JOURNEY))
        order = [
            body.index('data-section="own-words"'),
            body.index('data-section="growth"'),
            body.index('data-section="relationship"'),
            body.index('data-section="symptoms"'),
        ]
        self.assertEqual(order, sorted(order))
        self.assertIn("Bob wants to feel at home in their own life", body)
        self.assertIn("Bob&#x27;s first goal", body)

    def test_it_shows_no_alert_rupture_proposal_flag_or_diagnosis(self):
        body = _text(portal_web(self.bob).get(JOURNEY)).lower()
        for word in THERAPIST_ONLY_WORDS:
            self.assertNotIn(word.lower(), body, word)
        self.assertNotIn("it felt rushed", body)  # not even the reflection's words back
        self.assertIn("a score is not a diagnosis", body)

    def test_it_names_the_phase_for_the_client_and_a_pending_one_awaits_their_confirmation(self):
        response = portal_web(self.bob).get(JOURNEY)
        self.assertContains(response, "Choosing what&#x27;s next")
        self.assertContains(response, "Deeper work: awaiting your confirmation")

    def test_it_speaks_french_to_a_french_client(self):
        Client.objects.filter(pk=self.bob.pk).update(language="fr")
        self.bob.refresh_from_db()
        response = portal_web(self.bob).get(JOURNEY)
        self.assertContains(response, "Mon parcours")
        self.assertContains(response, "Dans vos propres mots")
        self.assertContains(response, "Un score n’est pas un diagnostic.")
        self.assertContains(response, "Choisir la suite")
        # The chart and its table, drawn by the same module, in the client's language.
        self.assertContains(response, "Vos objectifs, de 0 à 10")
        self.assertContains(response, "Humeur basse")
        self.assertNotContains(response, "Your goals, 0 to 10")

    def test_the_client_sets_release_timing(self):
        web = portal_web(self.bob)
        response = web.post(reverse("portal:journey_release"), {"release_timing": "at_once"})
        self.assertRedirects(response, JOURNEY, fetch_redirect_response=False)
        self.bob.refresh_from_db()
        self.assertEqual(self.bob.release_timing, "at_once")
        self.assertTrue(AuditEvent.objects.filter(action="portal.release_timing").exists())

    def test_results_not_looked_at_together_wait_and_the_page_says_so(self):
        session = add_session(self.episode, 1)
        give_sitting(self.episode, session, 22)
        body = _text(portal_web(self.bob).get(JOURNEY))
        self.assertIn("Some results wait until you and your therapist look", body)
        self.assertIn("Latest: Low mood: lower range.", body)
        login_as(self.client, self.p.alice)
        self.client.post(reverse("insights:looked_at_together", args=[self.episode.pk]))
        body = _text(portal_web(self.bob).get(JOURNEY))
        self.assertNotIn("Some results wait", body)
        self.assertIn("Latest: Low mood: higher range.", body)

    def test_the_client_adds_a_moment_that_then_sits_on_both_journeys(self):
        web = portal_web(self.bob)
        day = (timezone.localdate() - dt.timedelta(days=20)).isoformat()
        web.post(
            reverse("portal:moment_add"),
            {"text": "the day I called my brother", "happened_on": day},
        )
        self.assertContains(web.get(JOURNEY), "the day I called my brother")
        login_as(self.client, self.p.alice)
        journey = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        self.assertContains(journey, "the day I called my brother")

    def test_the_client_removes_their_own_moment(self):
        moment = add_moment(
            episode=self.episode,
            text="the day I called my brother",
            happened_on=timezone.localdate(),
            today=timezone.localdate(),
        )
        web = portal_web(self.bob)
        web.post(reverse("portal:moment_remove"), {"moment_id": str(moment.pk)})
        self.assertNotContains(web.get(JOURNEY), "the day I called my brother")

    def test_dave_cannot_remove_bobs_moment_and_never_sees_it(self):
        moment = add_moment(
            episode=self.episode,
            text="bobs own moment",
            happened_on=timezone.localdate(),
            today=timezone.localdate(),
        )
        web = portal_web(self.dave)
        response = web.post(reverse("portal:moment_remove"), {"moment_id": str(moment.pk)})
        self.assertEqual(response.status_code, 404)
        self.assertIsNone(Moment.objects.get(pk=moment.pk).removed_at)
        body = _text(web.get(JOURNEY))
        self.assertNotIn("bobs own moment", body)
        self.assertNotIn("Bob wants to feel at home", body)
        self.assertNotIn("Bob&#x27;s first goal", body)

    def test_what_i_want_to_bring_reaches_the_card(self):
        web = portal_web(self.bob)
        response = web.get(reverse("portal:bring"))
        self.assertContains(response, "not read in real time")
        web.post(reverse("portal:bring"), {"text": "my sister's visit"})
        login_as(self.client, self.p.alice)
        card = self.client.get(reverse("insights:session_card", args=[self.episode.pk]))
        self.assertContains(card, "my sister&#x27;s visit")

    def test_dave_never_sees_bobs_bring_note(self):
        portal_web(self.bob).post(reverse("portal:bring"), {"text": "bobs note"})
        self.assertNotContains(portal_web(self.dave).get(reverse("portal:bring")), "bobs note")
        self.assertEqual(BringNote.objects.count(), 1)

    def test_the_journeys_query_count_does_not_grow_with_moments(self):
        web = portal_web(self.bob)
        counts = []
        for n in (1, 30):
            while Moment.objects.count() < n:
                add_moment(
                    episode=self.episode,
                    text=f"moment {Moment.objects.count()}",
                    happened_on=timezone.localdate(),
                    today=timezone.localdate(),
                )
            web.get(JOURNEY)
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(web.get(JOURNEY).status_code, 200)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])

    def test_without_a_portal_session_it_asks_to_sign_in(self):
        response = self.client.get(JOURNEY)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Session.objects.filter(episode=self.episode).count() > 0, True)


class PortalJourneyWeightTests(TestCase):
    def test_a_40_session_journey_stays_under_50_kb_gzipped(self):
        from test_page_weight import BUDGET_BYTES, _weight

        p = make_personas()
        episode = p.bob.episodes.get()
        give_history(episode, n=40)
        for i in range(10):
            add_moment(
                episode=episode,
                text=f"a moment that matters, number {i}, in my own words",
                happened_on=timezone.localdate() - dt.timedelta(days=7 * i),
                today=timezone.localdate(),
            )
        html = _text(portal_web(p.bob).get(JOURNEY))
        weight = _weight(html)
        print(f"my journey, 40 sessions and 10 moments: {weight} bytes gzipped")
        self.assertLess(weight, BUDGET_BYTES)
