"""Policy values: DESIGN.md's defaults, and the TOML loader that refuses unknown keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plusone.core.history import Administration, ClientHistory, Decision, FeltChange
from plusone.core.policy import Policy, PolicyError, load_policy
from plusone.core.propose import MeasureInfo, propose

PHQ9 = MeasureInfo("phq9", "PHQ-9", "lower", 10.0, 6, (20.0, 27.0))
SWLS = MeasureInfo("swls", "SWLS", "higher", None, 7, None)
START = date(2026, 1, 5)


def test_it_has_designs_defaults():
    p = Policy()
    assert (p.k, p.window_days, p.lane_max_age_weeks) == (4, 28, 8)
    assert (p.goal_mark, p.goal_rc_points, p.felt_change_holds_mark, p.stuckness_low_max) == (
        7,
        3,
        7,
        3,
    )
    assert (p.consolidating_weeks, p.consolidating_min_admins, p.deepening_min_sessions) == (
        12,
        3,
        8,
    )
    assert (p.consolidating_to_ending_weeks, p.review_every, p.decline_review_weeks) == (8, 8, 6)
    assert (p.not_progressing_from, p.deterioration_lookback) == (8, 8)
    assert (p.rupture_item_max, p.rupture_drop, p.rupture_median_of) == (6, 2, 5)
    assert (p.rupture_relative_from, p.mhcsf_min_days_apart) == (4, 28)


def test_it_loads_a_toml_policy_file(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text("goal_mark = 6.5\nk = 5\nfollow_up_months = [3, 6, 12]\n", encoding="utf-8")
    p = load_policy(f)
    assert (p.goal_mark, p.k, p.follow_up_months) == (6.5, 5, (3, 6, 12))
    assert p.window_days == 28


def test_it_refuses_an_unknown_key_naming_it(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text("goal_mrak = 6\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"unknown key\(s\) goal_mrak; known keys: "):
        load_policy(f)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k = 4.5", "key k: expected a whole number"),
        ("k = -1", "key k: expected a whole number"),
        ("k = 1", "key k: must be at least 2"),
        ("goal_mark = 'seven'", "key goal_mark: expected a number"),
        ("growth_instruments = 'swls'", "key growth_instruments: expected a list of str"),
        ("k = ", "not valid TOML"),
    ],
)
def test_it_refuses_a_value_of_the_wrong_type(tmp_path, text, message):
    f = tmp_path / "policy.toml"
    f.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy(f)


def test_it_does_not_count_growth_as_up_when_another_growth_measure_is_reliably_down():
    admins = [
        Administration("phq9", START + timedelta(weeks=i), float(x))
        for i, x in enumerate((18, 14, 9, 8, 7, 8, 7))
    ]
    admins += [
        Administration("swls", START, 12.0),
        Administration("swls", START + timedelta(weeks=6), 25.0),
        Administration("mlq", START, 50.0),
        Administration("mlq", START + timedelta(weeks=6), 30.0),
    ]
    h = ClientHistory(
        primary="phq9",
        administrations=tuple(admins),
        felt_change=(FeltChange(START + timedelta(weeks=6), holds=9, stuck=1),),
    )
    mlq = MeasureInfo("mlq", "MLQ", "higher", None, 10, None)
    p = propose(
        h,
        decisions=[Decision("stabilizing", START)],
        today=START + timedelta(weeks=6),
        measures={"phq9": PHQ9, "swls": SWLS, "mlq": mlq},
    )
    assert "Growth: MLQ 50 → 30 (reliably down: ≥ 10 points)." in p.trace
    assert "Growth: not reliably up, because another growth measure is reliably down." in p.trace
    # Growth not reliably up is an unmet mark: the +1 threshold.
    assert p.kind == "plus_one"


def test_it_proposes_plus_one_when_felt_change_does_not_yet_hold():
    admins = tuple(
        Administration("phq9", START + timedelta(weeks=i), float(x))
        for i, x in enumerate((18, 14, 9, 8, 7, 8, 7))
    )
    h = ClientHistory(
        primary="phq9",
        administrations=admins,
        felt_change=(FeltChange(START + timedelta(weeks=6), holds=4, stuck=6),),
    )
    p = propose(
        h,
        decisions=[Decision("stabilizing", START)],
        today=START + timedelta(weeks=6),
        measures={"phq9": PHQ9},
    )
    assert p.kind == "plus_one"
    assert "Felt Change 'holds' 4 < 7." in p.trace
    assert "The change doesn't yet feel like it holds." in (p.question or "")


def test_it_has_designs_defaults_for_the_december_2026_terms():
    p = Policy()
    assert (p.intake_route_from, p.step_back_risk_grade, p.congruence_gap) == (3, 2, 2)
    assert (p.rc_convention, p.who5_change, p.who5_topp_points) == (
        "sourced",
        "reliable_change",
        10,
    )


def test_it_loads_a_named_choice_and_refuses_one_it_does_not_know(tmp_path):
    f = tmp_path / "policy.toml"
    f.write_text('rc_convention = "nhs_talking_therapies"\nwho5_change = "topp_2015"\n')
    p = load_policy(f)
    assert (p.rc_convention, p.who5_change) == ("nhs_talking_therapies", "topp_2015")
    f.write_text('rc_convention = "iapt"\n')
    with pytest.raises(
        PolicyError, match="key rc_convention: expected one of sourced, nhs_talking_therapies"
    ):
        load_policy(f)
