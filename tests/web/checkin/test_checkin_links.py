"""Link problems get kind, distinct pages; tokens stay out of logs and referrers."""

from __future__ import annotations

import datetime as dt
import io
import logging

from checkin_helpers import PHQ9_MODERATE, complete, issue
from django.test import TestCase
from django.utils import timezone

from personas import make_personas
from plusone.tokens import service as tokens


class LinkProblemTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_it_says_what_to_do_with_a_bad_link(self) -> None:
        page = self.client.get("/c/not-a-real-token")
        self.assertEqual(page.status_code, 404)
        self.assertContains(page, "This link doesn&#x27;t work", status_code=404)
        self.assertContains(page, "ask your therapist for a new link", status_code=404)

    def test_it_has_a_distinct_page_for_an_expired_link(self) -> None:
        path, token = issue(self.p.alice, self.p.bob)
        token.expires_at = timezone.now() - dt.timedelta(minutes=1)
        token.created_at = token.expires_at - dt.timedelta(days=7)
        token.save()
        page = self.client.get(path)
        self.assertContains(page, "This link has expired", status_code=410)
        self.assertContains(page, "Ask your therapist for a new link", status_code=410)

    def test_it_has_a_distinct_page_for_a_used_link(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        complete(
            self.client,
            path,
            {"phq9": dict(PHQ9_MODERATE), "personal_goals": {"goal_1": 5, "goal_2": 5}},
        )
        self.client.logout()
        page = self.client.get(path)
        self.assertContains(page, "This link has already been used", status_code=410)

    def test_it_has_a_distinct_page_for_a_revoked_link(self) -> None:
        path, token = issue(self.p.alice, self.p.bob)
        tokens.reissue(token)
        page = self.client.get(path)
        self.assertContains(page, "This link has been replaced", status_code=410)

    def test_it_stops_a_link_revoked_after_it_was_opened(self) -> None:
        path, token = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        tokens.revoke(token)
        page = self.client.get("/checkin/")
        self.assertContains(page, "This link has been replaced", status_code=410)

    def test_it_explains_a_checkin_page_opened_without_a_link(self) -> None:
        page = self.client.get("/checkin/")
        self.assertContains(page, "There&#x27;s nothing open to fill in", status_code=400)

    def test_it_refuses_an_observer_token_as_a_checkin_link(self) -> None:
        page = self.client.get(f"/c/{self.p.olive_token}")
        self.assertEqual(page.status_code, 404)

    def test_it_sends_no_referrer_and_no_token_in_the_redirect(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        raw = path.removeprefix("/c/")
        response = self.client.get(path)
        self.assertEqual(response["Referrer-Policy"], "no-referrer")
        self.assertNotIn(raw, response["Location"])
        page = self.client.get("/checkin/")
        self.assertNotIn(raw, page.content.decode())

    def test_it_keeps_the_token_out_of_the_access_log(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        raw = path.removeprefix("/c/")
        handler = logging.getLogger("django.server").handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        buffer = io.StringIO()
        old = handler.setStream(buffer)
        try:
            # What runserver writes for the client's GET.
            logging.getLogger("django.server").warning('"GET %s HTTP/1.1" 302 0', path)
        finally:
            handler.setStream(old)
        self.assertIn("/c/", buffer.getvalue())
        self.assertNotIn(raw, buffer.getvalue())
