"""Judged as of today (DESIGN.md): the caseload, the card and the journey give the same
proposal and alerts on any day, because a page that finds summaries judged before today
re-judges the whole caseload at once, through the batch path, and ``plusone daily`` does
it for every open episode once a day."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
from pathlib import Path

import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.clinical.models import EpisodeSummary
from plusone.measures.summary import refresh_summary


class JudgedAsOfTodayTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=14, skipped=9, decision_session=10, rupture_session=12)
        # No phase agreed yet: relief has held, so the rules propose; as the lanes age past
        # 8 weeks with nothing new, what they can propose changes.
        cls.episode.decisions.all().delete()
        with transaction.atomic():
            refresh_summary(cls.episode, today=timezone.localdate())

    def _pages(self) -> tuple[str, str, str, tuple[str, ...]]:
        """The proposal kind the caseload, the card and the journey show, and the caseload's
        alerts."""
        login_as(self.client, self.p.alice)
        caseload = self.client.get("/practice/caseload/")
        rows = [r for g in caseload.context["tiers"] for r in g.rows if r.name == "Bob Brown"]
        summary = EpisodeSummary.objects.get(episode=self.episode)
        card = self.client.get(f"/practice/episodes/{self.episode.pk}/card/").context["card"]
        journey = self.client.get(f"/practice/episodes/{self.episode.pk}/journey/").context
        journey_proposal = journey["data"].proposal
        self.assertEqual(len(rows), 1)
        return (
            summary.proposal_kind or "none",
            card.proposal.kind if card.proposal else "none",
            journey_proposal.kind if journey_proposal else "none",
            tuple(summary.alerts),
        )

    def test_it_agrees_on_every_page_nine_weeks_later(self) -> None:
        today = self._pages()
        self.assertEqual(today[0], today[1])
        self.assertEqual(today[0], today[2])
        later = timezone.now() + dt.timedelta(weeks=9)
        with time_machine.travel(later, tick=False):
            caseload, card, journey, _ = self._pages()
            self.assertEqual(caseload, card)
            self.assertEqual(caseload, journey)
            self.assertEqual(
                EpisodeSummary.objects.get(episode=self.episode).judged_on,
                timezone.localdate(),
            )
        # Nothing new arrived in nine weeks, yet the judgement moved: the lanes went stale.
        self.assertNotEqual(today[:3], (caseload, card, journey))

    def test_it_rejudges_every_open_episode_with_plusone_daily(self) -> None:
        later = timezone.now() + dt.timedelta(weeks=9)
        # A fresh anchor file: never the developer's data dir, nor another run's anchors.
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder, True)
        anchors = Path(folder) / "audit" / "anchors.jsonl"
        with time_machine.travel(later, tick=False), override_settings(AUDIT_ANCHOR_FILE=anchors):
            out = io.StringIO()
            call_command("daily", "--format", "json", stdout=out)
            result = json.loads(out.getvalue())
            self.assertEqual(result["day"], timezone.localdate().isoformat())
            self.assertEqual(result["summaries"], 3)  # Bob, Dave and Gus
            judged = set(EpisodeSummary.objects.values_list("judged_on", flat=True))
            self.assertEqual(judged, {timezone.localdate()})
            # And the audit anchor: every practice's signed head, outside the database.
            anchor = result["anchor"]
            self.assertTrue(anchor["ok"])
            self.assertEqual(
                {a["practice"] for a in anchor["anchors"]},
                {str(self.p.riverside.pk), str(self.p.lakeview.pk)},
            )
