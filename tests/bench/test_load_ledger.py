"""The load test's bookkeeping (bench/load): an acknowledged submission counts as stored
exactly once only when its row is there, once and whole. The load run itself is not a test."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from django.test import TestCase

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "web" / "checkin"))

from checkin_helpers import answer_today, issue  # noqa: E402

from load import ledger, mix  # noqa: E402
from personas import make_personas  # noqa: E402
from plusone.measures.models import Administration, Sitting  # noqa: E402

OBSERVED = {
    "item_observed_at_ease": "8",
    "item_observed_acts_on_values": "7",
    "item_observed_says_needs": "9",
    "item_observed_bounces_back": "6",
    "item_observed_takes_part": "8",
}


class LedgerTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_it_counts_a_submitted_checkin_and_observer_form_as_stored_once(self):
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token)
        self.client.get(f"/o/{self.p.olive_token}")
        sent = self.client.post("/observer/", {**OBSERVED, "text": "", "adult": "on"})
        self.assertEqual(sent.status_code, 302)
        result = ledger.stored_exactly_once([str(token.pk)], [str(self.p.olive.pk)])
        self.assertEqual(
            (result["acknowledged"], result["stored_once"], result["lost"], result["ok"]),
            (2, 2, 0, True),
        )

    def test_it_reports_an_acknowledged_checkin_with_no_stored_sitting_as_lost(self):
        _, stored = issue(self.p.alice, self.p.bob)
        answer_today(stored)
        _, never = issue(self.p.alice, self.p.dave)
        result = ledger.stored_exactly_once([str(stored.pk), str(never.pk)], [str(self.p.olive.pk)])
        self.assertEqual((result["lost"], result["stored_once"], result["ok"]), (2, 1, False))

    def test_it_reports_a_sitting_without_its_administrations_as_partial(self):
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token)
        sitting = Sitting.objects.get(idempotency_key=str(token.pk))
        Administration.objects.filter(sitting=sitting).delete()
        result = ledger.stored_exactly_once([str(token.pk)], [])
        self.assertEqual((result["partial"], result["ok"]), (1, False))


def test_it_never_answers_the_risk_item_above_0_and_answers_every_radio_group():
    page = "".join(
        f'<input type="radio" id="x{n}{v}" name="{n}" value="{v}">'
        for n in ("phq9_1", "phq9_9")
        for v in range(4)
    )
    for seed in range(20):
        chosen = mix.answers(page, rng=random.Random(seed))
        assert chosen["phq9_9"] == "0"
        assert chosen["phq9_1"] in {"0", "1", "2"}


def test_it_reports_percentiles_per_route_and_the_error_rate():
    result = mix.Result(seconds=2.0, requests=100, errors=1)
    result.timings["GET /practice/caseload/"] = [float(ms) for ms in range(1, 101)]
    summary = result.summary()
    assert summary["requests_per_s"] == 50.0
    assert summary["error_rate"] == 0.01
    route = summary["routes_ms"]["GET /practice/caseload/"]
    assert (route["p50"], route["p95"], route["p99"]) == (51.0, 95.0, 99.0)
