"""Chart inputs built from the shipped instrument definitions."""

from __future__ import annotations

import pytest
from chart_svg import find_all, one, parse, point, weekly, y_for

from plusone.charts import Journey, render_journey
from plusone.charts.adapters import growth_from_instrument, symptoms_from_instrument
from plusone.core.instruments import load_instrument


def test_it_takes_phq9_range_bands_cutoff_and_rc_points_from_its_definition():
    phq9 = load_instrument("phq9")
    s = symptoms_from_instrument(phq9, {1: 20.0, 2: 5.0})
    # PHQ-9 (Kroenke 2001): 0-27, cutoff 10, bands 0-4/5-9/10-14/15-19/20-27.
    assert (s.scale.minimum, s.scale.maximum, s.scale.better) == (0, 27, "lower")
    assert s.cutoff == 10
    assert [(b.minimum, b.maximum) for b in s.bands] == [
        (0, 4),
        (5, 9),
        (10, 14),
        (15, 19),
        (20, 27),
    ]
    assert s.rc_points == phq9.rc.points
    assert (s.name, s.client_name) == ("PHQ-9", "low mood")
    root = parse(render_journey(Journey(sessions=weekly(2), symptoms=s)).svg)
    area = one(root, "rect", cls="plot-area", plot="symptoms")
    assert point(root, "symptom-phq9", 1)[1] < point(root, "symptom-phq9", 2)[1]
    cutoff_y = float(one(root, "line", cls="cutoff").get("y1"))
    assert cutoff_y == pytest.approx(y_for(area, 10, 0, 27), abs=0.01)
    assert len(find_all(root, "rect", cls="band")) == 5


def test_it_names_who5_wellbeing_never_flourishing():
    g = growth_from_instrument(load_instrument("who5"), {1: 40.0})
    assert (g.name, g.client_name) == ("WHO-5", "wellbeing")
    svg = render_journey(Journey(sessions=weekly(1), growth=(g,)), audience="client").svg
    assert "Wellbeing" in svg and "flourish" not in svg.lower()
