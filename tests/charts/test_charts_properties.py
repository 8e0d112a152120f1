"""Properties: any in-range journey renders valid XML with every point inside its plot."""

from __future__ import annotations

import itertools
import math

from chart_svg import box, centre, find_all, one, parse, weekly
from hypothesis import given
from hypothesis import strategies as st

from plusone.charts import (
    Band,
    Decision,
    Goal,
    GrowthMeasure,
    Journey,
    RelationshipEvent,
    Scale,
    Series,
    Symptoms,
    render_journey,
    render_sparkline,
)

PHASES = ("stabilizing", "plus_one", "deepening", "consolidating", "ending")
TEXT = st.text(max_size=60)


def values(draw, sessions, lo, hi):
    """Per session: not due (absent), not completed (None) or a score in [lo, hi]."""
    out = {}
    for s in sessions:
        kind = draw(st.sampled_from(("absent", "none", "value", "value", "value")))
        if kind == "none":
            out[s] = None
        elif kind == "value":
            out[s] = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    return out


@st.composite
def journeys(draw):
    n = draw(st.integers(1, 40))
    axis = weekly(n)
    numbers = [s.number for s in axis]
    goals = tuple(
        Goal(draw(TEXT), values(draw, numbers, 0, 10), short=draw(TEXT))
        for _ in range(draw(st.integers(0, 3)))
    )
    felt = tuple(
        Series(
            f"f{i}",
            draw(TEXT),
            values(draw, numbers, 0, 10),
            draw(st.sampled_from(("lower", "higher"))),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    growth = []
    for i in range(draw(st.integers(0, 2))):
        lo = draw(st.integers(-10, 50))
        hi = lo + draw(st.integers(1, 100))
        growth.append(
            GrowthMeasure(
                f"g{i}", f"G{i}", draw(TEXT), Scale(lo, hi), values(draw, numbers, lo, hi)
            )
        )
    symptoms = None
    if draw(st.booleans()):
        hi = draw(st.sampled_from((21, 27, 40)))
        cut = draw(st.one_of(st.none(), st.integers(0, hi)))
        cuts = sorted(draw(st.sets(st.integers(1, hi - 1), max_size=4)))
        edges = [0, *cuts, hi + 1]
        bands = tuple(Band(a, b - 1, draw(TEXT)) for a, b in itertools.pairwise(edges))
        symptoms = Symptoms(
            "m",
            draw(TEXT) or "M",
            draw(TEXT) or "m",
            Scale(0, hi, "lower"),
            values(draw, numbers, 0, hi),
            bands,
            cut,
            draw(st.one_of(st.none(), st.integers(1, 12))),
        )
    decisions = tuple(
        Decision(draw(st.sampled_from(numbers)), draw(st.sampled_from(PHASES)), draw(TEXT))
        for _ in range(draw(st.integers(0, 6)))
    )
    events = tuple(
        RelationshipEvent(
            draw(st.sampled_from(numbers)), draw(st.sampled_from(("rupture", "repair"))), draw(TEXT)
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    return Journey(
        sessions=axis,
        intention=draw(TEXT),
        goals=goals,
        felt_change=felt,
        growth=tuple(growth),
        reflection=Series("reflection", "R", values(draw, numbers, 0, 10))
        if draw(st.booleans())
        else None,
        therapist_rating=Series("t", "T", values(draw, numbers, 0, 10))
        if draw(st.booleans())
        else None,
        events=events,
        symptoms=symptoms,
        decisions=decisions,
    )


@given(journeys(), st.sampled_from(("therapist", "client")), st.integers(280, 1600))
def test_it_renders_any_in_range_journey_as_valid_xml_with_every_point_inside_its_plot(
    journey, audience, width
):
    chart = render_journey(journey, audience=audience, width=width)
    root = parse(chart.svg)
    numeric = ("x", "y", "cx", "cy", "r", "width", "height", "x1", "y1", "x2", "y2")
    for el in root.iter():
        coords = [float(el.get(a)) for a in numeric if el.get(a) is not None]
        if el.get("points"):
            coords += [float(c) for p in el.get("points").split() for c in p.split(",")]
        assert all(math.isfinite(c) for c in coords), el.attrib
    _, _, vb_w, vb_h = map(float, root.get("viewBox").split())
    assert vb_w == width
    areas = {a.get("data-plot"): box(a) for a in find_all(root, "rect", cls="plot-area")}
    for el in find_all(root, cls="point"):
        left, top, right, bottom = areas[el.get("data-plot")]
        x, y = centre(el)
        assert left <= x <= right and top - 1e-6 <= y <= bottom + 1e-6
    for line in find_all(root, "line", cls="milestone"):
        assert 0 <= float(line.get("x1")) <= vb_w
        assert 0 <= float(line.get("y1")) <= float(line.get("y2")) <= vb_h
    assert len(chart.table.rows) == len(journey.sessions)
    assert {len(r) for r in chart.table.rows} <= {len(chart.table.columns)}
    one(root, "title")


@given(
    st.lists(st.one_of(st.none(), st.floats(0, 27, allow_nan=False)), max_size=60),
    st.one_of(st.none(), st.integers(0, 27)),
    st.sampled_from(("lower", "higher")),
    TEXT,
)
def test_it_renders_any_sparkline_as_valid_xml_inside_its_box(values, cutoff, better, label):
    root = parse(render_sparkline(values, cutoff=cutoff, better=better, label=label))
    _, _, w, h = map(float, root.get("viewBox").split())
    coords = []
    for el in root.iter():
        if el.tag.endswith("polyline"):
            coords += [tuple(map(float, p.split(","))) for p in el.get("points").split()]
        if el.tag.endswith("circle"):
            coords.append((float(el.get("cx")), float(el.get("cy"))))
    assert all(0 <= x <= w and 0 <= y <= h and math.isfinite(x + y) for x, y in coords)
    assert root.get("role") == "img" and root.get("aria-label")
