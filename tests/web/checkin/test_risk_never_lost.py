"""A risk answer is never lost (issue 10, DESIGN.md, Risk).

The flag opens in the transaction that first stores the risk answer: its group's
"Next" (or "Back"), not only the final send. Skip, back, closing the page, an
expired or revoked link and a later edit all leave it open; an edit to 0 adds a
note; one flag per sitting, raised by a higher answer.
"""

from __future__ import annotations

import datetime as dt

import time_machine
from checkin_helpers import (
    agree_on_the_page,
    answer_today,
    answers_for,
    form_data,
    issue,
    phq9_with_item9,
    walk_to,
)
from django.test import Client as WebClient
from django.test import TestCase
from django.utils import timezone

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary, Flag, FlagNote
from plusone.clinical.risk import format_read_by
from plusone.measures import actions
from plusone.measures.models import Sitting, SittingStatus
from plusone.tokens import service as tokens


class RiskNeverLostTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _start(self, web=None):
        web = web or self.client
        # Bob's first check-in is sent already, so today's asks GAD-7 after PHQ-9 (the
        # default plan's alternate sessions): the risk group is not the last.
        _, first = issue(self.p.alice, self.p.bob)
        answer_today(first)
        path, token = issue(self.p.alice, self.p.bob)
        web.get(path)
        agree_on_the_page(web)
        walk_to(web, token, "phq9")
        return path, token

    def _answer_phq9(self, token, item9: int, action: str = "next", web=None):
        web = web or self.client
        return web.post("/checkin/", form_data("phq9", phq9_with_item9(item9), action))

    def _flag(self) -> Flag:
        return Flag.objects.get(client=self.p.bob)

    def test_it_opens_the_flag_when_the_group_is_saved_then_keeps_it_through_skip_today(
        self,
    ) -> None:
        # The repro: item 9 "More than half the days", Next, then "Skip today".
        _, token = self._start()
        self._answer_phq9(token, 2)
        flag = self._flag()
        self.assertEqual((flag.grade, flag.status), (2, Flag.Status.OPEN))
        self.assertEqual((flag.instrument_key, flag.item_id, flag.answer), ("phq9", "phq9_9", 2))
        self.client.get("/checkin/")
        done = self.client.post("/checkin/skip/", follow=True)
        flag.refresh_from_db()
        self.assertEqual(flag.status, Flag.Status.OPEN)
        sitting = Sitting.objects.get(idempotency_key=str(token.pk))
        self.assertEqual((sitting.status, sitting.risk_grade), (SittingStatus.SKIPPED, 2))
        # The client is not told "that's fine" and nothing more: the answer stays with them.
        self.assertContains(done, "The answer you gave is saved")
        self.assertContains(done, "This form is not watched in real time.")
        self.assertEqual(EpisodeSummary.objects.get(episode__client=self.p.bob).open_flag_count, 1)
        opened = AuditEvent.objects.get(action="flag.open", target_id=str(flag.pk))
        self.assertEqual(opened.actor_kind, "token")

    def test_it_shows_the_graded_response_right_after_that_group(self) -> None:
        _, token = self._start()
        response = self._answer_phq9(token, 3)
        self.assertRedirects(response, "/checkin/safety/", fetch_redirect_response=False)
        page = self.client.get("/checkin/safety/")
        flag = self._flag()
        when = format_read_by(self.p.riverside, flag.promised_read_by)
        self.assertContains(page, f"Your therapist reads it by {when}.")
        self.assertContains(page, 'href="tel:988"')
        # Continue goes on to the next group, and the response is not shown twice.
        following = self.client.get("/checkin/")
        self.assertEqual(following.status_code, 200)
        self.assertNotEqual(following.context["group"].key, "phq9")

    def test_it_tells_the_client_the_read_by_time_at_grade_1_too(self) -> None:
        _, token = self._start()
        self._answer_phq9(token, 1)
        page = self.client.get("/checkin/safety/")
        flag = self._flag()
        self.assertEqual(flag.grade, 1)
        self.assertIsNotNone(flag.promised_read_by)
        when = format_read_by(self.p.riverside, flag.promised_read_by)
        self.assertContains(page, "Your safety plan")
        self.assertContains(page, "Bob&#x27;s safety plan: call my sister")
        self.assertContains(page, f"Your therapist reads it by {when}.")

    def test_it_says_what_to_do_now_when_there_is_no_safety_plan_yet(self) -> None:
        self.p.bob.safety_plan.text = ""
        self.p.bob.safety_plan.save()
        _, token = self._start()
        self._answer_phq9(token, 1)
        page = self.client.get("/checkin/safety/")
        self.assertContains(page, "reach out now: call or text 9-8-8 any time")
        self.assertContains(page, "will write your own safety plan together")
        self.assertNotContains(page, "haven&#x27;t written a safety plan yet")

    def test_it_keeps_the_flag_when_the_page_is_closed(self) -> None:
        path, token = self._start()
        self._answer_phq9(token, 2)
        # The client closes the page: nothing more arrives. The flag is already open.
        self.assertEqual(self._flag().status, Flag.Status.OPEN)
        # Opening the link again later goes on where they were, and the flag stays one.
        again = WebClient()
        again.get(path)
        self.assertEqual(again.get("/checkin/").status_code, 200)
        self.assertEqual(Flag.objects.filter(client=self.p.bob).count(), 1)

    def test_it_keeps_the_flag_when_the_link_expires(self) -> None:
        path, token = self._start()
        self._answer_phq9(token, 2)
        later = timezone.now() + actions.CHECKIN_TTL + dt.timedelta(minutes=1)
        with time_machine.travel(later, tick=False):
            # The session has lapsed too by then: either way, no questions are shown.
            self.assertIn(self.client.get("/checkin/").status_code, (400, 410))
            self.assertEqual(WebClient().get(path).status_code, 410)
        self.assertEqual(self._flag().status, Flag.Status.OPEN)

    def test_it_keeps_the_flag_when_the_link_is_revoked(self) -> None:
        _, token = self._start()
        self._answer_phq9(token, 2)
        tokens.revoke(token)
        self.assertEqual(self.client.get("/checkin/").status_code, 410)
        self.assertEqual(self._flag().status, Flag.Status.OPEN)

    def test_it_keeps_the_flag_and_adds_a_note_when_the_answer_is_edited_to_0(self) -> None:
        _, token = self._start()
        self._answer_phq9(token, 2)
        self.client.get("/checkin/")
        # The client goes back, changes item 9 to "Not at all" and goes on.
        self.client.post("/checkin/", form_data(self._current_key(), {}, "back"))
        walk_to(self.client, token, "phq9")
        self._answer_phq9(token, 0)
        flag = self._flag()
        self.assertEqual((flag.status, flag.grade), (Flag.Status.OPEN, 2))
        note = FlagNote.objects.get(flag=flag)
        self.assertEqual((note.kind, note.answer, note.grade), (FlagNote.Kind.CHANGED, 0, 0))
        self.assertTrue(AuditEvent.objects.filter(action="flag.note").exists())

    def _current_key(self) -> str:
        return self.client.get("/checkin/").context["group"].key

    def test_it_keeps_the_flag_when_the_client_goes_back_from_the_risk_group(self) -> None:
        _, token = self._start()
        response = self._answer_phq9(token, 2, action="back")
        self.assertRedirects(response, "/checkin/safety/", fetch_redirect_response=False)
        self.assertEqual(self._flag().status, Flag.Status.OPEN)

    def test_it_raises_the_one_flag_of_the_sitting_on_a_higher_answer(self) -> None:
        _, token = self._start()
        self._answer_phq9(token, 1)
        self.client.get("/checkin/")
        self.client.post("/checkin/", form_data(self._current_key(), {}, "back"))
        walk_to(self.client, token, "phq9")
        response = self._answer_phq9(token, 3)
        self.assertRedirects(response, "/checkin/safety/", fetch_redirect_response=False)
        self.assertEqual(Flag.objects.filter(client=self.p.bob).count(), 1)
        flag = self._flag()
        self.assertEqual((flag.grade, flag.answer), (2, 3))
        self.assertEqual(FlagNote.objects.get(flag=flag).kind, FlagNote.Kind.RAISED)
        self.assertContains(self.client.get("/checkin/safety/"), "hurting yourself")

    def test_it_opens_no_second_flag_when_the_check_in_is_sent(self) -> None:
        _, token = self._start()
        self._answer_phq9(token, 2)
        for _ in range(10):
            page = self.client.get("/checkin/")
            if page.status_code != 200:
                break
            key, last = page.context["group"].key, page.context["position"] == page.context["total"]
            self.client.post(
                "/checkin/", form_data(key, answers_for(token, key), "submit" if last else "next")
            )
            if last:
                break
        sitting = Sitting.objects.get(idempotency_key=str(token.pk))
        self.assertEqual((sitting.status, sitting.risk_grade), (SittingStatus.COMPLETED, 2))
        self.assertEqual(Flag.objects.filter(client=self.p.bob).count(), 1)
        self.assertEqual(AuditEvent.objects.filter(action="flag.open").count(), 1)

    def test_it_opens_the_flag_at_the_send_when_the_risk_group_comes_last(self) -> None:
        _, token = issue(self.p.alice, self.p.bob)
        draft = actions.open_draft(token)
        answers = {k: answers_for(token, k) for k in draft.instruments}
        answers["phq9"] = phq9_with_item9(2)
        result = actions.submit_checkin(link=token, answers=answers)
        self.assertEqual(result.flag, self._flag())
        self.assertEqual(result.risk_grade, 2)

    def test_it_asks_for_the_tablet_back_at_that_moment_in_kiosk_mode(self) -> None:
        _, first = issue(self.p.alice, self.p.bob)
        answer_today(first)
        login_as(self.client, self.p.alice)
        self.client.post("/practice/checkin/kiosk/", {"client_id": self.p.bob.pk})
        agree_on_the_page(self.client)
        page = self.client.get("/checkin/")
        while page.context["group"].key != "phq9":
            key = page.context["group"].key
            self.client.post("/checkin/", form_data(key, answers_for_key(self.p.bob, key)))
            page = self.client.get("/checkin/")
        response = self.client.post("/checkin/", form_data("phq9", phq9_with_item9(2)))
        self.assertRedirects(response, "/checkin/safety/", fetch_redirect_response=False)
        page = self.client.get("/checkin/safety/")
        self.assertContains(page, "Please hand the tablet back to your therapist now.")
        # The therapist's device shows no crisis text to read over the client's shoulder.
        self.assertNotContains(page, "If you&#x27;re thinking about hurting yourself")
        self.assertEqual(self._flag().status, Flag.Status.OPEN)


def answers_for_key(person, key: str) -> dict[str, int]:
    from plusone.measures.checkin import group_items

    episode = person.episodes.get()
    items = group_items(key, episode.pk, person.practice_id).items
    return {i.id: i.options[0].value for i in items if i.options and i.kind != "text"}
