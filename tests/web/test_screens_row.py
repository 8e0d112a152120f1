"""Nothing collected that nobody reads: the screens row on the card and the journey.

The secondary measure, PCL-5, AUDIT-C and K10 each show with their band, cutoff and
date; AUDIT-C shows both cutoffs (3 or more women, 4 or more men); K10's "hopeless"
review cue is shown to the therapist, never on the client's review-together page.
Both pages read the row in a constant number of queries.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journey_fixtures import AUDITC_3, GAD7_12, K10_HOPELESS, PCL5_40, give_screen
from personas import login_as, make_personas
from plusone.measures.choice_actions import set_checkin_choices


class ScreensRowTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_screen(cls.episode, "gad7", GAD7_12, days_ago=3)
        give_screen(cls.episode, "pcl5", PCL5_40, days_ago=10)
        give_screen(cls.episode, "auditc", AUDITC_3, days_ago=10)
        give_screen(cls.episode, "k10", K10_HOPELESS, days_ago=10)
        cls.urls = {
            "card": reverse("insights:session_card", args=[cls.episode.pk]),
            "journey": reverse("insights:journey", args=[cls.episode.pk]),
        }

    def _row(self, page):
        body = page.content.decode()
        self.assertIn('data-section="screens"', body)
        return body.split('data-section="screens"', 1)[1].split("</section>", 1)[0]

    def _date(self, days_ago):
        # The practice's one date format (plusone/web/formats): "3 Dec 2026".
        return (timezone.localdate() - dt.timedelta(days=days_ago)).strftime("%-d %b %Y")

    def test_it_shows_each_screen_with_its_band_cutoff_and_date(self):
        login_as(self.client, self.p.alice)
        for name, url in self.urls.items():
            with self.subTest(page=name):
                row = self._row(self.client.get(url))
                self.assertIn("<strong>GAD-7</strong>", row)
                self.assertIn("(secondary measure)", row)
                self.assertIn("12, moderate", row)
                self.assertIn("cutoff ≥ 10", row)
                self.assertIn(self._date(3), row)
                self.assertIn("<strong>PCL-5</strong>", row)
                self.assertIn("40 · at or above the cutoff · cutoff ≥ 33", row)
                self.assertIn("<strong>K10</strong>", row)
                self.assertIn("27, high", row)
                self.assertIn("cutoff ≥ 22", row)
                self.assertIn(self._date(10), row)

    def test_it_shows_both_audit_c_cutoffs_and_which_applies(self):
        login_as(self.client, self.p.alice)
        row = self._row(self.client.get(self.urls["card"]))
        self.assertIn("cutoff ≥ 3 women, ≥ 4 men; ≥ 3 applies (sex not recorded)", row)
        self.assertIn("3 · at or above the cutoff", row)
        set_checkin_choices(
            user=self.p.alice, client=self.p.bob, goal_words_on_links=False, auditc_sex="male"
        )
        row = self._row(self.client.get(self.urls["card"]))
        self.assertIn("≥ 4 applies (recorded: male)", row)
        self.assertIn("3 · below the cutoff", row)

    def test_it_shows_the_k10_hopeless_review_cue_to_the_therapist_only(self):
        login_as(self.client, self.p.alice)
        for name, url in self.urls.items():
            with self.subTest(page=name):
                row = self._row(self.client.get(url))
                self.assertIn("Review cue", row)
                self.assertIn("K10 &#x27;hopeless&#x27; answered &#x27;most&#x27;", row)
                self.assertIn("not a crisis trigger", row)
        together = self.client.get(reverse("insights:review_together", args=[self.episode.pk]))
        self.assertNotContains(together, "hopeless")
        self.assertNotContains(together, "Screens")

    def test_it_says_not_given_yet_before_the_first_screen(self):
        login_as(self.client, self.p.alice)
        dave = self.p.dave.episodes.get()
        row = self._row(self.client.get(reverse("insights:session_card", args=[dave.pk])))
        self.assertIn("<strong>PHQ-9</strong>", row)
        self.assertIn("not given yet", row)
        # K10 is neither in Dave's record nor asked for: it has no line.
        self.assertNotIn("K10", row)

    def test_it_reads_the_row_in_a_constant_number_of_queries(self):
        login_as(self.client, self.p.alice)
        counts = {}
        for extra in (0, 25):
            for n in range(extra):
                give_screen(self.episode, "gad7", GAD7_12, days_ago=40 + n)
                give_screen(self.episode, "k10", K10_HOPELESS, days_ago=40 + n)
            for name, url in self.urls.items():
                self.client.get(url)  # warm the session
                with CaptureQueriesContext(connection) as queries:
                    self.assertEqual(self.client.get(url).status_code, 200)
                counts[(name, extra)] = len(queries)
        self.assertEqual(counts[("card", 0)], counts[("card", 25)])
        self.assertEqual(counts[("journey", 0)], counts[("journey", 25)])
        self.assertEqual(
            (counts[("card", 0)], counts[("journey", 0)]), (CARD_QUERIES, JOURNEY_QUERIES)
        )


# Pinned so a new query is a decision, not an accident: the screens row adds one query to
# the card (the screens' administrations) and none to the journey (it reuses its rows).
# Both read the logged ruptures and repairs for the rule engine (one query each).
CARD_QUERIES = 21
# The journey no longer reads the summary row for its alerts (judged live, as of today).
# Issue 13 adds four, none per row: moments that matter, the sittings not yet looked at
# together, the relationship lane's ratings, and the observers' rounds.
# Issue 14 adds three, none per row: the follow-ups after an Ending, the latest follow-up
# consent and the one in force.
JOURNEY_QUERIES = 31
