"""Issue 15, the daily refresh at scale: it writes the summary rows in short transactions, and
never puts back an older judgement over a check-in that landed while it was judging."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).resolve().parent / "checkin"))

from checkin_helpers import answer_today, issue

from personas import make_personas
from plusone.clinical.models import EpisodeSummary
from plusone.measures import summary


class DailyRefreshTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episodes = [cls.p.bob.episodes.get(), cls.p.dave.episodes.get()]

    def test_it_writes_the_summaries_in_transactions_of_at_most_write_chunk_rows(self):
        today = timezone.localdate()
        with (
            mock.patch.object(summary, "WRITE_CHUNK", 1),
            CaptureQueriesContext(connection) as queries,
        ):
            written = summary.refresh_summaries(self.episodes, today=today)
        self.assertEqual(written, 2)
        # Inside the test's transaction each atomic block is a savepoint: one per row here.
        savepoints = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
        self.assertEqual(len(savepoints), 2)
        self.assertEqual(
            set(EpisodeSummary.objects.values_list("judged_on", flat=True).distinct()), {today}
        )

    def test_it_keeps_the_judgement_of_a_checkin_that_landed_while_it_was_judging(self):
        today = timezone.localdate()
        EpisodeSummary.objects.update(proposal_kind="stale", judged_on=None)
        seen, updates = summary.judge_chunk(self.episodes, today=today)
        # Bob checks in after the refresh read his history, before it writes.
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token)
        bob_after_checkin = EpisodeSummary.objects.get(episode=self.episodes[0])
        self.assertEqual(summary.write_judgements(updates, seen), 1)
        bob = EpisodeSummary.objects.get(episode=self.episodes[0])
        dave = EpisodeSummary.objects.get(episode=self.episodes[1])
        self.assertEqual(bob.updated_at, bob_after_checkin.updated_at)
        self.assertEqual(bob.latest_total, bob_after_checkin.latest_total)
        self.assertNotEqual(bob.proposal_kind, "stale")
        self.assertEqual((dave.judged_on, dave.proposal_kind != "stale"), (today, True))
