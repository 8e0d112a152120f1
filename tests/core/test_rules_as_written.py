"""DESIGN.md's rules as amended in December 2026 (issue 10, section 3), one worked example each.

Relief held over the whole window, confirmations, off-table moves, the intake
route from the 3rd administration, step backs, "check in together", growth
known, goal labels, same-day administrations, RC sources and "repair first".
"""

from __future__ import annotations

from datetime import date, timedelta

from plusone.core.history import (
    Administration,
    ClientHistory,
    Decision,
    FeltChange,
    GoalRating,
    Reflection,
    RiskFlag,
    RuptureLog,
    TherapistRating,
)
from plusone.core.policy import Policy
from plusone.core.propose import MeasureInfo, primary_series, propose

PHQ9 = MeasureInfo("phq9", "PHQ-9", "lower", 10.0, 6, (20.0, 27.0))
GAD7 = MeasureInfo("gad7", "GAD-7", "lower", 10.0, 5, (15.0, 21.0))
SWLS = MeasureInfo("swls", "SWLS", "higher", 19.0, 6, None)
WHO5 = MeasureInfo("who5", "WHO-5", "higher", 50.0, 17, (0.0, 28.0))
MEASURES = {"phq9": PHQ9, "gad7": GAD7, "swls": SWLS, "who5": WHO5}
START = date(2026, 1, 5)


def day(i: int, every: int = 7) -> date:
    return START + timedelta(days=every * i)


def weekly(scores, *, first=0, instrument="phq9", risk=None, every=7):
    return tuple(
        Administration(
            instrument,
            day(first + i, every),
            float(x),
            session=first + i + 1,
            risk_grade=(risk or {}).get(first + i, 0),
        )
        for i, x in enumerate(scores)
    )


def goals_at(week, ratings, labels=("sleep through", "call my sister")):
    return tuple(
        GoalRating(f"g{i}", 1, day(week), float(r), labels[i]) for i, r in enumerate(ratings)
    )


def run(history, today, decisions=None, policy=None, measures=MEASURES):
    return propose(
        history,
        decisions=decisions,
        today=today,
        policy=policy or Policy(),
        measures=measures,
    )


STAB = [Decision("stabilizing", START)]


# --- 1. Relief held means held -------------------------------------------------------------


def test_it_needs_the_primary_below_cutoff_on_every_administration_of_the_window():
    # The last 2 are below 10, but the window (the last 5, 28 days) holds a 10 and an 11.
    h = ClientHistory(
        primary="phq9",
        administrations=weekly((16, 12, 10, 11, 9, 8, 9)),
        goals=goals_at(6, (3, 4)),
    )
    p = run(h, day(6), STAB)
    assert p.rules["flat"] is True
    assert p.rules["below_window"] is False
    assert p.kind == "none"
    assert (
        "PHQ-9 not below cutoff 10 on every administration of the window "
        "(10, 11, 9, 8, 9; 28 days)." in p.trace
    )


def test_it_offers_the_good_enough_ending_only_with_the_whole_window_below_cutoff():
    lanes = {
        "goals": goals_at(6, (8, 8)),
        "felt_change": (FeltChange(day(6), holds=8, stuck=2),),
    }
    near = ClientHistory(primary="phq9", administrations=weekly((16, 12, 10, 9, 8, 9, 8)), **lanes)
    held = ClientHistory(primary="phq9", administrations=weekly((16, 12, 9, 9, 8, 9, 8)), **lanes)
    assert run(near, day(6), STAB).kind == "none"
    assert run(held, day(6), STAB).kind == "good_enough_ending"


def test_it_states_the_span_of_the_window_as_held_for_n_weeks():
    # Fortnightly: the window is the last 4 administrations, spanning 42 days.
    h = ClientHistory(
        primary="phq9",
        administrations=weekly((18, 12, 8, 7, 8, 7), every=14),
        goals=goals_at(10, (3, 4)),
    )
    p = run(h, day(10), STAB)
    assert p.kind == "plus_one"
    assert "held for 6 weeks" in (p.question or "")


# --- 2. Confirmation ------------------------------------------------------------------------


def threshold_history():
    return ClientHistory(primary="phq9", administrations=weekly((18, 14, 9, 8, 7, 8, 7, 8)))


def test_it_keeps_the_agreed_phase_until_the_client_confirms_a_move_into_deepening():
    decisions = [
        Decision("stabilizing", START),
        Decision("plus_one", day(5)),
        Decision("deepening", day(6), awaiting=True),
    ]
    p = run(threshold_history(), day(7), decisions)
    assert p.phase == "plus_one"
    assert p.awaiting == "deepening"
    assert p.awaiting_since == day(6)
    assert f"Deepening agreed on {day(6).isoformat()}, awaiting the client's confirmation." in (
        p.trace
    )
    # The question that move answers is not asked again while it waits.
    assert p.kind == "none" and p.held == "deepening_or_ending"


def test_it_moves_into_deepening_on_the_day_the_client_confirms():
    decisions = [
        Decision("stabilizing", START),
        Decision("plus_one", day(5)),
        Decision("deepening", day(6), confirmed_on=day(6) + timedelta(days=3)),
    ]
    before = run(threshold_history(), day(6) + timedelta(days=2), decisions)
    after = run(threshold_history(), day(7), decisions)
    assert (before.phase, before.awaiting) == ("plus_one", "deepening")
    assert (after.phase, after.awaiting) == ("deepening", None)
    assert after.since == day(6) + timedelta(days=3)


def test_it_lets_a_step_back_and_stabilizing_take_effect_at_once():
    decisions = [
        Decision("consolidating", START),
        Decision("deepening", day(2), awaiting=True),
    ]
    p = run(threshold_history(), day(3), decisions)
    assert (p.phase, p.awaiting) == ("deepening", None)
    p = run(threshold_history(), day(3), [Decision("stabilizing", START, awaiting=True)])
    assert p.phase == "stabilizing"


def test_it_waits_for_the_client_before_a_good_enough_ending_takes_effect():
    p = run(
        threshold_history(),
        day(7),
        [Decision("stabilizing", START), Decision("ending", day(6), awaiting=True)],
    )
    assert (p.phase, p.awaiting) == ("stabilizing", "ending")


# --- 3. A move the phase table does not offer needs a written reason ------------------------


def test_it_shows_the_written_reason_for_a_move_the_table_does_not_offer():
    decisions = [
        Decision("stabilizing", START),
        Decision("consolidating", day(2), reason="moving abroad; we agreed to consolidate"),
    ]
    p = run(threshold_history(), day(3), decisions)
    assert p.phase == "consolidating"
    assert (
        f"The move Stabilizing → Consolidating on {day(2).isoformat()} is not one the phase "
        "table offers; the reason written: 'moving abroad; we agreed to consolidate'." in p.trace
    )


def test_it_says_when_no_reason_was_written_and_nothing_for_offered_moves():
    decisions = [Decision("stabilizing", START), Decision("consolidating", day(2))]
    p = run(threshold_history(), day(3), decisions)
    assert any(t.endswith("no reason was written.") for t in p.trace)
    p = run(threshold_history(), day(3), [Decision("stabilizing", START)])
    assert not any("phase table offers" in t for t in p.trace)


# --- 4. The intake route --------------------------------------------------------------------


def test_it_never_takes_the_intake_route_on_two_readings_and_says_it_may_still_apply():
    h = ClientHistory(
        primary="phq9",
        prior_therapy=True,
        administrations=weekly((9, 8)),
        goals=goals_at(1, (3, 4)),
    )
    p = run(h, day(1))
    assert p.kind == "stabilizing"
    assert any("the intake route can still apply" in t for t in p.trace)


def test_it_needs_every_administration_so_far_below_cutoff_for_the_intake_route():
    h = ClientHistory(
        primary="phq9",
        prior_therapy=True,
        administrations=weekly((11, 9, 8)),
        goals=goals_at(2, (3, 4)),
    )
    p = run(h, day(2))
    assert p.kind == "stabilizing"
    assert any(t.startswith("Intake route: not every administration") for t in p.trace)


# --- 5. Step back ---------------------------------------------------------------------------

THRESHOLD = [Decision("stabilizing", START), Decision("plus_one", day(6))]


def test_it_steps_back_from_the_threshold_when_the_deterioration_alert_is_raised():
    h = ClientHistory(primary="phq9", administrations=weekly((18, 14, 9, 8, 7, 8, 7, 14)))
    p = run(h, day(7), THRESHOLD)
    assert "deterioration" in p.alerts
    assert p.kind == "step_back_to_stabilizing"
    assert "Step back to Stabilizing: the deterioration alert is raised." in p.trace


def test_it_steps_back_from_the_threshold_on_a_risk_answer_of_grade_2_after_the_decision():
    flags = (RiskFlag("phq9", "phq9_9", 2, day(7)),)
    h = ClientHistory(primary="phq9", administrations=weekly(PLATEAU8), risk_flags=flags)
    assert run(h, day(7), THRESHOLD).kind == "step_back_to_stabilizing"
    # Grade 1, or a grade-2 answer from before the +1 decision, is no step back.
    low = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU8),
        risk_flags=(RiskFlag("phq9", "phq9_9", 1, day(7)),),
    )
    assert run(low, day(7), THRESHOLD).kind == "deepening_or_ending"
    old = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU8, risk={3: 2}),
        risk_flags=(RiskFlag("phq9", "phq9_9", 2, day(3)),),
    )
    assert run(old, day(7), THRESHOLD).kind == "deepening_or_ending"


PLATEAU8 = (18, 14, 9, 8, 7, 8, 7, 8)


def consolidating_history(after, *, risk=None, flags=()):
    # Consolidating agreed at week 6; its baseline is the week-6 score (5).
    scores = (18, 12, 8, 6, 5, 6, 5, *after)
    return ClientHistory(
        primary="phq9", administrations=weekly(scores, risk=risk), risk_flags=flags
    ), len(scores)


CONS = [Decision("stabilizing", START), Decision("consolidating", day(6))]


def test_it_steps_back_from_consolidating_to_deepening_when_a_rise_lasts():
    h, n = consolidating_history((11, 12, 11))
    p = run(h, day(n - 1), CONS)
    assert p.kind == "step_back_to_deepening"
    assert p.consult is False
    assert any(t.startswith("Step back to Deepening: lasted 3 administrations") for t in p.trace)


def test_it_steps_back_from_consolidating_to_stabilizing_with_a_consult_at_the_severe_band():
    h, n = consolidating_history((7, 21))
    p = run(h, day(n - 1), CONS)
    assert p.kind == "step_back_to_stabilizing"
    assert p.consult is True
    assert any("reached the severe band (21)" in t for t in p.trace)


def test_it_steps_back_to_stabilizing_on_a_risk_answer_of_grade_2_during_the_rise():
    h, n = consolidating_history((6, 12), risk={8: 2})
    assert run(h, day(n - 1), CONS).kind == "step_back_to_stabilizing"
    # Grade 1 during the rise is an exit condition, but not one for Stabilizing.
    h, n = consolidating_history((6, 12), risk={8: 1})
    assert run(h, day(n - 1), CONS).kind == "step_back_to_deepening"


def test_it_never_counts_a_flag_still_open_from_months_before_as_a_risk_answer_of_the_rise():
    old = (RiskFlag("phq9", "phq9_9", 2, START - timedelta(days=120)),)
    h, n = consolidating_history((6, 12), flags=old)
    p = run(h, day(n - 1), CONS)
    assert p.risk and p.kind == "none"
    assert p.spike_review is True
    # The same in Deepening: a single spike stays "spike: review".
    deep = [Decision("stabilizing", START), Decision("deepening", day(6))]
    assert run(h, day(n - 1), deep).kind == "none"


def test_it_measures_consolidatings_spike_from_the_consolidating_baseline():
    # 14 is >= 6 above the Consolidating baseline 5, though not above the intake of 18.
    h, n = consolidating_history((6, 14, 14))
    assert run(h, day(n - 1), CONS).kind == "step_back_to_deepening"


def test_it_holds_the_ending_back_while_a_single_spike_is_to_review():
    # Baseline 2; a single rise to 8 is >= 6 above it, yet below cutoff (no alert).
    calm = (18, 12, 8, 4, 3, 2, 2, 3, 2, 3, 2, 3, 2, 3)
    spiked = ClientHistory(primary="phq9", administrations=weekly((*calm, 8)))
    p = run(spiked, day(14), CONS)
    assert (p.kind, p.spike_review, p.alerts) == ("none", True, ())
    assert any(t.endswith("a spike to review: not met.") for t in p.trace)
    held = ClientHistory(primary="phq9", administrations=weekly((*calm, 3)))
    assert run(held, day(14), CONS).kind == "ending"


# --- 6. After an Ending: check in together ---------------------------------------------------

ENDED = [Decision("stabilizing", START), Decision("ending", day(4))]


def test_it_offers_to_check_in_together_when_a_follow_up_is_at_or_above_cutoff():
    h = ClientHistory(primary="phq9", administrations=weekly((16, 9, 7, 6, 5, 10)))
    p = run(h, day(5), ENDED)
    assert p.kind == "check_in_together"
    assert p.alerts == ()
    assert "check in together" in (p.question or "")
    assert any("an offer of a session, never an alarm" in t for t in p.trace)


def test_it_offers_to_check_in_when_a_follow_up_is_reliably_worse_though_below_cutoff():
    h = ClientHistory(primary="phq9", administrations=weekly((16, 5, 3, 2, 1, 8)))
    p = run(h, day(5), ENDED)
    assert p.kind == "check_in_together"
    assert any("≥ 6 points worse than 1, the last score before the ending" in t for t in p.trace)


def test_it_proposes_nothing_after_an_ending_while_the_follow_ups_hold():
    fine = ClientHistory(primary="phq9", administrations=weekly((16, 9, 7, 6, 5, 6)))
    assert run(fine, day(5), ENDED).kind == "none"
    none_yet = ClientHistory(primary="phq9", administrations=weekly((16, 9, 7, 6, 5)))
    assert run(none_yet, day(5), ENDED).kind == "none"


# --- 7. Growth known -------------------------------------------------------------------------


def test_it_gives_a_well_client_with_a_stale_swls_pair_the_good_enough_ending():
    # Goals 8, holds 8, stuck 2; the only SWLS pair is older than 8 weeks; one recent WHO-5.
    old = START - timedelta(weeks=12)
    h = ClientHistory(
        primary="phq9",
        administrations=(
            *weekly(PLATEAU7),
            Administration("swls", old, 18.0),
            Administration("swls", old + timedelta(weeks=2), 19.0),
            Administration("who5", day(5), 64.0),
        ),
        goals=goals_at(6, (8, 8)),
        felt_change=(FeltChange(day(6), holds=8, stuck=2),),
    )
    p = run(h, day(6), STAB)
    assert p.kind == "good_enough_ending", p.trace
    assert any(t.startswith("Growth: SWLS's latest is from") for t in p.trace)
    assert any(t.startswith("Growth: unknown") for t in p.trace)


PLATEAU7 = (18, 14, 9, 8, 7, 8, 7)


def test_it_counts_a_recent_who5_pair_with_its_rc_points():
    h = ClientHistory(
        primary="phq9",
        administrations=(
            *weekly(PLATEAU7),
            Administration("who5", day(1), 40.0),
            Administration("who5", day(6), 48.0),
        ),
    )
    p = run(h, day(6), STAB)
    assert "Growth: WHO-5 40 → 48 (not reliable: ≥ 17 points)." in p.trace
    assert p.kind == "plus_one"


def test_it_offers_topp_2015s_ten_points_only_as_a_labelled_policy_alternative():
    h = ClientHistory(
        primary="phq9",
        administrations=(
            *weekly(PLATEAU7),
            Administration("who5", day(1), 40.0),
            Administration("who5", day(6), 52.0),
        ),
        goals=goals_at(6, (8, 8)),
        felt_change=(FeltChange(day(6), holds=8, stuck=2),),
    )
    reliable = run(h, day(6), STAB)
    topp = run(h, day(6), STAB, policy=Policy(who5_change="topp_2015"))
    assert reliable.kind == "plus_one"
    assert topp.kind == "good_enough_ending"
    assert any(
        t.startswith(
            "Growth: WHO-5 40 → 52 (up: Topp et al. 2015's 10-point 'clinically "
            "relevant' change, a policy alternative, not a reliable change"
        )
        for t in topp.trace
    )


# --- 8. Goal words, never ids ---------------------------------------------------------------


def test_it_shows_the_goals_words_and_falls_back_to_its_position_never_the_id():
    uuid_a, uuid_b = "3f0c9a52-6d0e-4b7e-9c1e-0a4f5d2b8e11", "9b1d7c34-2e5f-4a8b-b6d3-7c9e0f1a2b3c"
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU7),
        goals=(
            GoalRating(uuid_a, 2, day(6), 4.0, "sleep through the night", position=1),
            GoalRating(uuid_b, 1, day(6), 6.0, "", position=2),
        ),
    )
    p = run(h, day(6), STAB)
    assert "Goals: 'sleep through the night' 4, 'goal 2' 6; mean 5.0 < 7." in p.trace
    assert not any(uuid_a in t or uuid_b in t for t in p.trace)


def test_it_keeps_each_rating_with_the_goal_version_it_was_given_under():
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU7),
        goals=(
            GoalRating("g", 1, day(2), 9.0, "run a 5k", position=1),
            GoalRating("g", 2, day(6), 3.0, "walk every day", position=1),
        ),
    )
    p = run(h, day(6), STAB)
    assert "Goals: 'walk every day' 3; mean 3.0 < 7." in p.trace


# --- 9. Observer agreement ------------------------------------------------------------------


def test_observer_answers_never_decide_and_speak_only_in_the_consolidating_trace():
    """DESIGN.md: observer agreement strengthens the trace and never vetoes. Issue 13 puts
    the latest round in Deepening into the Consolidating trace; nothing else reads it."""
    observed = Administration("observed_change", day(5), 12.0)
    deep = [Decision("stabilizing", START), Decision("deepening", day(2))]
    plain = ClientHistory(primary="phq9", administrations=weekly(PLATEAU7))
    seen = ClientHistory(primary="phq9", administrations=(*weekly(PLATEAU7), observed))
    with_round, without = run(seen, day(6), deep), run(plain, day(6), deep)
    assert with_round.kind == without.kind
    added = [t for t in with_round.trace if t not in without.trace]
    assert added and all(t.startswith("Observers") for t in added)
    # Outside Deepening the round is not read at all.
    stabilizing = [Decision("stabilizing", START)]
    assert not any("Observ" in t for t in run(seen, day(6), stabilizing).trace)


# --- 10. Same-day administrations -------------------------------------------------------------


def test_it_counts_the_last_of_a_day_within_that_day_only():
    dec1, dec6 = date(2026, 12, 1), date(2026, 12, 6)
    admins = (
        Administration("phq9", dec1, 14.0),
        Administration("phq9", dec6, 9.0),
        Administration("phq9", dec6, 11.0),
    )
    s, _ = primary_series(admins, "phq9", dec6)
    assert s.dates == (dec1, dec6)
    assert s.scores == (14.0, 11.0)


# --- 11. Reliable-change parameters: the trace says which apply --------------------------------


def test_it_says_which_reliable_change_points_apply():
    h = ClientHistory(primary="phq9", administrations=weekly(PLATEAU7))
    shipped = propose(h, decisions=STAB, today=day(6))
    chosen = propose(
        h, decisions=STAB, today=day(6), policy=Policy(rc_convention="nhs_talking_therapies")
    )
    assert (
        "PHQ-9 reliable change: ≥ 6 points (the NHS Talking Therapies convention, as no "
        "clinical-sample SD is sourced yet)." in shipped.trace
    )
    assert (
        "PHQ-9 reliable change: ≥ 6 points (the NHS Talking Therapies convention, chosen by "
        "the policy's rc_convention)." in chosen.trace
    )
    swls = ClientHistory(primary="swls", administrations=weekly((12, 14, 16), instrument="swls"))
    p = propose(swls, today=day(2))
    assert any(
        t.startswith("SWLS reliable change: ≥ 7 points (Jacobson-Truax from SD 6.43")
        and "not a clinical sample" in t
        for t in p.trace
    )


def test_it_applies_the_nhs_talking_therapies_gad7_convention_of_4_points():
    h = ClientHistory(primary="gad7", administrations=weekly((14, 12, 10), instrument="gad7"))
    base = run(h, day(2), STAB)
    nhs = run(h, day(2), STAB, policy=Policy(rc_convention="nhs_talking_therapies"))
    assert "GAD-7 fell 14 → 10 (not reliable: < 5 points)." in base.trace
    assert "GAD-7 fell 14 → 10 (reliable: ≥ 4 points)." in nhs.trace


# --- 12. Repair first ------------------------------------------------------------------------


def plateau_with(**lanes):
    return ClientHistory(
        primary="phq9", administrations=weekly(PLATEAU7), goals=goals_at(6, (3, 4)), **lanes
    )


def test_it_holds_the_forward_proposal_while_a_logged_rupture_is_open():
    p = run(plateau_with(ruptures=(RuptureLog(day(5)),)), day(6), STAB)
    assert p.alerts == ("possible_rupture",)
    assert (p.kind, p.held, p.repair_first) == ("none", "plus_one", True)
    assert any(t.startswith("Repair first: a possible rupture is open") for t in p.trace)


def test_it_resolves_the_rupture_signals_up_to_a_logged_repair():
    logs = (RuptureLog(day(4)), RuptureLog(day(5), "repair"))
    low = (Reflection(day(5), (5.0, 9.0, 9.0)),)
    p = run(plateau_with(ruptures=logs, reflections=low), day(6), STAB)
    assert p.alerts == ()
    assert p.kind == "plus_one"
    assert any("resolved by the repair logged on" in t for t in p.trace)


def test_it_raises_possible_rupture_on_the_congruence_gap_from_the_first_session():
    refl = (Reflection(day(6), (7.0, 9.0, 9.0)),)
    rating = (TherapistRating(day(6), (9.0, 9.0, 9.0)),)
    p = run(plateau_with(reflections=refl, therapist_ratings=rating), day(6), STAB)
    assert p.alerts == ("possible_rupture",)
    assert any("the therapist rated 'I felt heard and understood' 9" in t for t in p.trace)
    # The reverse gap (the client 2 above the therapist) is no alert.
    rev = (TherapistRating(day(6), (7.0, 7.0, 7.0)),)
    refl_high = (Reflection(day(6), (9.0, 9.0, 9.0)),)
    q = run(plateau_with(reflections=refl_high, therapist_ratings=rev), day(6), STAB)
    assert q.alerts == ()


def test_it_never_holds_a_step_back_for_repair():
    flags = (RiskFlag("phq9", "phq9_9", 2, day(7)),)
    h = ClientHistory(
        primary="phq9",
        administrations=weekly(PLATEAU8),
        risk_flags=flags,
        ruptures=(RuptureLog(day(7)),),
    )
    p = run(h, day(7), THRESHOLD)
    assert p.kind == "step_back_to_stabilizing"
    assert p.held is None
