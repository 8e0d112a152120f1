"""Issue 15, load and headroom: the caseload dashboard reads the summary rows, never the
administrations, so its cost does not grow with the practice's history."""

from __future__ import annotations

import sys
from pathlib import Path

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

sys.path.insert(0, str(Path(__file__).resolve().parent / "checkin"))

from checkin_helpers import answer_today, issue

from personas import login_as, make_personas
from plusone.measures.models import Administration


class CaseloadReadsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        # Bob and Dave check in three times each: a history the summaries already judged today.
        for person in (cls.p.bob, cls.p.dave):
            for _ in range(3):
                _, token = issue(cls.p.alice, person)
                answer_today(token)

    def test_it_reads_alices_dashboard_from_summary_rows_without_touching_administrations(self):
        self.assertGreaterEqual(Administration.objects.count(), 6)
        login_as(self.client, self.p.alice)
        self.client.get(reverse("insights:caseload"))
        with CaptureQueriesContext(connection) as queries:
            page = self.client.get(reverse("insights:caseload"))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "<tr data-client=", count=2)
        tables = " ".join(q["sql"] for q in queries.captured_queries)
        self.assertIn("clinical_episodesummary", tables)
        for history in ("measures_administration", "measures_sitting", "clinical_goal"):
            self.assertNotIn(history, tables)
