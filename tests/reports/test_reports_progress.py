"""The progress report, clinical and client, as the personas download it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from report_helpers import needs, pdf_text

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions
from plusone.clinical.models import Client, ReleaseTiming
from plusone.core.instruments import load_instrument
from plusone.lockbox import actions as lockbox
from plusone.measures.actions.looked_at import mark_looked_at_together
from plusone.reports.views import client_pdf, clinical_pdf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web" / "checkin"))
from checkin_helpers import answer_today, issue


def _clinical(episode):
    return reverse("reports:progress_clinical", args=[episode.pk])


def _client(episode):
    return reverse("reports:progress_client", args=[episode.pk])


class ProgressReportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=12, decision_session=8, rupture_session=10, skipped=6)
        with transaction.atomic():
            flag = actions.open_flag(
                episode=cls.episode,
                grade=2,
                source_kind="administration",
                source_id=uuid.uuid4(),
                actor=None,
            )
        actions.acknowledge_flag(
            user=cls.p.alice, flag=flag, note="Called Bob the same day; safety plan reviewed."
        )

    def test_it_gives_alice_the_clinical_report_as_a_pdf_and_audits_it(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(_clinical(self.episode))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertNotIn("Bob", response["Content-Disposition"])
        self.assertTrue(
            AuditEvent.objects.filter(
                action="report.progress_clinical", target_id=str(self.episode.pk)
            ).exists()
        )

    def test_it_puts_scores_bands_change_phases_gains_and_flag_actions_in_the_clinical_text(self):
        text = pdf_text(clinical_pdf(self.episode, user=self.p.alice).pdf)
        for words in (
            "Progress report (clinical)",
            "scores, bands and reliable change",
            "Sudden gain between sessions 4 and 5: 17 → 8",
            "Recovered (reliably improved, below cutoff)",
            "Phases and decisions",
            "Called Bob the same day; safety plan reviewed.",
        ):
            self.assertIn(words, text)
        bands = [b.label for b in load_instrument(self.episode.primary_instrument).bands]
        self.assertTrue(any(name in text for name in bands), bands)

    def test_it_embeds_the_journey_pages_svg_string_unchanged(self):
        login_as(self.client, self.p.alice)
        page = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        rendered = clinical_pdf(self.episode, user=self.p.alice)
        self.assertEqual(page.context["chart"].svg, rendered.svg)
        self.assertIn(rendered.svg, rendered.html)
        self.assertIn(rendered.svg, page.content.decode())

    def test_it_links_the_reports_from_the_journey_page(self):
        login_as(self.client, self.p.alice)
        page = self.client.get(reverse("insights:journey", args=[self.episode.pk])).content
        self.assertIn(_clinical(self.episode).encode(), page)
        self.assertIn(_client(self.episode).encode(), page)
        self.assertIn(reverse("reports:referral", args=[self.episode.pk]).encode(), page)

    def test_it_answers_charlie_with_404_for_both_versions(self):
        login_as(self.client, self.p.charlie)
        self.assertEqual(self.client.get(_clinical(self.episode)).status_code, 404)
        self.assertEqual(self.client.get(_client(self.episode)).status_code, 404)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="report.").exists())

    def test_it_gives_sam_the_clinical_report_with_markers_for_what_bob_withheld(self):
        goal = self.episode.goals.order_by("position").first()
        lockbox.record_directive(
            user=self.p.alice,
            client=self.p.bob,
            scope="item",
            item_kind="goal",
            item_id=goal.goal_id,
            instructed_on=timezone.localdate(),
            now=timezone.now(),
        )
        login_as(self.client, self.p.sam)
        response = self.client.get(_clinical(self.episode))
        self.assertEqual(response.status_code, 200)
        text = pdf_text(response.content)
        self.assertIn("Withheld at the client's request", text)
        self.assertNotIn("Bob's first goal", text)
        # Alice treats Bob: a directive limits disclosure to others, not to her.
        self.assertIn(
            "Bob's first goal", pdf_text(clinical_pdf(self.episode, user=self.p.alice).pdf)
        )

    def test_it_leaves_diagnosis_words_and_alarming_labels_out_of_the_client_version(self):
        rendered = client_pdf(self.episode)
        text = pdf_text(rendered.pdf)
        self.assertIn("Your goals", text)
        self.assertIn("Bob's first goal", text)
        lowered = text.lower()
        for word in ("severe", "deterioration", "risk", "phq-9", "depression", "flag", "cutoff"):
            self.assertNotIn(word, lowered)
        for band in load_instrument(self.episode.primary_instrument).bands:
            self.assertNotIn(band.label.lower(), lowered)
        # The client chart is the one given to the PDF, and it is the client audience's.
        self.assertIn(rendered.svg, rendered.html)
        self.assertNotIn("Called Bob", text)

    def test_it_writes_the_client_version_in_french_for_a_french_speaking_client(self):
        Client.objects.filter(pk=self.p.bob.pk).update(language="fr")
        self.episode.refresh_from_db()
        self.episode.client.refresh_from_db()
        rendered = client_pdf(self.episode)
        self.assertIn('lang="fr"', rendered.html)
        text = pdf_text(rendered.pdf)
        self.assertIn("Vos objectifs", text)
        self.assertNotIn("Your goals", text)
        login_as(self.client, self.p.alice)
        self.assertEqual(self.client.get(_client(self.episode)).status_code, 200)


@pytest.mark.slow
class ProgressReportPictureTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=12, decision_session=8, rupture_session=10, skipped=6)

    def test_it_draws_the_chart_on_the_clinical_reports_first_page(self):
        needs("pdftoppm")
        from PIL import Image

        from plusone.charts.svg import SYMPTOM_STYLE

        pdf = clinical_pdf(self.episode, user=self.p.alice).pdf
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "r.pdf").write_bytes(pdf)
            subprocess.run(
                ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "r.pdf", "p"],
                cwd=tmp,
                check=True,
            )
            image = Image.open(next(Path(tmp).glob("p*.png"))).convert("RGB")
        target = tuple(int(SYMPTOM_STYLE.colour[i : i + 2], 16) for i in (1, 3, 5))
        raw = image.tobytes()
        close = sum(
            1
            for i in range(0, len(raw), 3)
            if sum(abs(a - b) for a, b in zip(raw[i : i + 3], target, strict=True)) < 60
        )
        # The symptom line's navy appears only if the SVG was drawn.
        self.assertGreater(close, 30)


class ClientReportReleaseTimingTests(TestCase):
    """The client's report shows what the client chose to see: with "after we look
    together", only check-ins the therapist marked as looked at together."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        _, first = issue(cls.p.alice, cls.p.bob)
        answer_today(first, goal_1=4)
        mark_looked_at_together(user=cls.p.alice, episode=cls.episode, now=timezone.now())
        _, second = issue(cls.p.alice, cls.p.bob)
        answer_today(second, goal_1=9)

    def test_it_leaves_out_a_check_in_not_yet_looked_at_together_and_says_so(self):
        self.assertEqual(self.p.bob.release_timing, ReleaseTiming.AFTER_REVIEW)
        text = pdf_text(client_pdf(self.episode).pdf)
        self.assertIn("Bob's first goal: 4 out of 10 last time", text)
        self.assertNotIn("9 out of 10", text)
        self.assertIn("1 check-in we have not yet looked at together is not in this report", text)
        # Alice sees it beside the link before she hands the report over.
        login_as(self.client, self.p.alice)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/journey/").content.decode()
        self.assertIn("without the 1 check-in not yet looked at together", page)

    def test_it_shows_every_check_in_when_bob_chose_to_see_them_at_once(self):
        Client.objects.filter(pk=self.p.bob.pk).update(release_timing=ReleaseTiming.AT_ONCE)
        self.episode.client.refresh_from_db()
        text = pdf_text(client_pdf(self.episode).pdf)
        self.assertIn("Bob's first goal: 9 out of 10 last time", text)
        self.assertNotIn("not yet looked at together", text)

    def test_it_says_so_in_french_too(self):
        Client.objects.filter(pk=self.p.bob.pk).update(language="fr")
        self.episode.client.refresh_from_db()
        text = pdf_text(client_pdf(self.episode).pdf)
        self.assertIn("pas encore regardé ensemble", text)
        self.assertNotIn("9 sur 10", text)
