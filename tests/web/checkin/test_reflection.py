"""The client's Session Reflection: its own end-of-session sitting, in kiosk mode or by link.

Through the real pages, as the personas: the therapist starts it, the client
answers three 0-10 items and an optional line, and the submit stores, scores,
audits and refreshes the episode summary, whose alerts carry
``possible_rupture`` by DESIGN.md's rules (any item <= 6, the line answered,
or from the 4th reflection a score <= the median of the previous 5 minus 2).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import time_machine
from checkin_helpers import agree_on_the_page, form_data
from django.core import mail
from django.db import connection
from django.test import Client as WebClient
from django.test import TestCase

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary, Session
from plusone.measures import checkin
from plusone.measures.models import (
    Administration,
    CheckinDraft,
    Context,
    Sitting,
    SittingKind,
    SittingStatus,
)
from plusone.tokens.models import AccessToken

TORONTO = ZoneInfo("America/Toronto")
KEY = "session_reflection"
# A line no other text in the product contains, to find any leak of it.
SECRET_LINE = "You checked the clock twice while I talked about Mira"
# 10:48 on the persona day: the last minutes of a 10:00 session.
END_OF_SESSION = dt.datetime(2026, 11, 25, 10, 48, tzinfo=TORONTO)


def reflection(heard: int, matters: int, fit: int, text: str = "") -> dict[str, Any]:
    return {
        "reflection_heard": heard,
        "reflection_matters": matters,
        "reflection_fit": fit,
        "reflection_not_right": text,
    }


class ReflectionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def _session(self, at: dt.datetime, *, person: Any = None, **extra: Any) -> Session:
        episode = (person or self.p.bob).episodes.get()
        return Session.objects.create(
            practice=self.p.riverside,
            episode=episode,
            starts_at=at,
            status=extra.pop("status", Session.Status.ATTENDED),
            **extra,
        )

    def _start_kiosk(self, **post: str) -> Any:
        login_as(self.client, self.p.alice)
        response = self.client.post(
            "/practice/reflection/kiosk/", {"client_id": str(self.p.bob.pk), **post}
        )
        agree_on_the_page(self.client)
        return response

    def _answer(self, web: Any, answers: dict[str, Any]) -> Any:
        return web.post("/checkin/", form_data(KEY, answers, "submit"))

    def _by_link(self, answers: dict[str, Any]) -> Any:
        """Alice issues a reflection link; Bob opens it on his own device and answers."""
        login_as(self.client, self.p.alice)
        page = self.client.post("/practice/reflection/link/", {"client_id": str(self.p.bob.pk)})
        self.assertEqual(page.status_code, 200)
        bob_device = WebClient()
        self.assertEqual(bob_device.get(urlsplit(page.context["link_url"]).path).status_code, 302)
        agree_on_the_page(bob_device)
        self.assertEqual(bob_device.get("/checkin/").status_code, 200)
        return self._answer(bob_device, answers)

    def test_it_never_calls_a_used_reflection_link_a_check_in(self) -> None:
        login_as(self.client, self.p.alice)
        page = self.client.post("/practice/reflection/link/", {"client_id": str(self.p.bob.pk)})
        path = urlsplit(page.context["link_url"]).path
        bob_device = WebClient()
        bob_device.get(path)
        agree_on_the_page(bob_device)
        self._answer(bob_device, reflection(9, 9, 9))
        again = WebClient().get(path)
        self.assertContains(again, "This link has already been used", status_code=410)
        self.assertNotIn("check-in", again.content.decode().lower())

    def _alerts(self) -> list[str]:
        return list(EpisodeSummary.objects.get(episode=self.episode).alerts)

    # Starting it ----------------------------------------------------------------------

    def test_it_starts_the_reflection_in_kiosk_mode_and_signs_the_therapist_out(self) -> None:
        response = self._start_kiosk()
        self.assertRedirects(response, "/checkin/", fetch_redirect_response=False)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertRedirects(
            self.client.get("/practice/caseload/"), "/checkin/", fetch_redirect_response=False
        )
        page = self.client.get("/checkin/")
        self.assertContains(page, "<title>Session Reflection")
        self.assertContains(page, "I felt heard and understood")
        self.assertContains(page, "We worked on what matters to me")
        self.assertContains(page, "The way we worked fitted me")
        self.assertContains(page, "Anything that didn&#x27;t sit right today?")
        self.assertNotContains(page, "Part 1 of")
        self.assertNotContains(page, "<nav")
        event = AuditEvent.objects.get(action="reflection.kiosk_start")
        self.assertEqual(event.actor_id, self.p.alice.pk)
        self.assertEqual(event.detail["client"], str(self.p.bob.pk))

    def test_it_asks_only_the_reflection_as_one_group_of_about_38_seconds(self) -> None:
        self._start_kiosk()
        self.client.get("/checkin/")
        draft = CheckinDraft.objects.get()
        self.assertEqual(draft.instruments, [KEY])
        self.assertEqual(draft.kind, SittingKind.REFLECTION)
        # DESIGN.md, Burden: 6 s per item and 20 s per free-text field: 3 x 6 + 20.
        self.assertEqual(checkin.seconds_for(KEY), 38)

    def test_it_answers_not_yours_like_not_there(self) -> None:
        login_as(self.client, self.p.charlie)
        for url in ("/practice/reflection/kiosk/", "/practice/reflection/link/"):
            response = self.client.post(url, {"client_id": str(self.p.bob.pk)})
            self.assertEqual(response.status_code, 404)
        login_as(self.client, self.p.alice)
        daves = self._session(END_OF_SESSION, person=self.p.dave)
        response = self.client.post(
            "/practice/reflection/kiosk/",
            {"client_id": str(self.p.bob.pk), "session_id": str(daves.pk)},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(AccessToken.objects.filter(client=self.p.bob, purpose="checkin").exists())

    def test_it_refuses_a_get_to_start_it(self) -> None:
        login_as(self.client, self.p.alice)
        self.assertEqual(self.client.get("/practice/reflection/kiosk/").status_code, 405)
        self.assertEqual(self.client.get("/practice/reflection/link/").status_code, 405)

    # Storing it -----------------------------------------------------------------------

    def test_it_stores_scores_and_audits_a_kiosk_reflection_for_todays_session(self) -> None:
        earlier = self._session(END_OF_SESSION - dt.timedelta(days=7))
        today = self._session(END_OF_SESSION - dt.timedelta(minutes=48))
        self._session(END_OF_SESSION + dt.timedelta(days=7), status=Session.Status.SCHEDULED)
        with time_machine.travel(END_OF_SESSION, tick=False):
            self._start_kiosk()
            self.client.get("/checkin/")
        with time_machine.travel(END_OF_SESSION + dt.timedelta(seconds=41), tick=False):
            response = self._answer(self.client, reflection(8, 9, 10))
        self.assertRedirects(response, "/checkin/done/", fetch_redirect_response=False)
        sitting = Sitting.objects.get()
        self.assertEqual(sitting.kind, SittingKind.REFLECTION)
        self.assertEqual(sitting.context, Context.KIOSK)
        self.assertEqual(sitting.status, SittingStatus.COMPLETED)
        self.assertEqual(sitting.session, today)
        self.assertNotEqual(sitting.session, earlier)
        self.assertEqual(sitting.duration_seconds, 41)
        administration = Administration.objects.get()
        self.assertEqual(administration.instrument_key, KEY)
        self.assertEqual(administration.session, today)
        # The blank line is an unanswered item (None); text never goes into the JSON answers.
        self.assertEqual(
            administration.answers,
            {
                "reflection_heard": 8,
                "reflection_matters": 9,
                "reflection_fit": 10,
                "reflection_not_right": None,
            },
        )
        # The reflection score is the mean of its three items.
        self.assertEqual(administration.total, 9.0)
        self.assertTrue(administration.valid)
        self.assertEqual(administration.free_text, "")
        self.assertFalse(CheckinDraft.objects.exists())
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        self.assertTrue(
            {"reflection.kiosk_start", "checkin.submit", "administration.create"} <= actions
        )
        submit = AuditEvent.objects.get(action="checkin.submit")
        self.assertEqual(submit.target_id, str(sitting.pk))
        self.assertEqual(submit.detail["kind"], "reflection")
        self.assertEqual(submit.detail["context"], "kiosk")
        self.assertEqual(self._alerts(), [])

    def test_the_therapist_signs_back_in_to_rate_the_same_session(self) -> None:
        # DESIGN.md: the Therapist Rating is recorded alongside the reflection.
        today = self._session(END_OF_SESSION - dt.timedelta(minutes=48))
        with time_machine.travel(END_OF_SESSION, tick=False):
            self._start_kiosk()
            self.client.get("/checkin/")
            self._answer(self.client, reflection(8, 9, 10))
            page = self.client.get("/checkin/exit/")
        rating = f"/practice/sessions/{today.pk}/relationship/"
        self.assertEqual(page.context["sign_in_url"], "/accounts/login/?next=" + rating)

    def test_the_therapist_signs_back_in_to_the_caseload_before_the_reflection_is_sent(
        self,
    ) -> None:
        self._session(END_OF_SESSION - dt.timedelta(minutes=48))
        with time_machine.travel(END_OF_SESSION, tick=False):
            self._start_kiosk()
            page = self.client.get("/checkin/exit/")
        self.assertEqual(page.context["sign_in_url"], "/accounts/login/?next=/practice/caseload/")

    def test_it_belongs_to_the_session_the_therapist_names(self) -> None:
        named = self._session(END_OF_SESSION - dt.timedelta(days=2))
        self._session(END_OF_SESSION - dt.timedelta(minutes=48))
        with time_machine.travel(END_OF_SESSION, tick=False):
            self._start_kiosk(session_id=str(named.pk))
            self.client.get("/checkin/")
            self._answer(self.client, reflection(9, 9, 9))
        self.assertEqual(Sitting.objects.get().session, named)
        self.assertEqual(Administration.objects.get().session, named)

    def test_it_belongs_to_no_session_when_there_is_none_today(self) -> None:
        self._session(END_OF_SESSION - dt.timedelta(days=1))
        self._session(END_OF_SESSION, status=Session.Status.CANCELLED)
        with time_machine.travel(END_OF_SESSION, tick=False):
            self._by_link(reflection(9, 9, 9))
        self.assertIsNone(Sitting.objects.get().session)

    def test_it_stores_a_double_submit_once(self) -> None:
        self._start_kiosk()
        self.client.get("/checkin/")
        first = self._answer(self.client, reflection(8, 8, 8))
        second = self._answer(self.client, reflection(8, 8, 8))
        self.assertRedirects(first, "/checkin/done/", fetch_redirect_response=False)
        self.assertRedirects(second, "/checkin/done/", fetch_redirect_response=False)
        self.assertEqual(Sitting.objects.count(), 1)
        self.assertEqual(Administration.objects.count(), 1)
        self.assertEqual(AuditEvent.objects.filter(action="checkin.submit").count(), 1)

    def test_it_asks_again_with_the_error_next_to_a_missing_item(self) -> None:
        self._start_kiosk()
        self.client.get("/checkin/")
        page = self._answer(self.client, {"reflection_heard": 8, "reflection_matters": 8})
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Choose one answer for this question.")
        self.assertFalse(Sitting.objects.exists())

    def test_it_thanks_the_client_and_never_shows_a_score(self) -> None:
        self._start_kiosk()
        self.client.get("/checkin/")
        self._answer(self.client, reflection(7, 8, 9, SECRET_LINE))
        page = self.client.get("/checkin/done/")
        self.assertContains(page, "Thank you for telling us how today")
        self.assertContains(page, "Therapist: return to PlusOne")
        body = page.content.decode()
        for shown in ("8.0", "of 10", "score", "rupture", SECRET_LINE):
            self.assertNotIn(shown, body)

    def test_it_encrypts_the_line_at_rest(self) -> None:
        self._by_link(reflection(9, 9, 9, SECRET_LINE))
        administration = Administration.objects.get()
        self.assertEqual(
            json.loads(administration.free_text), {"reflection_not_right": SECRET_LINE}
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT free_text FROM measures_administration")
            (raw,) = cursor.fetchone()
        self.assertNotIn("Mira", raw)
        self.assertNotIn("Mira", json.dumps(administration.answers))

    def test_it_keeps_the_line_out_of_email_logs_urls_and_audit_rows(self) -> None:
        records: list[logging.LogRecord] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)

        handler = Keep(level=logging.DEBUG)
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            login_as(self.client, self.p.alice)
            with self.captureOnCommitCallbacks(execute=True):
                page = self.client.post(
                    "/practice/reflection/link/", {"client_id": str(self.p.bob.pk), "email": "1"}
                )
            bob_device = WebClient()
            opened = bob_device.get(urlsplit(page.context["link_url"]).path)
            agree_on_the_page(bob_device)
            bob_device.get("/checkin/")
            sent = self._answer(bob_device, reflection(3, 8, 8, SECRET_LINE))
            done = bob_device.get("/checkin/done/")
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
        self.assertEqual(done.status_code, 200)
        self.assertEqual(len(mail.outbox), 1)
        self.assertNotIn("Mira", mail.outbox[0].subject + mail.outbox[0].body)
        self.assertNotIn("reflection", mail.outbox[0].body.lower())
        for response in (opened, sent):
            self.assertNotIn("Mira", response["Location"])
        for record in records:
            self.assertNotIn("Mira", record.getMessage())
        for event in AuditEvent.objects.all():
            self.assertNotIn("Mira", json.dumps(event.detail))
            self.assertNotIn("Mira", event.target_id)
        self.assertIn("possible_rupture", self._alerts())

    def test_it_issues_a_link_shown_to_copy_that_asks_only_the_reflection(self) -> None:
        login_as(self.client, self.p.alice)
        page = self.client.post("/practice/reflection/link/", {"client_id": str(self.p.bob.pk)})
        self.assertContains(page, "Session Reflection link for Bob Brown")
        self.assertEqual(page["Cache-Control"], "no-store")
        token = AccessToken.objects.get(pk=page.context["token_id"])
        self.assertLessEqual(token.expires_at - token.created_at, dt.timedelta(days=2))
        self.assertEqual(CheckinDraft.objects.get(token_id=str(token.pk)).kind, "reflection")
        self.assertTrue(
            AuditEvent.objects.filter(
                action="reflection.issue_link", target_id=str(token.pk)
            ).exists()
        )

    def test_it_resends_a_reflection_link_as_a_reflection(self) -> None:
        login_as(self.client, self.p.alice)
        shown = self.client.post("/practice/reflection/link/", {"client_id": str(self.p.bob.pk)})
        old_id = shown.context["token_id"]
        with self.captureOnCommitCallbacks(execute=True):
            emailed = self.client.post(
                "/practice/reflection/link/",
                {"client_id": str(self.p.bob.pk), "email": "1", "replaces": str(old_id)},
            )
        self.assertContains(emailed, "The link was emailed")
        self.assertIsNotNone(AccessToken.objects.get(pk=old_id).revoked_at)
        new = AccessToken.objects.get(pk=emailed.context["token_id"])
        self.assertEqual(CheckinDraft.objects.get(token_id=str(new.pk)).instruments, [KEY])

    # Possible rupture -----------------------------------------------------------------

    def test_it_raises_possible_rupture_for_an_item_at_6(self) -> None:
        self._start_kiosk()
        self.client.get("/checkin/")
        self._answer(self.client, reflection(9, 6, 10))
        self.assertIn("possible_rupture", self._alerts())

    def test_it_raises_no_alert_when_every_item_is_above_6(self) -> None:
        self._by_link(reflection(7, 7, 7))
        self.assertNotIn("possible_rupture", self._alerts())

    def test_it_raises_possible_rupture_when_the_line_is_answered(self) -> None:
        self._by_link(reflection(10, 10, 10, "The ending felt rushed"))
        self.assertIn("possible_rupture", self._alerts())

    def test_it_treats_a_blank_line_as_unanswered(self) -> None:
        self._by_link(reflection(10, 10, 10, "   "))
        self.assertEqual(Administration.objects.get().free_text, "")
        self.assertNotIn("possible_rupture", self._alerts())

    def test_it_applies_the_relative_rule_from_the_fourth_reflection_on(self) -> None:
        week = dt.timedelta(days=7)
        start = END_OF_SESSION - 4 * week
        with time_machine.travel(start, tick=False):
            self._by_link(reflection(10, 10, 10))
        with time_machine.travel(start + week, tick=False):
            self._by_link(reflection(10, 10, 10))
        # 3rd reflection: mean 7.0 is <= median 10 - 2, but only the absolute rules apply yet.
        with time_machine.travel(start + 2 * week, tick=False):
            self._by_link(reflection(7, 7, 7))
        self.assertNotIn("possible_rupture", self._alerts())
        # 4th: mean 7.0 <= median(10, 10, 7) - 2 = 8, with every item above 6 and no line.
        with time_machine.travel(start + 3 * week, tick=False):
            self._by_link(reflection(7, 7, 7))
        self.assertIn("possible_rupture", self._alerts())
        # 5th: mean 9.0 > median(10, 10, 7, 7) - 2 = 6.5: the alert clears.
        with time_machine.travel(start + 4 * week, tick=False):
            self._by_link(reflection(9, 9, 9))
        self.assertNotIn("possible_rupture", self._alerts())
        self.assertEqual(
            Sitting.objects.filter(kind=SittingKind.REFLECTION, status="completed").count(), 5
        )
        self.assertEqual(AuditEvent.objects.filter(action="checkin.submit").count(), 5)

    def test_it_compares_with_the_median_of_the_previous_five_only(self) -> None:
        week = dt.timedelta(days=7)
        start = END_OF_SESSION - 6 * week
        # Six reflections: one old 7.0, then five at 8.0 (median of the previous five: 8).
        for n, items in enumerate([(7, 7, 7), *[(8, 8, 8)] * 5]):
            with time_machine.travel(start + n * week, tick=False):
                self._by_link(reflection(*items))
        # 7th: mean 7.0 > 8 - 2: no alert (with the old 7.0 in the window it would still be 8).
        with time_machine.travel(start + 6 * week, tick=False):
            self._by_link(reflection(7, 7, 7))
        self.assertNotIn("possible_rupture", self._alerts())

    def test_it_keeps_bobs_reflection_out_of_daves_summary(self) -> None:
        self._by_link(reflection(2, 2, 2))
        self.assertIn("possible_rupture", self._alerts())
        daves = EpisodeSummary.objects.filter(episode=self.p.dave.episodes.get()).first()
        self.assertTrue(daves is None or "possible_rupture" not in daves.alerts)
        self.assertFalse(Administration.objects.filter(client=self.p.dave).exists())

    # Apart from the check-in ------------------------------------------------------------

    def test_it_leaves_a_skipped_reflection_out_of_the_checkins(self) -> None:
        self._start_kiosk()
        self.client.get("/checkin/")
        self.client.post("/checkin/skip/")
        sitting = Sitting.objects.get()
        self.assertEqual(sitting.kind, SittingKind.REFLECTION)
        self.assertEqual(sitting.status, SittingStatus.SKIPPED)
        self.assertEqual(sitting.carried_over, [])
        self.assertEqual(EpisodeSummary.objects.get(episode=self.episode).not_completed_count, 0)
        self.assertContains(self.client.get("/checkin/done/"), "that's fine")

    def test_it_keeps_the_reflection_out_of_the_next_checkin(self) -> None:
        self._by_link(reflection(9, 9, 9))
        login_as(self.client, self.p.alice)
        page = self.client.post("/practice/checkin/link/", {"client_id": str(self.p.bob.pk)})
        token = AccessToken.objects.get(pk=page.context["token_id"])
        today = checkin.plan_for(token)
        # Still Bob's 1st check-in (no alternate GAD-7, which the 2nd would add), without it.
        self.assertEqual(today.asked, ["personal_goals", "phq9"])
        self.assertNotIn(KEY, today.rolled)

    def test_it_marks_reflection_only_sittings_stored_before_the_kind_existed(self) -> None:
        import importlib

        from django.apps import apps

        step = importlib.import_module("plusone.measures.migrations.0004_mark_reflection_sittings")
        self._by_link(reflection(9, 9, 9))
        login_as(self.client, self.p.alice)
        page = self.client.post("/practice/checkin/link/", {"client_id": str(self.p.bob.pk)})
        bob_device = WebClient()
        bob_device.get(urlsplit(page.context["link_url"]).path)
        bob_device.post("/checkin/skip/")
        # As the demo stored them before: a reflection sitting of kind "routine".
        Sitting.objects.filter(kind=SittingKind.REFLECTION).update(kind=SittingKind.ROUTINE)
        step.mark(apps, None)
        kinds = dict(Sitting.objects.values_list("status", "kind"))
        self.assertEqual(kinds, {"completed": "reflection", "skipped": "routine"})

    def test_it_starts_the_reflection_from_the_actions_fragment(self) -> None:
        import re

        from django.template.loader import render_to_string
        from django.test import RequestFactory

        named = self._session(END_OF_SESSION - dt.timedelta(days=1))
        request = RequestFactory().get("/")
        html = render_to_string(
            "measures/_reflection_actions.html",
            {"client_id": self.p.bob.pk, "name": "Bob Brown", "session_id": named.pk},
            request=request,
        )
        forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S)
        self.assertEqual(
            [action for action, _ in forms],
            ["/practice/reflection/kiosk/", "/practice/reflection/link/"],
        )
        self.assertIn("Session Reflection on this device", html)
        fields = dict(
            re.findall(r'type="hidden" name="(client_id|session_id)" value="([^"]+)"', forms[0][1])
        )
        self.assertEqual(fields, {"client_id": str(self.p.bob.pk), "session_id": str(named.pk)})
        login_as(self.client, self.p.alice)
        response = self.client.post(forms[0][0], fields)
        self.assertRedirects(response, "/checkin/", fetch_redirect_response=False)
        self.assertEqual(
            AccessToken.objects.get(client=self.p.bob, purpose="checkin").session, named
        )
