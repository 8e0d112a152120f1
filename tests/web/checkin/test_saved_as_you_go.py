"""Each answer is saved as it is given (issue 12): a tap posts one answer to
/checkin/answer/, a reload shows it still chosen, and a risk answer saved this way
opens the sitting's flag in that save's transaction (DESIGN.md, Risk).
"""

from __future__ import annotations

import datetime as dt
from unittest import mock
from urllib.parse import urlsplit

from checkin_helpers import (
    PHQ9_MODERATE,
    agree_on_the_page,
    answer_today,
    form_data,
    issue,
    phq9_with_item9,
    walk_to,
)
from django.test import TestCase
from django.utils import timezone

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Flag, FlagNote
from plusone.measures import actions
from plusone.measures.forms import field_name
from plusone.measures.models import CheckinDraft
from plusone.tokens import TokenError
from plusone.tokens import service as tokens

URL = "/checkin/answer/"
HTMX = {"HTTP_HX_REQUEST": "true"}


class SavedAsYouGoTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _start(self):
        # Bob's first check-in is sent, so today's asks GAD-7 after PHQ-9: PHQ-9 is not last.
        _, first = issue(self.p.alice, self.p.bob)
        answer_today(first)
        path, token = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        agree_on_the_page(self.client)
        walk_to(self.client, token, "phq9")
        return path, token

    def _save(self, item_id: str, value, group: str = "phq9", **extra):
        data = {"group": group, field_name(group, item_id): str(value), **extra}
        return self.client.post(URL, data, **HTMX)

    def _draft(self, token) -> dict:
        return CheckinDraft.objects.get(token_id=str(token.pk)).answers.get("phq9", {})

    def test_it_saves_one_answer_as_it_is_given(self) -> None:
        _, token = self._start()
        response = self._save("phq9_3", 2)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Answer to question 3 saved.")
        self.assertEqual(self._draft(token), {"phq9_3": 2})
        # A later tap on another question keeps the first.
        self._save("phq9_5", 1)
        self.assertEqual(self._draft(token), {"phq9_3": 2, "phq9_5": 1})

    def test_it_shows_the_saved_answers_after_a_reload(self) -> None:
        # The repro: 9 answers tapped and a reload kept none.
        self._start()
        for item_id, value in PHQ9_MODERATE.items():
            self._save(item_id, value)
        page = self.client.get("/checkin/")
        self.assertEqual(page.context["group"].key, "phq9")
        for item_id, value in PHQ9_MODERATE.items():
            name = field_name("phq9", item_id)
            self.assertContains(page, f'name="{name}" value="{value}" checked')

    def test_it_keeps_the_saved_answers_in_a_new_browser_with_the_same_link(self) -> None:
        path, _ = self._start()
        self._save("phq9_2", 3)
        self.client.logout()
        self.client.get(path)
        page = self.client.get("/checkin/")
        self.assertContains(page, 'name="phq9__phq9_2" value="3" checked')

    def test_it_marks_each_question_to_save_on_change_with_the_csrf_token(self) -> None:
        self._start()
        page = self.client.get("/checkin/")
        self.assertContains(page, 'hx-post="/checkin/answer/"')
        self.assertContains(page, 'hx-trigger="change"')
        self.assertContains(page, 'hx-params="csrfmiddlewaretoken,group,phq9__phq9_9"')
        self.assertContains(page, 'name="csrfmiddlewaretoken"')
        self.assertNotContains(page, "hx-on")

    def test_it_refuses_a_save_without_the_csrf_token(self) -> None:
        _, token = self._start()
        self.client.handler.enforce_csrf_checks = True
        response = self._save("phq9_1", 1)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self._draft(token), {})

    def test_it_refuses_junk_with_a_clear_error_and_stores_nothing(self) -> None:
        _, token = self._start()
        cases = [
            ({"group": "phq9", "phq9__phq9_1": "7"}, "isn&#x27;t one of the choices"),
            ({"group": "phq9", "phq9__phq9_1": "one"}, "isn&#x27;t one of the choices"),
            ({"group": "phq9", "phq9__phq9_1": ""}, "Choose one answer"),
            ({"group": "phq9", "phq9__phq9_99": "1"}, "one answer to one question"),
            ({"group": "phq9"}, "one answer to one question"),
            ({"group": "phq9", "phq9__phq9_1": "1", "phq9__phq9_2": "1"}, "one answer to one"),
            ({"group": "gad7", "phq9__phq9_1": "1"}, "one answer to one question"),
            ({"group": "nonsense", "nonsense__x": "1"}, "one answer to one question"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                response = self.client.post(URL, data, **HTMX)
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, message, status_code=400)
        self.assertEqual(self._draft(token), {})
        self.assertFalse(Flag.objects.filter(client=self.p.bob).exists())

    def test_it_refuses_a_revoked_link_with_the_same_polite_page(self) -> None:
        _, token = self._start()
        tokens.revoke(token)
        response = self._save("phq9_9", 2)
        self.assertContains(response, "This link has been replaced", status_code=410)
        # htmx leaves the page for the refusal, as Next would.
        self.assertEqual(response["HX-Redirect"], "/checkin/")
        self.assertEqual(self._draft(token), {})
        self.assertFalse(Flag.objects.filter(client=self.p.bob).exists())

    def test_it_refuses_an_expired_link_with_the_same_polite_page(self) -> None:
        _, token = self._start()
        now = timezone.now()
        type(token).objects.filter(pk=token.pk).update(
            created_at=now - dt.timedelta(days=8), expires_at=now - dt.timedelta(seconds=1)
        )
        response = self._save("phq9_1", 1)
        self.assertContains(response, "This link has expired", status_code=410)
        self.assertEqual(self._draft(token), {})

    def test_it_refuses_a_save_with_no_check_in_open(self) -> None:
        response = self.client.post(URL, {"group": "phq9", "phq9__phq9_1": "1"}, **HTMX)
        self.assertContains(response, "nothing open to fill in", status_code=400)

    def test_a_tap_that_arrives_after_the_sitting_ended_stores_nothing(self) -> None:
        _, token = self._start()
        draft = CheckinDraft.objects.get(token_id=str(token.pk))
        # "Skip today" commits while the tap is still on its way.
        actions.skip_checkin(link=token)
        with self.assertRaises(TokenError):
            actions.save_answer(draft, "phq9", "phq9_9", 2, token=token)
        self.assertFalse(CheckinDraft.objects.filter(token_id=str(token.pk)).exists())
        self.assertFalse(Flag.objects.filter(client=self.p.bob).exists())

    def test_it_opens_the_flag_when_a_risk_answer_is_saved(self) -> None:
        self._start()
        response = self._save("phq9_9", 2)
        flag = Flag.objects.get(client=self.p.bob)
        self.assertEqual((flag.status, flag.grade, flag.answer), (Flag.Status.OPEN, 2, 2))
        self.assertEqual(AuditEvent.objects.get(action="flag.open").actor_kind, "token")
        # The save itself says nothing alarming and stays on the page.
        self.assertEqual(response.status_code, 200)
        self.assertFalse(response.has_header("HX-Redirect"))
        self.assertContains(response, "Answer to question 9 saved.")
        self.assertNotContains(response, "9-8-8")

    def test_it_stores_the_answer_and_opens_the_flag_in_one_transaction(self) -> None:
        _, token = self._start()
        from plusone.measures.actions import drafts

        real = drafts.record_risk_answers

        def then_fail(**kwargs):
            real(**kwargs)
            raise RuntimeError("the save fails after the flag opened")

        with (
            mock.patch.object(drafts, "record_risk_answers", then_fail),
            self.assertRaises(RuntimeError),
        ):
            self._save("phq9_9", 2)
        # Both rolled back together: never an answer stored without its flag.
        self.assertEqual(self._draft(token), {})
        self.assertFalse(Flag.objects.filter(client=self.p.bob).exists())

    def test_a_second_higher_answer_raises_the_flags_grade(self) -> None:
        self._start()
        self._save("phq9_9", 1)
        self._save("phq9_9", 2)
        flag = Flag.objects.get(client=self.p.bob)
        self.assertEqual((flag.status, flag.grade), (Flag.Status.OPEN, 2))
        self.assertTrue(flag.notes.filter(kind=FlagNote.Kind.RAISED, answer=2).exists())

    def test_an_edit_to_0_adds_a_note_and_keeps_the_flag_open(self) -> None:
        _, token = self._start()
        self._save("phq9_9", 2)
        self._save("phq9_9", 0)
        flag = Flag.objects.get(client=self.p.bob)
        self.assertEqual((flag.status, flag.grade), (Flag.Status.OPEN, 2))
        self.assertTrue(flag.notes.filter(kind=FlagNote.Kind.CHANGED, answer=0).exists())
        self.assertEqual(self._draft(token), {"phq9_9": 0})

    def test_next_shows_the_graded_response_for_a_risk_answer_saved_on_tap(self) -> None:
        self._start()
        self._save("phq9_9", 2)
        # The client reloads before Next: the response is still due.
        self.client.get("/checkin/")
        response = self.client.post("/checkin/", form_data("phq9", phq9_with_item9(2)))
        self.assertRedirects(response, "/checkin/safety/", fetch_redirect_response=False)
        self.assertContains(self.client.get("/checkin/safety/"), "not watched in real time")
        following = self.client.get("/checkin/")
        self.assertEqual(following.context["group"].key, "gad7")
        # Back and Next again with the same answer: shown once, not again.
        self.client.post("/checkin/", {"group": "gad7", "action": "back"})
        again = self.client.post("/checkin/", form_data("phq9", phq9_with_item9(2)))
        self.assertRedirects(again, "/checkin/", fetch_redirect_response=False)

    def test_next_shows_the_response_even_when_the_answer_was_taken_back(self) -> None:
        # A tap on "More than half the days", then "Not at all": the flag stays open, so
        # the client still learns who reads it and by when.
        self._start()
        self._save("phq9_9", 2)
        self._save("phq9_9", 0)
        response = self.client.post("/checkin/", form_data("phq9", phq9_with_item9(0)))
        self.assertRedirects(response, "/checkin/safety/", fetch_redirect_response=False)

    def test_next_without_a_risk_answer_goes_straight_on(self) -> None:
        self._start()
        self._save("phq9_9", 0)
        response = self.client.post("/checkin/", form_data("phq9", phq9_with_item9(0)))
        self.assertRedirects(response, "/checkin/", fetch_redirect_response=False)

    def test_it_saves_free_text_encrypted_and_shows_it_after_a_reload(self) -> None:
        issued = actions.issue_reflection_link(
            acting_user=self.p.alice, client=self.p.bob, send_email=False
        )
        self.client.get(urlsplit(issued.url).path)
        agree_on_the_page(self.client)
        self.assertEqual(self.client.get("/checkin/").context["group"].key, "session_reflection")
        line = "I wanted more time on the weekend"
        response = self._save("reflection_not_right", line, group="session_reflection")
        self.assertEqual(response.status_code, 200)
        draft = CheckinDraft.objects.get(token_id=str(issued.token.pk))
        # Text never goes into the JSON answers; it is kept in the encrypted field.
        self.assertEqual(draft.answers.get("session_reflection", {}), {})
        self.assertEqual(
            actions.draft_answers(draft)["session_reflection"]["reflection_not_right"], line
        )
        self.assertContains(self.client.get("/checkin/"), f">{line}</textarea>")
