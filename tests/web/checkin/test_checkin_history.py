"""What the check-in hands the rule engine, and when a sitting is a review.

A declined decision passes the proposal it answered; decisions waiting for the
client's confirmation count (docs/decisions.md: a decision takes effect when it is
recorded); flags are passed as risk; each phase decision and every 8th session is a
review, which is when K10, PCL-5 and AUDIT-C are asked.
"""

from __future__ import annotations

from checkin_helpers import answer_today, decide, issue
from django.test import TestCase

from personas import TODAY, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary
from plusone.core.due import REVIEW_BUDGET_SECONDS
from plusone.core.propose import propose
from plusone.insights.decisions import confirm_decision
from plusone.measures import actions, checkin
from plusone.measures.models import Sitting, SittingKind, SittingStatus


class HistoryTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def _decline(self, proposal_kind: str, **extra):
        return decide(
            self.p, self.episode, "", kind="declined", proposal_kind=proposal_kind, **extra
        )

    def test_it_passes_the_proposal_a_declined_decision_answered(self) -> None:
        for form_value, core_kind in (
            ("plus_one", "plus_one"),
            ("good_enough", "good_enough_ending"),
            ("stalled", "stalled_review"),
            ("spike", "spike_exit"),
        ):
            with self.subTest(form_value=form_value):
                decision = self._decline(form_value)
                passed = actions.history_for(self.episode).decisions[-1]
                self.assertEqual(passed.kind, "no_change")
                self.assertEqual(passed.proposal, core_kind)
                self.assertEqual(passed.review_date, decision.review_date)

    def test_it_names_the_one_threshold_question_for_a_decline_at_the_threshold(self) -> None:
        decide(self.p, self.episode, "plus_one")
        self._decline("plus_one")
        self.assertEqual(
            actions.history_for(self.episode).decisions[-1].proposal, "deepening_or_ending"
        )

    def test_it_suppresses_only_the_declined_proposal(self) -> None:
        # The rule engine proposes Stabilizing after one administration; declining +1 leaves it.
        self._decline("plus_one")
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token)
        self.assertEqual(
            EpisodeSummary.objects.get(episode=self.episode).proposal_kind, "stabilizing"
        )

    def test_it_suppresses_the_declined_proposal_until_its_review_date(self) -> None:
        decision = self._decline("stabilizing")
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token)
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertEqual(summary.proposal_kind, "")
        trace = propose(actions.history_for(self.episode), today=TODAY).trace
        self.assertTrue(any("was declined on" in line for line in trace))
        after = decision.review_date
        proposal = propose(actions.history_for(self.episode), today=after)
        self.assertEqual(proposal.kind, "stabilizing")

    def test_it_waits_for_the_clients_confirmation_before_deepening_takes_effect(self) -> None:
        # DESIGN.md (changed in December 2026): a move into Deepening takes effect when the
        # client confirms it; until then it is "awaiting the client" everywhere.
        decision = decide(self.p, self.episode, "deepening", confirmation="pending")
        self.assertEqual(decision.confirmation, "pending")
        passed = actions.history_for(self.episode).decisions
        self.assertEqual(
            [(d.kind, d.phase, d.awaiting) for d in passed],
            [("change", "plus_one", False), ("change", "deepening", True)],
        )
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token)
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertEqual((summary.phase, summary.awaiting), ("plus_one", "deepening"))
        confirm_decision(user=self.p.alice, decision=decision, text="B.B.", today=TODAY)
        summary.refresh_from_db()
        self.assertEqual((summary.phase, summary.awaiting), ("deepening", ""))

    def test_it_passes_open_flags_to_the_rule_engine_as_risk(self) -> None:
        _, token = issue(self.p.alice, self.p.bob)
        result = answer_today(token, phq9_9=2)
        self.assertEqual(result.flag.grade, 2)
        flags = actions.history_for(self.episode).risk_flags
        self.assertEqual(
            [(f.instrument, f.item_id, f.grade) for f in flags], [("phq9", "phq9_9", 2)]
        )
        self.assertEqual(len(propose(actions.history_for(self.episode), today=TODAY).risk), 1)


class ReviewSittingTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def test_it_asks_no_intake_and_review_instrument_in_a_routine_sitting(self) -> None:
        _, token = issue(self.p.alice, self.p.bob)
        today = checkin.plan_for(token)
        self.assertEqual(today.kind, SittingKind.ROUTINE)
        self.assertEqual(today.asked, ["personal_goals", "phq9"])

    def test_it_makes_the_sitting_after_a_phase_decision_a_review(self) -> None:
        decide(self.p, self.episode, "stabilizing")
        _, token = issue(self.p.alice, self.p.bob)
        today = checkin.plan_for(token)
        self.assertEqual(today.kind, SittingKind.REVIEW)
        self.assertLessEqual({"pcl5", "auditc"}, set(today.asked))
        result = answer_today(token)
        self.assertEqual(result.sitting.kind, SittingKind.REVIEW)
        event = AuditEvent.objects.get(action="checkin.submit", target_id=str(result.sitting.pk))
        self.assertEqual(event.detail["kind"], "review")
        # Done once: the next sitting is routine again.
        _, after = issue(self.p.alice, self.p.bob)
        self.assertEqual(checkin.plan_for(after).kind, SittingKind.ROUTINE)
        self.assertNotIn("pcl5", checkin.plan_for(after).asked)

    def test_it_keeps_a_skipped_review_owed_to_the_next_sitting(self) -> None:
        decide(self.p, self.episode, "stabilizing")
        _, token = issue(self.p.alice, self.p.bob)
        skipped = actions.skip_checkin(link=token)
        self.assertEqual(
            (skipped.sitting.status, skipped.sitting.kind),
            (SittingStatus.SKIPPED, SittingKind.REVIEW),
        )
        _, again = issue(self.p.alice, self.p.bob)
        today = checkin.plan_for(again)
        self.assertEqual(today.kind, SittingKind.REVIEW)
        self.assertIn("pcl5", today.asked)

    def test_it_makes_every_8th_session_a_review(self) -> None:
        for _ in range(7):
            _, token = issue(self.p.alice, self.p.bob)
            actions.skip_checkin(link=token)
        self.assertEqual(Sitting.objects.filter(kind=SittingKind.REVIEW).count(), 0)
        _, eighth = issue(self.p.alice, self.p.bob)
        today = checkin.plan_for(eighth)
        self.assertEqual(today.kind, SittingKind.REVIEW)
        # The review adds to the 8th session's routine sitting, own words first; PCL-5 and
        # AUDIT-C are still owed from an intake that never happened. Carried over from the
        # skipped sittings, SWLS fits (294 s); GAD-7 would pass 300 s and rolls on.
        self.assertEqual(
            today.asked,
            ["personal_goals", "felt_change", "phq9", "who5", "pcl5", "auditc", "swls"],
        )
        self.assertEqual(today.rolled, ["gad7"])
        self.assertEqual(sum(checkin.seconds_for(k) for k in today.asked), 294)
        self.assertGreater(294 + checkin.seconds_for("gad7"), REVIEW_BUDGET_SECONDS)

    def test_it_holds_back_a_carried_review_instrument_until_the_next_review(self) -> None:
        from plusone.clinical.actions import update_plan

        # PCL-5 carried over from a skipped sitting (an edited plan's review slot).
        update_plan(
            user=self.p.alice,
            episode=self.episode,
            schedule={"routine": ["phq9", "personal_goals"], "review": ["phq9", "pcl5"]},
            min_interval_days={},
        )
        _, token = issue(self.p.alice, self.p.bob)
        actions.skip_checkin(link=token, carried_over=["pcl5"])
        _, nxt = issue(self.p.alice, self.p.bob)
        today = checkin.plan_for(nxt)
        self.assertEqual(today.kind, SittingKind.ROUTINE)
        self.assertNotIn("pcl5", today.asked)
        self.assertIn("pcl5", today.rolled)
