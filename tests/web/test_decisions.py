"""Decisions: the +1 decision and every phase change, confirmation, declines, reversal."""

import datetime as dt

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from personas import TODAY, login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Consent, Decision, EpisodeSummary
from plusone.insights import decisions as actions

PLUS_ONE_POST = {
    "kind": "phase_change",
    "phase": "deepening",
    "proposal_kind": "plus_one",
    "decided_on": TODAY.isoformat(),
    "options_discussed": ["go_deeper", "continue", "end_good_enough"],
    "discomfort_acknowledged": "on",
    "symptom_rise_acknowledged": "on",
    "discomfort_note": "Old grief may come up; low mood may rise for a few weeks",
    "focus": "I want to stop shrinking when my father calls",
    "review_date": "2027-01-20",
    "present": ["client", "therapist"],
    "confirmation": "spoken",
    "confirmed_on": TODAY.isoformat(),
    "confirmation_text": "Yes, let's try it",
}


def _data(**overrides):
    values = {
        "kind": "phase_change",
        "phase": "deepening",
        "decided_on": TODAY,
        "options_discussed": ["go_deeper", "pause"],
        "discomfort_acknowledged": True,
        "symptom_rise_acknowledged": True,
        "discomfort_note": "",
        "focus": "Feel at home with my family",
        "present": ["client", "therapist"],
        "confirmation": "spoken",
        "confirmed_on": TODAY,
    }
    values.update(overrides)
    return actions.DecisionData(**values)


def _at_the_threshold(p, episode, days_ago=7):
    """Bob and Alice agreed the +1 threshold a week ago: the table then offers Deepening."""
    return actions.record_decision(
        user=p.alice,
        episode=episode,
        data=_data(
            phase="plus_one",
            decided_on=TODAY - dt.timedelta(days=days_ago),
            options_discussed=["go_deeper", "continue"],
            discomfort_acknowledged=False,
            symptom_rise_acknowledged=False,
            focus="",
            confirmed_on=TODAY - dt.timedelta(days=days_ago),
        ),
        today=TODAY,
    )


def _recorded():
    """The decisions a test records (the +1 threshold before it left out)."""
    return Decision.objects.exclude(phase="plus_one", decided_on__lt=TODAY)


class DecisionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.threshold = _at_the_threshold(cls.p, cls.episode)
        cls.new_url = reverse("insights:decision_new", kwargs={"episode_id": cls.episode.pk})
        cls.list_url = reverse("insights:decisions", kwargs={"episode_id": cls.episode.pk})
        cls.confirm_url = reverse(
            "insights:decision_confirm", kwargs={"episode_id": cls.episode.pk}
        )
        cls.reverse_url = reverse(
            "insights:decision_reverse", kwargs={"episode_id": cls.episode.pk}
        )

    def test_it_records_every_field_of_the_plus_one_decision(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.new_url, PLUS_ONE_POST)
        self.assertRedirects(response, self.list_url)
        d = _recorded().get(episode=self.episode)
        self.assertEqual(
            (d.kind, d.phase, d.proposal_kind), ("phase_change", "deepening", "plus_one")
        )
        self.assertEqual(d.options_discussed, ["go_deeper", "continue", "end_good_enough"])
        self.assertTrue(d.discomfort_acknowledged and d.symptom_rise_acknowledged)
        self.assertEqual(d.discomfort_note, PLUS_ONE_POST["discomfort_note"])
        self.assertEqual(d.focus, "I want to stop shrinking when my father calls")
        self.assertEqual(d.review_date, dt.date(2027, 1, 20))
        self.assertEqual(d.present, ["client", "therapist"])
        self.assertEqual((d.confirmation, d.confirmed_on), ("spoken", TODAY))
        self.assertEqual(d.confirmation_text, "Yes, let's try it")
        self.assertEqual(d.decided_on, TODAY)
        self.assertEqual(d.recorded_by, self.p.alice)
        event = AuditEvent.objects.get(action="decision.record", target_id=str(d.pk))
        self.assertEqual(event.actor_id, self.p.alice.pk)
        self.assertEqual(event.detail["phase"], "deepening")

    def test_it_encrypts_the_focus_and_the_discomfort_note_at_rest(self):
        login_as(self.client, self.p.alice)
        self.client.post(self.new_url, PLUS_ONE_POST)
        raw = _recorded().values("focus", "discomfort_note").get()
        for value in raw.values():
            self.assertTrue(value.startswith("v1:"))
            self.assertNotIn("father", value)

    def test_it_stores_the_plus_one_decision_as_versioned_treatment_plan_consent(self):
        login_as(self.client, self.p.alice)
        self.client.post(self.new_url, PLUS_ONE_POST)
        d = _recorded().get()
        consent = Consent.objects.exclude(decision=self.threshold).get(
            kind=Consent.Kind.TREATMENT_PLAN
        )
        self.assertEqual((consent.decision, consent.client), (d, self.p.bob))
        self.assertEqual(consent.version, actions.DECISION_CONSENT_VERSION)
        self.assertIsNone(consent.withdrawn_at)
        event = AuditEvent.objects.get(action="decision.record", target_id=str(d.pk))
        self.assertEqual(event.detail["consent"], str(consent.pk))

    def test_it_changes_the_agreed_phase_only_when_a_decision_is_recorded(self):
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertEqual(summary.phase, "plus_one")
        # A waiting proposal alone changes nothing.
        EpisodeSummary.objects.filter(pk=summary.pk).update(proposal_kind="deepening_or_ending")
        self.assertEqual(actions.agreed_phase(self.episode), "plus_one")
        login_as(self.client, self.p.alice)
        self.client.post(self.new_url, PLUS_ONE_POST)
        self.assertEqual(actions.agreed_phase(self.episode), "deepening")
        summary.refresh_from_db()
        self.assertEqual(summary.phase, "deepening")

    def test_it_defaults_the_review_date_to_six_weeks(self):
        login_as(self.client, self.p.alice)
        self.client.post(self.new_url, {**PLUS_ONE_POST, "review_date": ""})
        d = _recorded().get()
        self.assertEqual(d.review_date, TODAY + dt.timedelta(weeks=6))

    def test_it_refuses_going_deeper_without_both_acknowledgements_and_a_focus(self):
        login_as(self.client, self.p.alice)
        post = {**PLUS_ONE_POST, "focus": ""}
        del post["symptom_rise_acknowledged"]
        response = self.client.post(self.new_url, post)
        self.assertEqual(response.status_code, 200)
        form = response.context["form"]
        self.assertIn("symptom_rise_acknowledged", form.errors)
        self.assertIn("focus", form.errors)
        self.assertContains(response, 'id="id_focus-error"')
        self.assertFalse(_recorded().exists())
        # Only the +1 threshold's own record event.
        self.assertEqual(AuditEvent.objects.filter(action="decision.record").count(), 1)

    def _hand_over(self):
        """Alice records a decision for Bob to confirm now, and hands her device over."""
        login_as(self.client, self.p.alice)
        post = {**PLUS_ONE_POST, "confirmation": "pending", "confirmed_on": ""}
        response = self.client.post(self.new_url, post)
        self.assertRedirects(response, self.confirm_url)
        self.assertContains(self.client.get(self.confirm_url), "Hand this device to Bob")
        handed = self.client.post(self.confirm_url)
        self.assertRedirects(handed, self.device_url)
        return _recorded().get()

    device_url = "/practice/device/confirm/"

    def test_it_lets_the_client_confirm_in_session_on_the_therapists_device(self):
        d = self._hand_over()
        self.assertEqual(d.confirmation, "pending")
        self.assertFalse(
            Consent.objects.exclude(decision=self.threshold).filter(kind="treatment_plan").exists()
        )
        page = self.client.get(self.device_url)
        # The client sees the client-facing phase name, their own words, no jargon.
        self.assertContains(page, "Deeper work")
        self.assertContains(page, "I want to stop shrinking when my father calls")
        self.assertNotContains(page, "Deepening")
        self.assertNotContains(page, "+1")
        done = self.client.post(
            self.device_url, {"decision_id": d.pk, "text": "B.B. - ok, nervous"}
        )
        self.assertContains(done, "hand the device back")
        d.refresh_from_db()
        self.assertEqual((d.confirmation, d.confirmed_on), ("in_session", timezone.localdate()))
        self.assertEqual(d.confirmation_text, "B.B. - ok, nervous")
        consent = Consent.objects.exclude(decision=self.threshold).get(kind="treatment_plan")
        self.assertEqual(consent.decision, d)
        self.assertTrue(
            AuditEvent.objects.filter(action="decision.confirm", target_id=str(d.pk)).exists()
        )

    def test_it_locks_the_device_while_the_client_holds_it(self):
        # Issue 10: the client holding the device must not reach the caseload.
        self._hand_over()
        for page in (
            "/practice/caseload/",
            self.new_url,
            f"/practice/episodes/{self.episode.pk}/journey/",
        ):
            with self.subTest(page=page):
                response = self.client.get(page)
                self.assertEqual(response.status_code, 302)
                self.assertIn("/accounts/login/", response["Location"])
        confirmed = self.client.post(
            self.device_url, {"decision_id": _recorded().get().pk, "text": "B.B."}
        )
        # The thank-you page offers only the therapist's sign-in, never a way back in.
        self.assertNotContains(confirmed, "back to decisions")
        self.assertContains(confirmed, "/accounts/login/")
        self.assertEqual(self.client.get("/practice/caseload/").status_code, 302)
        # Once confirmed, the device holds nothing more.
        self.assertEqual(self.client.get(self.device_url).status_code, 400)

    def test_it_shows_the_device_nothing_without_a_hand_over(self):
        login_as(self.client, self.p.alice)
        actions.record_decision(
            user=self.p.alice,
            episode=self.episode,
            data=_data(confirmation="pending", confirmed_on=None),
            today=TODAY,
        )
        # Signed in, or a stranger: without a hand-over the page holds nothing.
        self.assertEqual(self.client.get(self.device_url).status_code, 400)
        self.assertNotContains(self.client.get(self.device_url), "stop shrinking", status_code=400)

    def test_it_refuses_an_empty_confirmation(self):
        decision = actions.record_decision(
            user=self.p.alice,
            episode=self.episode,
            data=_data(confirmation="pending", confirmed_on=None),
            today=TODAY,
        )
        login_as(self.client, self.p.alice)
        self.client.post(self.confirm_url)
        response = self.client.post(self.device_url, {"decision_id": decision.pk, "text": ""})
        self.assertIn("text", response.context["form"].errors)
        decision.refresh_from_db()
        self.assertEqual(decision.confirmation, "pending")

    def test_it_records_a_decision_not_to_change_with_its_review_date(self):
        login_as(self.client, self.p.alice)
        post = {
            "kind": "declined",
            "phase": "",
            "proposal_kind": "plus_one",
            "decided_on": TODAY.isoformat(),
            "options_discussed": ["continue", "go_deeper"],
            "present": ["client", "therapist"],
            "confirmation": "spoken",
            "confirmed_on": TODAY.isoformat(),
        }
        response = self.client.post(self.new_url, post)
        self.assertRedirects(response, self.list_url)
        d = _recorded().get()
        # A decision not to change keeps the agreed phase (the +1 threshold, a week ago).
        self.assertEqual((d.kind, d.phase, d.proposal_kind), ("declined", "plus_one", "plus_one"))
        self.assertEqual(d.review_date, TODAY + dt.timedelta(weeks=6))
        self.assertEqual(actions.agreed_phase(self.episode), "plus_one")
        # Not a treatment-plan change: no consent row.
        self.assertFalse(
            Consent.objects.exclude(decision=self.threshold).filter(kind="treatment_plan").exists()
        )

    def test_it_reverses_a_decision_with_a_new_row_and_withdraws_its_consent(self):
        first = actions.record_decision(
            user=self.p.alice,
            episode=self.episode,
            data=_data(phase="plus_one", focus="", decided_on=TODAY - dt.timedelta(days=14)),
            today=TODAY,
        )
        deeper = actions.record_decision(
            user=self.p.alice, episode=self.episode, data=_data(), today=TODAY
        )
        login_as(self.client, self.p.alice)
        response = self.client.post(
            self.reverse_url,
            {"decision_id": deeper.pk, "reason": "Too much at once", "confirmed_on": TODAY},
        )
        self.assertRedirects(response, self.list_url)
        reversal = _recorded().get(reverses=deeper)
        self.assertEqual((reversal.kind, reversal.phase), ("phase_change", "plus_one"))
        self.assertEqual(reversal.reversal_reason, "Too much at once")
        # The reversed decision itself is unchanged.
        deeper.refresh_from_db()
        self.assertEqual((deeper.phase, deeper.kind), ("deepening", "phase_change"))
        self.assertEqual(actions.agreed_phase(self.episode), "plus_one")
        consent = Consent.objects.get(decision=deeper)
        self.assertIsNotNone(consent.withdrawn_at)
        self.assertIsNone(Consent.objects.get(decision=first).withdrawn_at)
        event = AuditEvent.objects.get(action="decision.reverse")
        self.assertEqual(event.detail["reverses"], str(deeper.pk))
        # The threshold a week ago, the first +1, Deepening and its reversal.
        self.assertEqual(Decision.objects.count(), 4)

    def test_it_reverses_only_the_latest_phase_change_and_only_once(self):
        first = actions.record_decision(
            user=self.p.alice,
            episode=self.episode,
            data=_data(phase="plus_one", decided_on=TODAY - dt.timedelta(days=7)),
            today=TODAY,
        )
        actions.record_decision(user=self.p.alice, episode=self.episode, data=_data(), today=TODAY)
        login_as(self.client, self.p.alice)
        response = self.client.post(
            self.reverse_url, {"decision_id": first.pk, "reason": "x"}, follow=True
        )
        self.assertContains(response, "Only the latest phase change can be reversed.")
        self.assertFalse(_recorded().filter(reverses__isnull=False).exists())

    def test_it_shows_the_decisions_and_records_a_view_event(self):
        actions.record_decision(user=self.p.alice, episode=self.episode, data=_data(), today=TODAY)
        login_as(self.client, self.p.alice)
        response = self.client.get(self.list_url)
        self.assertContains(response, "Feel at home with my family")
        self.assertContains(response, "Reverse")
        event = AuditEvent.objects.get(action="view.decisions")
        self.assertEqual(event.target_id, str(self.episode.pk))

    def test_it_hides_bobs_decisions_from_charlie_like_missing_ones(self):
        login_as(self.client, self.p.charlie)
        self.assertEqual(self.client.get(self.list_url).status_code, 404)
        self.assertEqual(self.client.post(self.new_url, PLUS_ONE_POST).status_code, 404)
        self.assertFalse(_recorded().exists())

    def test_it_gives_the_admin_no_clinical_content(self):
        login_as(self.client, self.p.erin)
        self.assertEqual(self.client.get(self.list_url).status_code, 404)
        self.assertEqual(self.client.get(self.new_url).status_code, 403)

    def test_it_shows_sam_bobs_decisions_read_only(self):
        actions.record_decision(user=self.p.alice, episode=self.episode, data=_data(), today=TODAY)
        login_as(self.client, self.p.sam)
        response = self.client.get(self.list_url)
        self.assertContains(response, "Feel at home with my family")
        self.assertNotContains(response, "Reverse")
        self.assertEqual(self.client.post(self.new_url, PLUS_ONE_POST).status_code, 403)
        self.assertEqual(_recorded().count(), 1)

    def test_it_hides_daves_decisions_from_sam(self):
        dave_episode = self.p.dave.episodes.get()
        login_as(self.client, self.p.sam)
        url = reverse("insights:decisions", kwargs={"episode_id": dave_episode.pk})
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_keeps_the_other_practice_out(self):
        login_as(self.client, self.p.faye)
        self.assertEqual(self.client.get(self.list_url).status_code, 404)
        self.assertEqual(self.client.post(self.reverse_url, {"reason": "x"}).status_code, 404)


class DecisionListQueryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.url = reverse("insights:decisions", kwargs={"episode_id": cls.episode.pk})
        _at_the_threshold(cls.p, cls.episode, days_ago=61)

    def _record(self, n):
        for i in range(n):
            actions.record_decision(
                user=self.p.alice,
                episode=self.episode,
                data=_data(decided_on=TODAY - dt.timedelta(days=60 - i)),
                today=TODAY,
            )

    def _count(self):
        login_as(self.client, self.p.alice)
        self.client.get(self.url)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_it_reads_the_decision_list_in_a_constant_number_of_queries(self):
        self._record(1)
        one = self._count()
        self._record(29)
        self.assertEqual(Decision.objects.count(), 31)
        self.assertEqual(self._count(), one)
