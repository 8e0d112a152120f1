"""The rule engine, one rule per test, on small hand-built histories (DESIGN.md rule terms)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plusone.core.history import (
    Administration,
    ClientHistory,
    Decision,
    FeltChange,
    GoalRating,
    Reflection,
    RiskFlag,
)
from plusone.core.policy import Policy
from plusone.core.propose import MeasureInfo, propose

# PHQ-9 as the rules see it: cutoff 10, RC 6 points, severe band 20-27.
PHQ9 = MeasureInfo("phq9", "PHQ-9", "lower", 10.0, 6, (20.0, 27.0))
SWLS = MeasureInfo("swls", "SWLS", "higher", 19.0, 6, None)
WHO5 = MeasureInfo("who5", "WHO-5", "higher", 12.0, None, None)
MEASURES = {"phq9": PHQ9, "swls": SWLS, "who5": WHO5}
START = date(2026, 1, 5)


def weekly(scores, *, start=START, every=7, instrument="phq9", risk=None):
    return tuple(
        Administration(
            instrument,
            start + timedelta(days=every * i),
            float(x) if x is not None else None,
            valid=x is not None,
            session=i + 1,
            risk_grade=(risk or {}).get(i, 0),
        )
        for i, x in enumerate(scores)
    )


def day(i, every=7):
    return START + timedelta(days=every * i)


def goals(*ratings_by_week, labels=("sleep through", "call my sister")):
    out = []
    for week, ratings in ratings_by_week:
        for gid, r in enumerate(ratings):
            out.append(GoalRating(f"g{gid}", 1, day(week), r, labels[gid]))
    return tuple(out)


def run(history, today, decisions=None, policy=None):
    return propose(
        history, decisions=decisions, today=today, policy=policy or Policy(), measures=MEASURES
    )


PLATEAU = (18, 14, 9, 8, 7, 8, 7)  # eased by week 2, flat for the last 5 (range 1 < 6)


def test_it_proposes_plus_one_when_symptoms_eased_and_held_and_goals_unmet():
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU),
        goals=goals((0, (3, 5)), (6, (4, 6))),
    )
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    assert p.kind == "plus_one"
    assert p.phase == "stabilizing"
    assert "Goals: 'sleep through' 4, 'call my sister' 6; mean 5.0 < 7." in p.trace
    assert "PHQ-9 fell 18 → 7 (reliable: ≥ 6 points)." in p.trace
    assert p.question is not None and p.question.endswith("?")
    assert "Low mood has eased and held for" in p.question


def test_it_proposes_good_enough_ending_when_goals_met_and_stuckness_low():
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU) + weekly((20, 28), every=42, instrument="swls"),
        goals=goals((6, (8, 7))),
        felt_change=(FeltChange(day(6), holds=8, understands=7, stuck=2),),
    )
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    assert p.kind == "good_enough_ending"
    assert "Stuckness 'my life feels stuck' 2 ≤ 3 (low)." in p.trace
    assert "finish well" in (p.question or "")


def test_it_asks_one_plus_one_question_naming_good_enough_when_both_rules_match():
    # Goals met and stuckness low (good-enough), but Felt Change "holds" 5 < 7 (+1).
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU),
        goals=goals((6, (8, 8))),
        felt_change=(FeltChange(day(6), holds=5, understands=7, stuck=1),),
    )
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    assert p.kind == "plus_one"
    assert any(t.startswith("+1 threshold rule: met") for t in p.trace)
    assert any(t.startswith("Good-enough ending rule: met") for t in p.trace)
    assert "finishing well here as good enough" in (p.question or "")


def test_it_does_not_propose_plus_one_without_a_full_window():
    # Below cutoff twice but only 3 administrations: no window of 4 over 28 days, so not flat.
    h = ClientHistory(primary="phq9", administrations=weekly((8, 7, 8)), goals=goals((2, (3, 3))))
    p = run(h, day(2), decisions=[Decision("stabilizing", START)])
    assert p.kind == "none"
    assert any("no full window yet" in t for t in p.trace)


def test_it_does_not_call_it_flat_when_a_sudden_gain_falls_in_the_window():
    # 16 -> 8 between the 3rd and 4th is a sudden gain whose N+1 starts the window.
    h = ClientHistory(
        primary="phq9",
        administrations=weekly((17, 16, 16, 8, 8, 9, 8, 8)),
        goals=goals((7, (3, 3))),
    )
    p = run(h, day(7), decisions=[Decision("stabilizing", START)])
    assert p.rules["flat"] is False
    assert any("sudden gain" in t for t in p.trace)
    assert p.kind == "none"


def test_it_proposes_stalled_review_when_reliably_improved_but_still_above_cutoff_and_flat():
    h = ClientHistory(primary="phq9", administrations=weekly((22, 18, 14, 13, 14, 13, 14)))
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    assert p.kind == "stalled_review"
    assert "PHQ-9 fell 22 → 14 (reliable: ≥ 6 points)." in p.trace


def test_it_treats_no_phase_as_stabilizing_and_proposes_stabilizing_otherwise():
    h = ClientHistory(primary="phq9", administrations=weekly((18, 17)))
    p = run(h, day(1))
    assert p.phase is None
    assert p.kind == "stabilizing"
    assert p.trace[0] == "Agreed phase: none yet (treated as Stabilizing)."


def test_it_takes_the_intake_route_from_the_third_administration():
    h = ClientHistory(
        primary="phq9",
        prior_therapy=True,
        administrations=weekly((7, 6, 8)),
        goals=goals((2, (3, 4))),
    )
    p = run(h, day(2))
    assert p.kind == "plus_one"
    assert any(t.startswith("Intake route: every administration so far") for t in p.trace)
    assert any(t.startswith("Intake route:") and t.endswith("met.") for t in p.trace)
    assert "you've had therapy before" in (p.question or "")


def test_it_proposes_only_stabilizing_at_the_first_administration_and_says_the_route_may_apply():
    h = ClientHistory(
        primary="phq9", prior_therapy=True, administrations=weekly((7,)), goals=goals((0, (3, 4)))
    )
    p = run(h, day(0))
    assert p.kind == "stabilizing"
    assert any("the intake route can still apply" in t for t in p.trace)


def test_it_does_not_take_the_intake_route_without_prior_therapy():
    h = ClientHistory(
        primary="phq9",
        prior_therapy=False,
        administrations=weekly((7, 6, 7)),
        goals=goals((2, (3, 4))),
    )
    assert run(h, day(2)).kind == "stabilizing"


def test_it_does_not_take_the_intake_route_once_a_phase_is_agreed():
    h = ClientHistory(
        primary="phq9",
        prior_therapy=True,
        administrations=weekly((7, 6, 7)),
        goals=goals((2, (3, 4))),
    )
    assert run(h, day(2), decisions=[Decision("stabilizing", START)]).kind == "none"


def test_it_counts_goals_with_no_rating_in_8_weeks_as_unknown():
    h = ClientHistory(
        primary="phq9",
        administrations=weekly((18, 14, 9, 8, 7, 8, 7, 8, 7, 8, 7, 8, 7, 7)),
        goals=goals((0, (3, 5))),
    )
    p = run(h, day(13), decisions=[Decision("stabilizing", START)])
    assert any(t.startswith("Goals: unknown (no rating in the last 8 weeks") for t in p.trace)
    assert p.kind == "none"


def test_it_skips_invalid_administrations_and_names_them():
    h = ClientHistory(
        primary="phq9",
        administrations=weekly((18, 14, None, 9, 8, 7, 8, 7)),
        goals=goals((7, (3, 5))),
    )
    p = run(h, day(7), decisions=[Decision("stabilizing", START)])
    assert f"Skipped an invalid PHQ-9 administration on {day(2).isoformat()}." in p.trace
    assert p.kind == "plus_one"


def test_it_counts_the_last_administration_of_a_day():
    admins = (
        *weekly(PLATEAU),
        Administration("phq9", day(6), 15.0),
    )
    h = ClientHistory(primary="phq9", administrations=admins, goals=goals((6, (3, 5))))
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    assert p.rules["below_window"] is False
    assert (
        "PHQ-9 not below cutoff 10 on every administration of the window (9, 8, 7, 8, 15; 28 days)."
        in p.trace
    )


def test_it_names_a_growth_instrument_without_rc_parameters():
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU) + weekly((10, 20), every=35, instrument="who5"),
    )
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    assert "Growth: WHO-5 has no RC parameters and does not count." in p.trace


def test_it_proposes_plus_one_when_growth_is_not_reliably_up():
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU) + weekly((20, 22), every=35, instrument="swls"),
    )
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    assert "Growth: SWLS 20 → 22 (not reliable: ≥ 6 points)." in p.trace
    assert p.kind == "plus_one"


def test_it_proposes_deepening_or_ending_while_the_plus_one_threshold_is_agreed():
    h = ClientHistory(primary="phq9", administrations=weekly(PLATEAU))
    p = run(h, day(6), decisions=[Decision("plus_one", day(5))])
    assert p.kind == "deepening_or_ending"
    assert "finish well" in (p.question or "")


def test_it_does_not_repeat_a_declined_proposal_before_its_review_date():
    h = ClientHistory(primary="phq9", administrations=weekly(PLATEAU), goals=goals((6, (3, 5))))
    decisions = [
        Decision("stabilizing", START),
        Decision(None, day(5), kind="no_change", proposal="plus_one"),
    ]
    p = run(h, day(6), decisions=decisions)
    assert p.kind == "none"
    assert any("declined" in t for t in p.trace)
    # Six weeks after the decision the proposal may come back.
    later = ClientHistory(
        primary="phq9",
        administrations=weekly((*PLATEAU, 8, 7, 8, 7, 8, 7)),
        goals=goals((11, (3, 5))),
    )
    assert run(later, day(11), decisions=decisions).kind == "plus_one"


def deepening_history(after, *, base=7.0, sessions=10, risk=None, felt=(8, 8), flags=()):
    # Deepening decided at week 6; baseline is the week-6 score.
    scores = (*PLATEAU[:6], base, *after)
    n = len(scores)
    return ClientHistory(
        primary="phq9",
        administrations=weekly(scores, risk=risk),
        sessions=tuple(day(i) for i in range(n - sessions, n)),
        felt_change=tuple(FeltChange(day(n - 1 - 4 * i), holds=h) for i, h in enumerate(felt)),
        risk_flags=flags,
    ), n


DEEP = [Decision("stabilizing", START), Decision("deepening", day(6))]


def test_it_shows_a_single_spike_only_as_spike_review():
    h, n = deepening_history((8, 14))
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "none"
    assert p.spike_review is True


def test_it_proposes_spike_exit_when_the_rise_lasts_3_administrations():
    h, n = deepening_history((13, 14, 13))
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "spike_exit"
    assert any("Suggest a medical or psychiatric consult" in t for t in p.trace)


def test_it_proposes_spike_exit_when_at_or_above_cutoff_twice_in_a_row():
    h, n = deepening_history((8, 13, 14))
    assert run(h, day(n - 1), decisions=DEEP).kind == "spike_exit"


def test_it_proposes_spike_exit_when_a_spike_reaches_the_severe_band_once():
    h, n = deepening_history((8, 21))
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "spike_exit"
    assert any("severe band (21)" in t for t in p.trace)


def test_it_proposes_spike_exit_when_a_spike_comes_with_a_risk_answer():
    h, n = deepening_history((8, 13), risk={8: 1})
    assert run(h, day(n - 1), decisions=DEEP).kind == "spike_exit"


def test_it_proposes_consolidating_when_every_term_holds():
    after = (6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 5)
    h, n = deepening_history(after, sessions=14)
    h = ClientHistory(
        primary=h.primary,
        administrations=(
            *h.administrations,
            Administration("swls", day(6), 15.0),
            Administration("swls", day(n - 1), 24.0),
        ),
        sessions=h.sessions,
        felt_change=h.felt_change,
        goals=goals((6, (3, 4)), (n - 1, (7, 8))),
    )
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "consolidating", p.trace
    assert "Growth: SWLS 15 → 24 (reliably up: ≥ 6 points)." in p.trace


def test_it_does_not_propose_consolidating_with_too_few_sessions_in_deepening():
    after = (6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 5)
    h, n = deepening_history(after, sessions=5)
    h = ClientHistory(
        primary=h.primary,
        administrations=(
            *h.administrations,
            Administration("swls", day(6), 15.0),
            Administration("swls", day(n - 1), 24.0),
        ),
        sessions=h.sessions,
        felt_change=h.felt_change,
        goals=goals((n - 1, (7, 8))),
    )
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "none"
    assert "Sessions in Deepening: 5 (< 8)." in p.trace


def test_it_accepts_mhcsf_flourishing_twice_28_days_apart_instead_of_growth():
    after = (6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 5)
    h, n = deepening_history(after, sessions=14)
    mh = (
        Administration("mhcsf", day(n - 5), 60.0, band="flourishing"),
        Administration("mhcsf", day(n - 1), 62.0, band="flourishing"),
    )
    h = ClientHistory(
        primary=h.primary,
        administrations=h.administrations + mh,
        sessions=h.sessions,
        felt_change=h.felt_change,
        goals=goals((n - 1, (7, 8))),
    )
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "consolidating"


def test_it_proposes_ending_after_8_weeks_in_consolidating():
    h = ClientHistory(primary="phq9", administrations=weekly((18, 9, 7, 6, 5, 6, 5, 6, 5, 5, 6)))
    dec = [Decision("consolidating", day(2))]
    assert run(h, day(10), decisions=dec).kind == "ending"
    assert run(h, day(9), decisions=dec).kind == "none"


def test_it_proposes_nothing_in_ending():
    h = ClientHistory(primary="phq9", administrations=weekly(PLATEAU))
    assert run(h, day(6), decisions=[Decision("ending", day(5))]).kind == "none"


def test_it_raises_not_progressing_from_the_8th_administration():
    scores = (18, 17, 16, 17, 16, 15, 16, 15)
    h = ClientHistory(primary="phq9", administrations=weekly(scores))
    assert "not_progressing" in run(h, day(7)).alerts
    h7 = ClientHistory(primary="phq9", administrations=weekly(scores[:7]))
    assert "not_progressing" not in run(h7, day(6)).alerts


def test_it_raises_deterioration_from_intake_at_or_above_cutoff():
    h = ClientHistory(primary="phq9", administrations=weekly((10, 12, 16)))
    p = run(h, day(2))
    assert p.alerts == ("deterioration",)
    assert any(t.startswith("Alert deterioration: PHQ-9 rose 10 → 16") for t in p.trace)


def test_it_raises_deterioration_after_recovery_from_the_best_of_the_last_8():
    h = ClientHistory(primary="phq9", administrations=weekly((16, 10, 5, 4, 5, 12)))
    p = run(h, day(5))
    assert "deterioration" in p.alerts
    assert any("worse than the best (4)" in t for t in p.trace)


def test_it_does_not_raise_deterioration_below_cutoff():
    h = ClientHistory(primary="phq9", administrations=weekly((3, 2, 9)))
    assert run(h, day(2)).alerts == ()


def reflections(*scores, text_at=()):
    return tuple(
        Reflection(day(i), (s, s, s), free_text=i in text_at) for i, s in enumerate(scores)
    )


def test_it_raises_possible_rupture_when_any_item_is_6_or_less():
    h = ClientHistory(primary="phq9", reflections=reflections(9, 6))
    assert run(h, day(1)).alerts == ("possible_rupture",)


def test_it_raises_possible_rupture_when_the_free_text_line_is_answered():
    h = ClientHistory(primary="phq9", reflections=reflections(9, 9, text_at=(1,)))
    assert run(h, day(1)).alerts == ("possible_rupture",)


def test_it_applies_the_relative_rupture_rule_from_the_4th_reflection():
    third = ClientHistory(primary="phq9", reflections=reflections(10, 10, 8))
    fourth = ClientHistory(primary="phq9", reflections=reflections(10, 10, 10, 8))
    assert run(third, day(2)).alerts == ()
    p = run(fourth, day(3))
    assert p.alerts == ("possible_rupture",)
    assert any("median 10 of the previous 3 minus 2" in t for t in p.trace)


def test_it_reports_open_risk_flags_with_their_grade_in_any_phase():
    h = ClientHistory(
        primary="phq9",
        risk_flags=(
            RiskFlag("phq9", "item9", 2, day(1)),
            RiskFlag("phq9", "item9", 1, day(0), acknowledged=day(1)),
        ),
    )
    p = run(h, day(2), decisions=[Decision("ending", START)])
    assert [(r.item_id, r.grade) for r in p.risk] == [("item9", 2)]


def test_it_lets_no_rule_match_on_symptom_data_older_than_8_weeks():
    h = ClientHistory(primary="phq9", administrations=weekly((18, 17, 16, 17, 16, 15, 16, 15)))
    p = run(h, day(7) + timedelta(weeks=9))
    assert p.alerts == ()
    assert any("unknown (no administration in the last 8 weeks)" in t for t in p.trace)


def test_it_uses_policy_values_instead_of_defaults():
    h = ClientHistory(primary="phq9", administrations=weekly((18, 17, 16, 17, 16)))
    assert "not_progressing" in run(h, day(4), policy=Policy(not_progressing_from=5)).alerts


@pytest.mark.parametrize("kind", ["plus_one", None])
def test_it_never_puts_a_verdict_or_diagnosis_in_the_question(kind):
    h = ClientHistory(primary="phq9", administrations=weekly(PLATEAU), goals=goals((6, (3, 5))))
    p = run(h, day(6), decisions=[Decision("stabilizing", START)])
    q = p.question or ""
    assert q.endswith("?")
    assert "depress" not in q.lower() and "disorder" not in q.lower()
