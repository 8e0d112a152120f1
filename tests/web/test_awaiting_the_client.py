"""A move into Deepening, Consolidating or an Ending takes effect only when the client
confirms it; until then it reads "awaiting the client" on the caseload, the card and the
journey. A move the phase table does not offer needs a written reason, shown in the trace
(issue 10; DESIGN.md, Phases)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.clinical.models import EpisodeSummary
from plusone.core.propose import propose
from plusone.insights import decisions as actions
from plusone.measures.summary import history_for, refresh_summaries, refresh_summary


def _decide(p, episode, phase, *, days_ago=0, confirmation="pending", reason=""):
    on = timezone.localdate() - dt.timedelta(days=days_ago)
    deeper = phase == "deepening"
    return actions.record_decision(
        user=p.alice,
        episode=episode,
        data=actions.DecisionData(
            kind="phase_change",
            phase=phase,
            decided_on=on,
            options_discussed=["go_deeper", "continue"],
            discomfort_acknowledged=deeper,
            symptom_rise_acknowledged=deeper,
            discomfort_note="",
            focus="Being less guarded with my partner" if deeper else "",
            present=["client", "therapist"],
            confirmation=confirmation,
            confirmed_on=on if confirmation == "spoken" else None,
            reason=reason,
        ),
        today=timezone.localdate(),
    )


class AwaitingTheClientTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=14, skipped=9, decision_session=10, rupture_session=12)
        cls.episode.decisions.all().delete()
        _decide(cls.p, cls.episode, "plus_one", days_ago=7, confirmation="spoken")
        cls.deeper = _decide(cls.p, cls.episode, "deepening")

    def test_it_keeps_the_agreed_phase_until_the_client_confirms(self) -> None:
        self.assertEqual(actions.agreed_phase(self.episode), "plus_one")
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertEqual((summary.phase, summary.awaiting), ("plus_one", "deepening"))
        actions.confirm_decision(
            user=self.p.alice, decision=self.deeper, text="B.B.", today=timezone.localdate()
        )
        self.assertEqual(actions.agreed_phase(self.episode), "deepening")
        summary.refresh_from_db()
        self.assertEqual((summary.phase, summary.awaiting), ("deepening", ""))

    def test_it_says_awaiting_the_client_on_the_caseload_the_card_and_the_journey(self) -> None:
        login_as(self.client, self.p.alice)
        caseload = self.client.get("/practice/caseload/")
        self.assertContains(caseload, "+1 threshold · Deepening: awaiting the client")
        for page in ("card", "journey"):
            with self.subTest(page=page):
                response = self.client.get(f"/practice/episodes/{self.episode.pk}/{page}/")
                self.assertContains(response, "Deepening agreed on")
                self.assertContains(response, "awaiting the client&#x27;s confirmation")


class OffTableMoveTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def test_it_refuses_a_move_the_table_does_not_offer_without_a_reason(self) -> None:
        with self.assertRaises(ValidationError) as refused:
            _decide(self.p, self.episode, "consolidating", confirmation="spoken")
        self.assertIn("not a step the phase table offers", " ".join(refused.exception.messages))
        self.assertFalse(self.episode.decisions.exists())

    def test_it_records_the_reason_and_shows_it_in_the_trace(self) -> None:
        reason = "Came to us after two years of deep work elsewhere"
        _decide(self.p, self.episode, "consolidating", confirmation="spoken", reason=reason)
        self.assertEqual(self.episode.decisions.get().reason, reason)
        trace = propose(history_for(self.episode), today=timezone.localdate()).trace
        self.assertIn(
            f"is not one the phase table offers; the reason written: '{reason}'.", " ".join(trace)
        )

    def test_it_asks_for_the_reason_on_the_decision_form(self) -> None:
        login_as(self.client, self.p.alice)
        today = timezone.localdate().isoformat()
        response = self.client.post(
            f"/practice/episodes/{self.episode.pk}/decisions/new/",
            {
                "kind": "phase_change",
                "phase": "consolidating",
                "decided_on": today,
                "options_discussed": ["continue"],
                "present": ["client", "therapist"],
                "confirmation": "spoken",
                "confirmed_on": today,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "write why, in a sentence")


class BatchAgreesWithTheOneEpisodePathTests(TestCase):
    """The caseload's batch re-judging writes what a check-in's refresh writes."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=30, skipped=9, decision_session=10, rupture_session=20)
        _decide(cls.p, cls.episode, "deepening", days_ago=2)

    def test_it_writes_the_same_summary_either_way(self) -> None:
        fields = (
            "proposal_kind",
            "phase",
            "alerts",
            "spike_review",
            "awaiting",
            "held",
            "repair_first",
            "consult",
            "judged_on",
        )
        today = timezone.localdate()
        episodes = [self.episode, self.p.dave.episodes.get()]
        with transaction.atomic():
            for episode in episodes:
                refresh_summary(episode, today=today)
        one_by_one = {
            s.episode_id: tuple(getattr(s, f) for f in fields)
            for s in EpisodeSummary.objects.filter(episode__in=episodes)
        }
        EpisodeSummary.objects.update(proposal_kind="x", phase="none", alerts=[], judged_on=None)
        self.assertEqual(refresh_summaries(episodes, today=today), 2)
        batch = {
            s.episode_id: tuple(getattr(s, f) for f in fields)
            for s in EpisodeSummary.objects.filter(episode__in=episodes)
        }
        self.assertEqual(batch, one_by_one)
        self.assertEqual(one_by_one[self.episode.pk][4], "deepening")
