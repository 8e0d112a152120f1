"""The client's check-in through the pages: link, groups, drafts, submit once, skip."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from checkin_helpers import PHQ9_MODERATE, complete, form_data, issue
from django.core import mail
from django.test import TestCase

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary
from plusone.measures import actions
from plusone.measures.models import Administration, CheckinDraft, Sitting, SittingStatus
from plusone.notify.models import Delivery
from plusone.tokens.models import AccessToken

ANSWERS = {
    "phq9": dict(PHQ9_MODERATE),
    "personal_goals": {"goal_1": 4, "goal_2": 6},
}


class CheckinFlowTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _open_at_phq9(self) -> tuple[str, object]:
        """Open Bob's link and rate the goals (the first group), so PHQ-9 is next."""
        path, token = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        self.client.post("/checkin/", form_data("personal_goals", ANSWERS["personal_goals"]))
        return path, token

    def test_it_moves_the_token_into_the_session_and_redirects_without_consuming_it(self) -> None:
        path, token = issue(self.p.alice, self.p.bob)
        response = self.client.get(path)
        self.assertRedirects(response, "/checkin/", fetch_redirect_response=False)
        self.assertEqual(response["Referrer-Policy"], "no-referrer")
        token.refresh_from_db()
        self.assertIsNone(token.used_at)
        # A second GET (a mail scanner, then the client) still works.
        self.assertEqual(self.client.get(path).status_code, 302)

    def test_it_shows_one_group_at_a_time_with_progress(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        page = self.client.get("/checkin/")
        # Own words first: the goals, then the symptom measure.
        self.assertContains(page, "Part 1 of 2")
        self.assertContains(page, "How close are you to each of your goals")
        # Bob did not choose to see his goals' words on links: "Goal 1", "Goal 2".
        self.assertContains(page, "Goal 1")
        self.assertNotContains(page, "Bob&#x27;s first goal")
        self.assertNotContains(page, "Little interest or pleasure in doing things")
        self.client.post("/checkin/", form_data("personal_goals", ANSWERS["personal_goals"]))
        page = self.client.get("/checkin/")
        self.assertContains(page, "Part 2 of 2")
        self.assertContains(page, "Little interest or pleasure in doing things")

    def test_it_stores_scores_duration_and_audit_on_submit(self) -> None:
        path, token = issue(self.p.alice, self.p.bob)
        response = complete(self.client, path, ANSWERS)
        self.assertRedirects(response, "/checkin/done/", fetch_redirect_response=False)
        phq9 = Administration.objects.get(client=self.p.bob, instrument_key="phq9")
        self.assertEqual(phq9.total, 11)
        self.assertEqual(phq9.band, "moderate")
        self.assertTrue(phq9.valid)
        self.assertEqual(phq9.answers["phq9_3"], 2)
        self.assertGreaterEqual(phq9.duration_seconds, 0)
        self.assertEqual(phq9.context, "checkin")
        goals = Administration.objects.get(client=self.p.bob, instrument_key="personal_goals")
        self.assertEqual(goals.total, 5)
        token.refresh_from_db()
        self.assertIsNotNone(token.used_at)
        actions_logged = set(
            AuditEvent.objects.filter(practice=self.p.riverside).values_list("action", flat=True)
        )
        self.assertLessEqual(
            {"checkin.issue_link", "administration.create", "checkin.submit"}, actions_logged
        )
        self.assertEqual(
            AuditEvent.objects.filter(
                action="administration.create", target_id=str(phq9.pk)
            ).count(),
            1,
        )
        summary = EpisodeSummary.objects.get(episode__client=self.p.bob)
        self.assertEqual(summary.latest_total, 11)
        self.assertEqual(summary.band_label, "moderate")
        # plusone.core.propose ran: with no decision yet, one administration proposes Stabilizing.
        self.assertEqual((summary.proposal_kind, summary.phase), ("stabilizing", "none"))
        self.assertFalse(CheckinDraft.objects.filter(token_id=str(token.pk)).exists())

    def test_it_acknowledges_after_commit_without_risk_text(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        complete(self.client, path, ANSWERS)
        page = self.client.get("/checkin/done/")
        self.assertContains(page, "Your answers are saved")
        self.assertNotContains(page, "9-8-8 Suicide Crisis Helpline")

    def test_it_stores_a_double_submit_once(self) -> None:
        _, token = self._open_at_phq9()
        final = form_data("phq9", PHQ9_MODERATE, "submit")
        first = self.client.post("/checkin/", final)
        second = self.client.post("/checkin/", final)
        self.assertRedirects(first, "/checkin/done/", fetch_redirect_response=False)
        self.assertRedirects(second, "/checkin/done/", fetch_redirect_response=False)
        self.assertEqual(Sitting.objects.filter(idempotency_key=str(token.pk)).count(), 1)
        self.assertEqual(Administration.objects.filter(client=self.p.bob).count(), 2)
        self.assertEqual(AuditEvent.objects.filter(action="checkin.submit").count(), 1)

    def test_it_returns_the_stored_result_when_a_lost_response_is_retried(self) -> None:
        _, token = issue(self.p.alice, self.p.bob)
        first = actions.submit_checkin(link=token, answers=ANSWERS)
        again = actions.submit_checkin(link=token, answers=ANSWERS)
        self.assertTrue(first.created)
        self.assertFalse(again.created)
        self.assertEqual(first.sitting.pk, again.sitting.pk)
        self.assertEqual(Administration.objects.filter(client=self.p.bob).count(), 2)

    def test_it_puts_errors_next_to_the_question_and_in_a_summary(self) -> None:
        self._open_at_phq9()
        partial = {k: v for k, v in PHQ9_MODERATE.items() if k != "phq9_4"}
        page = self.client.post("/checkin/", form_data("phq9", partial, "submit"))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, 'href="#q-phq9__phq9_4"')
        self.assertContains(page, 'id="q-phq9__phq9_4-error"')
        self.assertContains(page, "Choose one answer for this question.")
        # The other answers stay filled in.
        self.assertContains(page, 'id="phq9__phq9_3-2" name="phq9__phq9_3" value="2" checked')
        self.assertEqual(Administration.objects.count(), 0)

    def test_it_refuses_a_value_that_is_not_an_option(self) -> None:
        self._open_at_phq9()
        page = self.client.post(
            "/checkin/", form_data("phq9", {**PHQ9_MODERATE, "phq9_1": 7}, "submit")
        )
        self.assertContains(page, "isn&#x27;t one of the choices")

    def test_it_saves_drafts_and_resumes_from_the_same_link(self) -> None:
        path, token = self._open_at_phq9()
        draft = CheckinDraft.objects.get(token_id=str(token.pk))
        self.assertEqual(draft.answers["personal_goals"]["goal_2"], 6)
        # A new browser, same link: it resumes at the second group.
        self.client.logout()
        self.client.get(path)
        page = self.client.get("/checkin/")
        self.assertContains(page, "Part 2 of 2")
        back = self.client.post("/checkin/", form_data("phq9", {"phq9_1": 3}, "back"))
        self.assertEqual(back.status_code, 302)
        page = self.client.get("/checkin/")
        self.assertContains(page, "Part 1 of 2")
        self.assertContains(
            page, 'id="personal_goals__goal_2-6" name="personal_goals__goal_2" value="6" checked'
        )

    def test_it_skips_today_in_one_tap_as_not_completed(self) -> None:
        path, token = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        response = self.client.post("/checkin/skip/")
        self.assertRedirects(response, "/checkin/done/", fetch_redirect_response=False)
        sitting = Sitting.objects.get(idempotency_key=str(token.pk))
        self.assertEqual(sitting.status, SittingStatus.SKIPPED)
        self.assertEqual(sitting.carried_over, ["personal_goals", "phq9"])
        self.assertEqual(Administration.objects.count(), 0)
        page = self.client.get("/checkin/done/")
        self.assertContains(page, "not completed")
        self.assertNotContains(page, "overdue")
        summary = EpisodeSummary.objects.get(episode__client=self.p.bob)
        self.assertEqual(summary.not_completed_count, 1)
        self.assertTrue(
            AuditEvent.objects.filter(action="checkin.skip", target_id=str(sitting.pk)).exists()
        )

    def test_it_rolls_skipped_instruments_on_within_the_budget(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        self.client.post("/checkin/skip/")
        # Next sitting is Bob's 2nd: goals, PHQ-9 and the alternate GAD-7 (18+60+48 s).
        path2, token2 = issue(self.p.alice, self.p.bob)
        self.client.get(path2)
        self.client.get("/checkin/")
        draft = CheckinDraft.objects.get(token_id=str(token2.pk))
        self.assertEqual(draft.instruments, ["personal_goals", "phq9", "gad7"])

    def test_it_emails_only_the_link_with_no_health_information(self) -> None:
        # Sent on commit; TestCase holds commits back, so run the hooks it captured.
        with self.captureOnCommitCallbacks(execute=True):
            issue(self.p.alice, self.p.bob, send_email=True)
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["bob@client.example"])
        # The practice's neutral label, no more (tests/web/test_email_content.py).
        self.assertEqual(message.subject, "Riverside: your check-in link")
        # The random token may spell anything ("...q4hbobm" once did): scan the words around it.
        words = re.sub(r"/c/[A-Za-z0-9_-]+", "/c/TOKEN", message.body).lower()
        for word in ("phq", "therap", "mood", "check-in", "bob", "riverside", "health"):
            self.assertNotIn(word, words)
        self.assertIn("/c/", message.body)
        delivery = Delivery.objects.get(kind="checkin_link")
        self.assertEqual(delivery.status, Delivery.Status.SENT)

    def test_it_shows_the_issued_link_to_the_therapist_on_post_only(self) -> None:
        from personas import login_as

        login_as(self.client, self.p.alice)
        self.assertEqual(self.client.get("/practice/checkin/link/").status_code, 405)
        page = self.client.post("/practice/checkin/link/", {"client_id": str(self.p.bob.pk)})
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page["Cache-Control"], "no-store")
        url = page.context["link_url"]
        token = AccessToken.objects.get(pk=page.context["token_id"])
        self.assertEqual(token.client, self.p.bob)
        self.assertContains(page, url)
        self.assertTrue(urlsplit(url).path.startswith("/c/"))

    def test_it_revokes_the_shown_link_when_a_new_one_is_emailed(self) -> None:
        from personas import login_as

        login_as(self.client, self.p.alice)
        shown = self.client.post("/practice/checkin/link/", {"client_id": str(self.p.bob.pk)})
        old_id = shown.context["token_id"]
        with self.captureOnCommitCallbacks(execute=True):
            emailed = self.client.post(
                "/practice/checkin/link/",
                {"client_id": str(self.p.bob.pk), "email": "1", "replaces": str(old_id)},
            )
        self.assertContains(emailed, "The link was emailed")
        self.assertIsNotNone(AccessToken.objects.get(pk=old_id).revoked_at)
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn(emailed.context["link_url"], mail.outbox[0].body)

    def test_it_answers_not_yours_like_not_there_when_issuing(self) -> None:
        from personas import login_as

        login_as(self.client, self.p.charlie)
        page = self.client.post("/practice/checkin/link/", {"client_id": str(self.p.bob.pk)})
        self.assertEqual(page.status_code, 404)
        missing = self.client.post(
            "/practice/checkin/link/", {"client_id": "00000000-0000-0000-0000-000000000000"}
        )
        self.assertEqual(missing.status_code, 404)
        self.assertEqual(
            AccessToken.objects.filter(client=self.p.bob, purpose="checkin").count(), 0
        )
