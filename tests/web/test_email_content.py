"""Every email the main flows send is neutral: no client names, scores, instrument names
or clinical words, and a neutral sender and subject."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail
from django.test import TestCase

from personas import make_personas
from plusone.clinical import risk
from plusone.clinical.models import Flag
from plusone.measures import actions
from plusone.notify.escalation import escalate_flags
from plusone.notify.tasks import notify_new_flag

sys.path.insert(0, str(Path(__file__).parent / "checkin"))
from checkin_helpers import complete, issue, phq9_with_item9

# Words that would disclose health information, the instrument or the reason for contact.
CLINICAL_WORDS = (
    "phq",
    "gad",
    "patient health",
    "anxiety",
    "depress",
    "mood",
    "reflection",
    "score",
    "total",
    "moderate",
    "severe",
    "risk",
    "suicid",
    "harm",
    "crisis",
    "flag",
    "grade",
    "rupture",
    "symptom",
    "diagnos",
    "therap",
    "psych",
    "session",
    "safety",
    "goal",
)
NAMES = ("bob", "brown", "dave", "davis")
# Bob's PHQ-9 below (the STYLE.md example with item 9 = 3) totals 14.
TOTAL = "14"


def without_links(text: str) -> str:
    """The message with its URLs removed: a random token may spell anything."""
    return re.sub(r"https?://\S+", "", text)


class EmailContentTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _assert_neutral(self, message: mail.EmailMessage, *, numbers: bool) -> None:
        self.assertEqual(message.from_email, settings.DEFAULT_FROM_EMAIL)
        for part in (message.from_email, message.subject, without_links(message.body)):
            lowered = part.lower()
            for word in (*CLINICAL_WORDS, *NAMES):
                self.assertNotIn(word, lowered, f"{word!r} in {part!r}")
            if numbers:
                self.assertNotRegex(part, rf"\b{TOTAL}\b")

    def test_it_sends_neutral_link_and_reflection_link_emails(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            actions.issue_checkin_link(acting_user=self.p.alice, client=self.p.bob, send_email=True)
            actions.issue_reflection_link(
                acting_user=self.p.alice, client=self.p.bob, send_email=True
            )
        self.assertEqual(len(mail.outbox), 2)
        for message in mail.outbox:
            # The link email states an expiry date, so only words are checked here.
            self._assert_neutral(message, numbers=False)

    def test_it_sends_neutral_flag_and_escalation_emails(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        with self.captureOnCommitCallbacks(execute=True):
            complete(
                self.client,
                path,
                {"phq9": phq9_with_item9(3), "personal_goals": {"goal_1": 4, "goal_2": 6}},
            )
        flag = Flag.objects.get(client=self.p.bob)
        # The worker's job, run here: the new-flag email to Alice.
        self.assertEqual(notify_new_flag.call(str(flag.pk)), "sent")
        risk.update_risk_settings(
            user=self.p.erin,
            practice=self.p.riverside,
            crisis_text="",
            crisis_text_fr="",
            clinical_contact=self.p.charlie,
            escalation_lead_hours=4,
        )
        later = flag.opened_at + dt.timedelta(days=10)
        later = later.astimezone(ZoneInfo("America/Toronto")).replace(hour=12)
        self.assertEqual(len(escalate_flags(now=later).escalated), 1)
        recipients = [m.to for m in mail.outbox]
        self.assertIn([self.p.alice.email], recipients)
        self.assertIn([self.p.charlie.email], recipients)
        for message in mail.outbox:
            self._assert_neutral(message, numbers=True)
