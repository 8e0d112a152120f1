"""Every email the main flows send is neutral: no client names, scores, instrument names
or clinical words, and a neutral sender and subject."""

from __future__ import annotations

import datetime as dt
import re
import sys
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from personas import login_as, make_personas
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
    "mental",
    "counsel",
    "clinic",
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
        self.assertEqual(
            parseaddr(message.from_email)[1], parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        )
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


class LinkEmailLabelTests(TestCase):
    """The link email's sender and subject carry the practice's neutral label, never the
    kind of care; a bare "Your link" read like phishing."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _send(self) -> mail.EmailMessage:
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            actions.issue_checkin_link(acting_user=self.p.alice, client=self.p.bob, send_email=True)
        return mail.outbox[-1]

    def _rename(self, name: str, label: str = "") -> None:
        self.p.riverside.name, self.p.riverside.email_label = name, label
        self.p.riverside.save()
        self.p.bob.practice.refresh_from_db()

    def test_it_sends_under_the_practices_name_by_default(self) -> None:
        message = self._send()
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        self.assertEqual(message.subject, "Riverside: your check-in link")
        self.assertEqual(message.from_email, f"Riverside <{address}>")

    def test_it_sends_under_the_label_the_practice_set(self) -> None:
        self._rename("Riverside Psychotherapy Clinic", "Jo Lee")
        message = self._send()
        self.assertEqual(message.subject, "Jo Lee: your check-in link")
        self.assertEqual(parseaddr(message.from_email)[0], "Jo Lee")

    def test_it_leaves_out_a_practice_name_that_names_the_care(self) -> None:
        for name in ("Riverside Psychotherapy", "Lakeside Counselling", "Clinique Rivière"):
            self._rename(name)
            message = self._send()
            self.assertEqual(message.subject, "Your check-in link")
            self.assertEqual(message.from_email, settings.DEFAULT_FROM_EMAIL)

    def _french_bob(self) -> None:
        # The link email follows the client's language, not the issuing page's.
        self.p.bob.language = "fr"
        self.p.bob.save(update_fields=["language"])

    def test_it_writes_the_subject_in_french(self) -> None:
        self._french_bob()
        message = self._send()
        self.assertEqual(message.subject, "Riverside : votre lien de suivi")

    def test_it_writes_the_body_and_its_date_in_french_too(self) -> None:
        self._french_bob()
        message = self._send()
        self.assertIn("Voici votre lien. Il fonctionne une seule fois, jusqu'au ", message.body)
        self.assertRegex(message.body, r"jusqu'au \d{1,2} [a-zéû]+\.? \d{4}\.")
        self.p.bob.language = "en"
        self.p.bob.save(update_fields=["language"])
        english = self._send()
        # The pages' one date format: "13 Dec 2026", never "December 13, 2026".
        self.assertRegex(english.body, r"until \d{1,2} [A-Z][a-z]{2} \d{4}\.")

    def test_it_lets_erin_set_a_neutral_label_and_refuses_a_revealing_one(self) -> None:
        login_as(self.client, self.p.erin)
        url = reverse("clinical:risk_settings")
        page = self.client.get(url)
        self.assertContains(page, 'name="email_label"')
        form = {"crisis_text": "", "crisis_text_fr": "", "escalation_lead_hours": 4}
        for revealing in ("Riverside Therapy", "Mental wellness", "Jo Lee, counsellor"):
            response = self.client.post(url, {**form, "email_label": revealing})
            self.assertContains(response, "may not say what kind of care")
        self.p.riverside.refresh_from_db()
        self.assertEqual(self.p.riverside.email_label, "")
        self.assertRedirects(self.client.post(url, {**form, "email_label": "  Jo   Lee "}), url)
        self.p.riverside.refresh_from_db()
        self.assertEqual(self.p.riverside.email_label, "Jo Lee")
