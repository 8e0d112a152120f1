"""The session axis with check-in points: a check-in that no session holds is a point of
its own, labelled apart from the sessions, and no axis label overlaps or is clipped."""

from __future__ import annotations

import dataclasses
import datetime
import itertools

import pytest
from chart_svg import all_text, find_all, one, parse, point
from hypothesis import given
from hypothesis import strategies as st

from plusone.charts import Journey, Scale, Session, SuddenGain, Symptoms, render_journey
from plusone.charts.sample import sample_journey
from plusone.charts.svg import text_width

DEC = datetime.date(2026, 12, 1)


def phq9(values, **kw) -> Symptoms:
    return Symptoms("phq9", "PHQ-9", "low mood", Scale(0, 27, "lower"), values, cutoff=10, **kw)


def with_check_in(n: int = 5) -> Journey:
    """``n`` weekly sessions up to 1 Dec, then a check-in on 6 Dec with no session."""
    sessions = tuple(
        Session(i, DEC - datetime.timedelta(weeks=n - i), str(i)) for i in range(1, n + 1)
    )
    check_in = Session(n + 1, datetime.date(2026, 12, 6), "check-in", kind="checkin")
    values = {i: 18.0 - i for i in range(1, n + 1)} | {n + 1: 9.0}
    return Journey(sessions=(*sessions, check_in), symptoms=phq9(values))


def axis_labels(root) -> list[tuple[float, float, float, str]]:
    """(row y, left, right, text) of every label under the axis, by its estimated width."""
    title = float(one(root, "text", cls="axis-title").get("y"))
    out = []
    for el in root.iter("{http://www.w3.org/2000/svg}text"):
        y = float(el.get("y"))
        if el.get("text-anchor") != "middle" or y not in (title - 30, title - 16):
            continue
        text = "".join(el.itertext())
        half = text_width(text, float(el.get("font-size"))) / 2
        x = float(el.get("x"))
        out.append((y, x - half, x + half, text))
    return out


def test_it_draws_an_ordinary_journey_byte_for_byte_with_its_numbers_as_labels():
    journey = sample_journey(40)
    labelled = dataclasses.replace(
        journey, sessions=tuple(Session(s.number, s.date, str(s.number)) for s in journey.sessions)
    )
    for audience in ("therapist", "client"):
        for width in (360, 960):
            plain = render_journey(journey, audience=audience, width=width)
            same = render_journey(labelled, audience=audience, width=width)
            assert (same.svg, same.table) == (plain.svg, plain.table)


def test_it_labels_a_check_in_point_with_its_words_its_date_and_a_ring():
    root = parse(render_journey(with_check_in(), width=960).svg)
    texts = [
        "".join(t.itertext()) for t in find_all(root, "text", cls="axis-check-in", session="6")
    ]
    assert texts == ["check-in", "6 Dec"]
    ring = one(root, "circle", cls="axis-check-in-tick", session="6")
    assert float(ring.get("cx")) == pytest.approx(point(root, "symptom-phq9", 6)[0])
    assert "".join(one(root, "text", cls="axis-key").itertext()) == "check-in"
    # Sessions keep their numbers under their ticks.
    assert [t[3] for t in axis_labels(root) if t[3].isdigit()] == ["1", "2", "3", "4", "5"]


def test_it_draws_no_ring_or_key_on_an_axis_of_sessions_only():
    root = parse(render_journey(sample_journey(12), width=960).svg)
    assert find_all(root, cls="axis-check-in-tick") == []
    assert find_all(root, cls="axis-key") == []


def test_it_counts_check_ins_apart_from_sessions_in_the_title_and_description():
    chart = render_journey(with_check_in(), width=960)
    assert (
        chart.title
        == "Journey: 5 sessions and 1 check-in without a session, 3 Nov 2026 to 6 Dec 2026"
    )
    assert chart.description.startswith(
        "Sessions 1 to 5 and 1 check-in without a session (3 Nov 2026 to 6 Dec 2026)"
    )


def test_it_gives_a_check_in_its_own_table_row_by_its_label_and_date():
    chart = render_journey(with_check_in(), width=960)
    assert [r[:2] for r in chart.table.rows][-2:] == [
        ("5", "1 Dec 2026"),
        ("check-in", "6 Dec 2026"),
    ]
    assert chart.table.rows[-1][-2] == "9"
    client = render_journey(with_check_in(), audience="client", width=960)
    assert client.table.rows[-1][:2] == ("check-in", "6 Dec 2026")


def test_it_names_a_check_in_in_the_notes_of_a_sudden_gain_from_it():
    journey = with_check_in(3)
    gain = dataclasses.replace(journey.symptoms, sudden_gains=(SuddenGain(4, 5),))
    sessions = (*journey.sessions, Session(5, datetime.date(2026, 12, 8), "4"))
    values = dict(journey.symptoms.values) | {5: 2.0}
    chart = render_journey(
        Journey(sessions=sessions, symptoms=dataclasses.replace(gain, values=values))
    )
    assert chart.table.rows[-1][0] == "4"
    assert chart.table.rows[-1][-1] == "sudden gain from check-in of 6 Dec 2026"


def test_it_uses_the_callers_words_for_a_check_in():
    journey = with_check_in()
    sessions = (*journey.sessions[:-1], dataclasses.replace(journey.sessions[-1], label="suivi"))
    root = parse(render_journey(dataclasses.replace(journey, sessions=sessions)).svg)
    assert "suivi" in all_text(root)
    assert "check-in" not in all_text(root)


def test_it_refuses_an_unknown_kind_of_point():
    with pytest.raises(ValueError, match="unknown kind"):
        Session(1, DEC, kind="visit")  # type: ignore[arg-type]


@st.composite
def axes(draw):
    """Weekly sessions with check-in days among them, and after the last."""
    n = draw(st.integers(0, 40))
    check_ins = draw(st.sets(st.integers(0, n + 3), min_size=1, max_size=8))
    start = datetime.date(2026, 2, 2)
    points = []
    number = 0
    for week in range(n + 4):
        if week in check_ins:
            number += 1
            day = start + datetime.timedelta(weeks=week, days=-2)
            points.append(Session(number, day, "check-in", kind="checkin"))
        if week < n:
            number += 1
            points.append(Session(number, start + datetime.timedelta(weeks=week), str(week + 1)))
    return Journey(sessions=tuple(points))


@given(axes(), st.sampled_from(("therapist", "client")), st.integers(280, 1600))
def test_it_never_overlaps_or_clips_a_label_under_the_axis(journey, audience, width):
    root = parse(render_journey(journey, audience=audience, width=width).svg)
    labels = sorted(axis_labels(root))
    for _y, left, right, text in labels:
        assert left >= 0 and right <= width, (text, left, right)
    for a, b in itertools.pairwise(labels):
        if a[0] == b[0]:
            assert a[2] <= b[1], (a, b)
    # Every check-in keeps its ring, labelled or not; the latest is always labelled.
    rings = find_all(root, "circle", cls="axis-check-in-tick")
    check_ins = [s for s in journey.sessions if s.kind == "checkin"]
    assert len(rings) == len(check_ins)
    latest = str(check_ins[-1].number)
    assert find_all(root, "text", cls="axis-check-in", session=latest)
