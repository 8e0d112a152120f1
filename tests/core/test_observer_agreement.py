"""Observer agreement in the proposal trace: the ratings of the latest round in
Deepening corroborate Consolidating and never veto it (issue 13, Observers)."""

from __future__ import annotations

from dataclasses import replace

from test_propose import DEEP, day, deepening_history, goals, run

from plusone.core.history import Administration, ClientHistory

ITEMS = (
    "observed_at_ease",
    "observed_acts_on_values",
    "observed_says_needs",
    "observed_bounces_back",
    "observed_takes_part",
)


def observed(when, *ratings):
    answers = dict(zip(ITEMS, ratings, strict=True))
    return Administration(
        "observed_change", when, sum(ratings) / len(ratings), valid=True, answers=answers
    )


N = 20  # the weeks of deepening_history below: 6 + 1 + 13


def consolidating_history(*extra):
    after = (6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 5)
    h, n = deepening_history(after, sessions=14)
    return (
        ClientHistory(
            primary=h.primary,
            administrations=(
                *h.administrations,
                Administration("swls", day(6), 15.0),
                Administration("swls", day(n - 1), 24.0),
                *extra,
            ),
            sessions=h.sessions,
            felt_change=h.felt_change,
            goals=goals((6, (3, 4)), (n - 1, (7, 8))),
        ),
        n,
    )


def test_it_quotes_the_latest_rounds_ratings_as_corroborating_consolidating():
    h, n = consolidating_history(
        observed(day(8), 2, 2, 2, 2, 2), observed(day(N - 2), 8, 7, 9, 6, 8)
    )
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "consolidating", p.trace
    line = next(t for t in p.trace if t.startswith("Observers"))
    assert f"({day(N - 2)})" in line
    assert "ratings 8, 7, 9, 6, 8" in line
    assert "mean 7.6 ≥ 7" in line
    assert "corroborating Consolidating" in line


def test_it_never_lets_observers_who_disagree_veto_consolidating():
    h, n = consolidating_history(observed(day(N - 2), 1, 2, 1, 0, 1))
    p = run(h, day(n - 1), decisions=DEEP)
    assert p.kind == "consolidating", p.trace
    assert any("this never vetoes Consolidating" in t for t in p.trace)


def test_it_says_there_is_no_round_in_deepening_rather_than_counting_rounds():
    before = observed(day(2), 9, 9, 9, 9, 9)  # before the Deepening decision (week 6)
    h, n = consolidating_history(before)
    p = run(h, day(n - 1), decisions=DEEP)
    assert "Observers: no round in Deepening (neither for nor against)." in p.trace


def test_observer_rounds_change_no_proposal_kind():
    h, n = consolidating_history()
    without = run(h, day(n - 1), decisions=DEEP)
    with_low = run(
        replace(h, administrations=(*h.administrations, observed(day(N - 2), 0, 0, 0, 0, 0))),
        day(n - 1),
        decisions=DEEP,
    )
    assert (without.kind, without.alerts) == (with_low.kind, with_low.alerts)
