"""Contrast and redundancy: text meets WCAG AA, and no series is told apart by colour alone."""

from __future__ import annotations

from chart_svg import NS, find_all, parse

from plusone.charts import render_journey
from plusone.charts.sample import sample_journey
from plusone.charts.svg import BAND_TINTS, STYLES, SYMPTOM_STYLE, contrast


def test_it_computes_wcag_contrast_like_the_published_examples():
    # WCAG 2.x: black on white is 21:1 and #767676 on white is the classic 4.54:1.
    assert round(contrast("#000000", "#FFFFFF"), 2) == 21.0
    assert round(contrast("#767676", "#FFFFFF"), 2) == 4.54


def test_it_writes_every_text_at_aa_contrast_on_white():
    for audience in ("therapist", "client"):
        root = parse(render_journey(sample_journey(40), audience=audience).svg)
        fills = {t.get("fill") for t in root.iter(NS + "text")}
        assert fills
        assert all(contrast(f, "#FFFFFF") >= 4.5 for f in fills), fills


def test_it_draws_every_series_at_3_to_1_against_white_and_the_symptom_line_against_every_band():
    assert all(contrast(s.colour, "#FFFFFF") >= 3 for s in STYLES)
    assert all(contrast(s.colour, BAND_TINTS[0]) >= 3 for s in STYLES)
    assert all(contrast(SYMPTOM_STYLE.colour, tint) >= 3 for tint in BAND_TINTS)


def test_it_tells_series_apart_by_marker_and_dash_as_well_as_colour():
    assert len({s.marker for s in STYLES}) == len(STYLES)
    assert len({s.dash for s in STYLES}) == len(STYLES)
    root = parse(render_journey(sample_journey(12)).svg)
    goal_shapes = {el.tag for el in find_all(root, cls="point", plot="goals")}
    assert len(goal_shapes) == 3
