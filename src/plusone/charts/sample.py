"""A deterministic sample journey, for the benchmark, the docs' picture and the demo.

The numbers are invented and follow no one; they only exercise every lane: a PHQ-9
that falls with one sudden gain, a missed check-in, goals and Felt Change, SWLS and
WHO-5 on alternate fourth sessions, a rupture and its repair, and four decisions.
"""

from __future__ import annotations

import datetime

from plusone.charts.model import (
    Band,
    Better,
    Decision,
    Goal,
    GrowthMeasure,
    Journey,
    RelationshipEvent,
    Scale,
    Series,
    Session,
    SuddenGain,
    Symptoms,
)

PHQ9_BANDS = (
    Band(0, 4, "minimal"),
    Band(5, 9, "mild"),
    Band(10, 14, "moderate"),
    Band(15, 19, "moderately severe"),
    Band(20, 27, "severe"),
)

FELT_CHANGE_LABELS: tuple[tuple[str, str, Better], ...] = (
    ("holds", "I feel different in a way that holds", "higher"),
    ("understand", "I understand what keeps me stuck", "higher"),
    ("stuck", "My life feels stuck", "lower"),
)


def sample_journey(n: int = 40, *, start: datetime.date | None = None) -> Journey:
    """A weekly journey of ``n`` sessions (n >= 1) with every lane filled in."""
    first = start or datetime.date(2026, 1, 6)
    sessions = tuple(Session(i, first + datetime.timedelta(weeks=i - 1)) for i in range(1, n + 1))
    numbers = [s.number for s in sessions]
    missed = {12} if n >= 12 else set()

    def wave(i: int, period: int, amp: int) -> int:
        # A small deterministic wobble: no randomness, so every run draws the same chart.
        return ((i * 7) % period) % (2 * amp + 1) - amp

    phq: dict[int, float | None] = {}
    for i in numbers:
        base = 19 if i <= 5 else 12 if i <= 14 else 8 if i <= 24 else 6
        spike = 4 if 26 <= i <= 27 else 0
        phq[i] = None if i in missed else float(min(27, max(0, base + spike + wave(i, 5, 1))))

    def rating(i: int, begin: float, end: float) -> float:
        return round(begin + (end - begin) * (i - 1) / max(1, n - 1) + wave(i, 3, 1) * 0.5, 1)

    goals = (
        Goal(
            "Speak up when something matters to me, even at work & at home",
            {i: (None if i in missed else rating(i, 2, 8)) for i in numbers},
            short="Speak up when it matters",
        ),
        Goal(
            "Feel close to my partner again",
            {i: (None if i in missed else rating(i, 3, 7)) for i in numbers},
        ),
        Goal(
            "Stop living on autopilot",
            {i: (None if i in missed else rating(i, 1, 6)) for i in numbers if i % 2 == 1},
        ),
    )
    every4 = [i for i in numbers if i % 4 == 1]
    felt = tuple(
        Series(
            key,
            label,
            {i: rating(i, *ends) for i in every4},
            better,
        )
        for (key, label, better), ends in zip(
            FELT_CHANGE_LABELS, ((1.0, 7.0), (3.0, 8.5), (8.0, 3.0)), strict=True
        )
    )
    swls = GrowthMeasure(
        "swls",
        "SWLS",
        "life satisfaction",
        Scale(5, 35),
        {i: float(min(35, 12 + i // 3)) for i in numbers if i % 8 == 1},
    )
    who5 = GrowthMeasure(
        "who5",
        "WHO-5",
        "wellbeing",
        Scale(0, 100),
        {i: float(min(100, 28 + 2 * i)) for i in numbers if i % 8 == 5},
    )
    reflection = Series(
        "reflection",
        "Session Reflection",
        {i: (None if i in missed else 4.3 if i == 14 else rating(i, 7, 9)) for i in numbers},
    )
    therapist = Series(
        "therapist-rating",
        "Therapist Rating",
        {i: rating(i, 6.5, 8.5) for i in numbers if i not in missed},
    )
    events = tuple(
        e
        for e in (RelationshipEvent(14, "rupture", "felt rushed"), RelationshipEvent(15, "repair"))
        if e.session <= n
    )
    symptoms = Symptoms(
        key="phq9",
        name="PHQ-9",
        client_name="low mood",
        scale=Scale(0, 27, "lower"),
        values=phq,
        bands=PHQ9_BANDS,
        cutoff=10,
        rc_points=6,
        sudden_gains=(SuddenGain(5, 6),) if n >= 6 else (),
    )
    decisions = tuple(
        d
        for d in (
            Decision(10, "plus_one"),
            Decision(13, "deepening"),
            Decision(28, "stabilizing", "Back to steadier ground"),
            Decision(31, "deepening"),
            Decision(38, "consolidating"),
        )
        if d.session <= n
    )
    return Journey(
        sessions=sessions,
        intention="To stop performing being fine, and feel like myself with the people I love.",
        goals=goals,
        felt_change=felt,
        growth=(swls, who5),
        reflection=reflection,
        therapist_rating=therapist,
        events=events,
        symptoms=symptoms,
        decisions=decisions,
    )
