"""The agreed phase now: one definition in core (``plusone.core.phases.current_phase``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plusone.core.history import Decision
from plusone.core.phases import current_phase, needs_confirmation, offered

D = date(2026, 11, 3)


def later(days):
    return D + timedelta(days=days)


def test_it_has_no_phase_before_any_decision():
    now = current_phase([], D)
    assert (now.phase, now.since, now.awaiting) == (None, None, None)


@pytest.mark.parametrize(
    ("before", "after", "waits"),
    [
        (None, "stabilizing", False),
        ("stabilizing", "plus_one", False),
        ("plus_one", "deepening", True),
        ("deepening", "consolidating", True),
        ("consolidating", "ending", True),
        ("stabilizing", "ending", True),
        ("plus_one", "stabilizing", False),
        ("deepening", "stabilizing", False),
        ("consolidating", "deepening", False),
        ("consolidating", "stabilizing", False),
        ("ending", "deepening", True),
    ],
)
def test_it_waits_for_the_client_only_on_moves_into_deepening_consolidating_or_an_ending(
    before, after, waits
):
    assert needs_confirmation(before, after) is waits


def test_it_ignores_a_move_awaiting_the_client_and_names_it():
    decisions = [Decision("plus_one", D), Decision("deepening", later(7), awaiting=True)]
    now = current_phase(decisions, later(10))
    assert (now.phase, now.since) == ("plus_one", D)
    assert now.awaiting is not None and now.awaiting.phase == "deepening"


def test_it_takes_a_confirmed_move_from_the_day_of_the_confirmation():
    decisions = [
        Decision("plus_one", D),
        Decision("deepening", later(7), awaiting=False, confirmed_on=later(9)),
    ]
    assert current_phase(decisions, later(8)).phase == "plus_one"
    now = current_phase(decisions, later(9))
    assert (now.phase, now.since, now.awaiting) == ("deepening", later(9), None)


def test_it_lets_a_later_decision_in_effect_replace_a_move_still_awaiting():
    decisions = [
        Decision("plus_one", D),
        Decision("deepening", later(7), awaiting=True),
        Decision("stabilizing", later(14)),
    ]
    now = current_phase(decisions, later(15))
    assert (now.phase, now.awaiting) == ("stabilizing", None)


def test_it_decides_in_decision_date_order_not_confirmation_order():
    # Deepening agreed on day 7 and confirmed on day 20; a step back on day 14 came later.
    decisions = [
        Decision("plus_one", D),
        Decision("deepening", later(7), confirmed_on=later(20)),
        Decision("stabilizing", later(14)),
    ]
    assert current_phase(decisions, later(21)).phase == "stabilizing"


def test_it_treats_a_decision_without_confirmation_data_as_confirmed():
    # An export (plusone analyze) records no confirmations: its phase changes take effect.
    assert current_phase([Decision("deepening", D)], D).phase == "deepening"


def test_it_knows_the_moves_the_phase_table_offers():
    assert offered("stabilizing", "plus_one") and offered("consolidating", "deepening")
    assert offered("deepening", "deepening")
    assert not offered("stabilizing", "consolidating")
    assert not offered(None, "deepening")
