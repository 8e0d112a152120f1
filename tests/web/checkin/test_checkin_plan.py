"""Which instruments a check-in asks: DESIGN.md's default plan, own words first, and the
180 s (routine) and 300 s (review sitting) budgets."""

from __future__ import annotations

import pytest

from plusone.clinical.plans import default_schedule, phase_default_schedule
from plusone.core.due import (
    REVIEW_BUDGET_SECONDS,
    due_today,
    fit_budget,
    own_words_first,
    split_key,
)
from plusone.measures.forms import CHOOSE_ONE, parse_group

SCHEDULE = default_schedule("phq9", "gad7")
SECONDS = {
    "phq9": 60,
    "gad7": 48,
    "personal_goals": 18,
    "swls": 30,
    "who5": 30,
    "felt_change": 18,
    "pcl5": 120,
}


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, ["personal_goals", "phq9"]),
        (2, ["personal_goals", "phq9", "gad7"]),
        (3, ["personal_goals", "phq9"]),
        (4, ["personal_goals", "felt_change", "phq9", "swls"]),
        (6, ["personal_goals", "phq9", "gad7"]),
        (8, ["personal_goals", "felt_change", "phq9", "who5"]),
        (12, ["personal_goals", "felt_change", "phq9", "swls"]),
    ],
)
def test_it_follows_the_default_plan_own_words_first(n: int, expected: list[str]) -> None:
    assert due_today(SCHEDULE, session_number=n) == expected


def test_it_puts_the_goals_then_felt_change_before_any_symptom_measure() -> None:
    assert own_words_first(["phq9", "who5", "felt_change", "personal_goals", "phq9-risk"]) == [
        "personal_goals",
        "felt_change",
        "phq9",
        "who5",
        "phq9-risk",
    ]


@pytest.mark.parametrize("n", [8, 16, 24])
def test_it_keeps_felt_change_and_the_growth_slot_at_a_review_on_every_4th_session(
    n: int,
) -> None:
    asked = due_today(SCHEDULE, session_number=n, kind="review")
    # A review adds to the routine sitting; it never displaces the 4th-session slot.
    assert asked[:2] == ["personal_goals", "felt_change"]
    assert {"phq9", "who5"} <= set(asked)
    assert {"pcl5", "auditc"} <= set(asked)


def test_it_adds_the_review_slot_to_an_odd_sessions_routine() -> None:
    assert due_today(SCHEDULE, session_number=5, kind="review") == [
        "personal_goals",
        "phq9",
        "pcl5",
        "auditc",
    ]


def test_it_opens_the_intake_with_the_goals() -> None:
    assert due_today(SCHEDULE, session_number=1, kind="intake") == [
        "personal_goals",
        "phq9",
        "gad7",
        "pcl5",
        "auditc",
        "swls",
    ]


def test_it_never_puts_the_session_reflection_in_the_checkin() -> None:
    schedule = {**SCHEDULE, "routine": ["phq9", "session_reflection"]}
    assert due_today(schedule, session_number=1) == ["phq9"]


def test_it_uses_the_review_slot_for_a_review_session() -> None:
    assert "pcl5" in due_today(SCHEDULE, session_number=8, kind="review")


def test_it_fits_review_extras_into_300_seconds_and_rolls_the_rest_on() -> None:
    seconds = {**SECONDS, "auditc": 18, "k10": 60}.__getitem__
    due = ["personal_goals", "felt_change", "phq9", "who5"]  # 126 s, never dropped
    asked, rolled = fit_budget(
        due, [], seconds, budget=REVIEW_BUDGET_SECONDS, optional=["pcl5", "k10", "auditc"]
    )
    assert asked == [*due, "pcl5", "auditc"]  # 264 s: K10 would make 324
    assert rolled == ["k10"]
    assert sum(seconds(k) for k in asked) <= REVIEW_BUDGET_SECONDS


def test_it_rolls_carried_instruments_on_rather_than_pass_180_seconds() -> None:
    due = ["phq9", "personal_goals", "gad7"]  # 126 s
    asked, rolled = fit_budget(due, ["swls", "pcl5", "felt_change"], SECONDS.__getitem__)
    assert asked == ["personal_goals", "felt_change", "phq9", "gad7", "swls"]  # 174 s
    assert rolled == ["pcl5"]
    assert sum(SECONDS[k] for k in asked) <= 180


def test_it_never_drops_an_instrument_that_is_due_today() -> None:
    asked, rolled = fit_budget(["pcl5", "phq9", "gad7"], [], SECONDS.__getitem__)
    assert asked == ["pcl5", "phq9", "gad7"]
    assert rolled == []


def test_it_reads_answers_and_names_missing_ones() -> None:
    from plusone.core.instruments import load_instrument

    phq9 = load_instrument("phq9")
    data = {f"phq9__phq9_{i}": "1" for i in range(1, 9)}
    result = parse_group(phq9, data)
    assert result.errors == {"phq9_9": CHOOSE_ONE}
    assert result.answers["phq9_1"] == 1
    # The difficulty item is optional on the form.
    assert "phq9_difficulty" not in result.errors


DEEPENING = phase_default_schedule("phq9", "gad7", "deepening")


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, ["personal_goals", "phq9-risk"]),
        (2, ["personal_goals", "phq9", "gad7"]),
        (3, ["personal_goals", "phq9-risk"]),
        (4, ["personal_goals", "felt_change", "phq9", "swls"]),
        (8, ["personal_goals", "felt_change", "phq9", "who5"]),
    ],
)
def test_it_keeps_phq9_item_9_every_session_in_deepening(n: int, expected: list[str]) -> None:
    assert due_today(DEEPENING, session_number=n) == expected


def test_it_asks_item_9_alone_for_core10_as_its_item_6() -> None:
    schedule = phase_default_schedule("core10", "gad7", "deepening")
    assert due_today(schedule, session_number=1) == ["personal_goals", "core10-risk"]


def test_it_drops_the_lone_item_when_the_whole_instrument_is_carried_in() -> None:
    seconds = {**SECONDS, "phq9-risk": 6}.__getitem__
    asked, rolled = fit_budget(["personal_goals", "phq9-risk"], ["phq9", "phq9-risk"], seconds)
    assert asked == ["personal_goals", "phq9"]
    assert rolled == []


def test_it_names_lone_risk_groups_by_their_instrument() -> None:
    assert split_key("phq9-risk") == ("phq9", True)
    assert split_key("phq9") == ("phq9", False)


def test_it_writes_designs_default_plan() -> None:
    # DESIGN.md, "Default plan": primary and goals every session, the reflection its own
    # end-of-session sitting, the secondary on alternate sessions, SWLS or WHO-5 with Felt
    # Change every 4th session instead; a review adds the primary and the screens.
    assert default_schedule("phq9", "gad7") == {
        "routine": ["phq9", "personal_goals"],
        "alternate": ["gad7"],
        "every_4th": ["swls", "felt_change"],
        "every_4th_alternating": ["who5", "felt_change"],
        "end_of_session": ["session_reflection"],
        "intake": ["phq9", "gad7", "pcl5", "auditc", "personal_goals", "swls"],
        "review": ["phq9", "pcl5", "auditc"],
    }


def test_it_recognises_a_default_plan_saved_before_the_review_slot_changed() -> None:
    from plusone.clinical.plans import is_default_schedule

    saved = {
        **default_schedule("phq9", "gad7"),
        "review": ["phq9", "gad7", "pcl5", "auditc", "personal_goals", "who5"],
    }
    assert is_default_schedule(saved, "phq9", "gad7")
    assert not is_default_schedule({**saved, "alternate": []}, "phq9", "gad7")
