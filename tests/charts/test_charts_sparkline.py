"""The caseload's small trend."""

from __future__ import annotations

import pytest
from chart_svg import find_all, one, parse

from plusone.charts import render_sparkline


def _points(el):
    return [tuple(map(float, p.split(","))) for p in el.get("points").split()]


def test_it_draws_higher_scores_higher_and_names_first_and_latest_in_its_label():
    svg = render_sparkline([18, 14, 9], cutoff=10, label="PHQ-9", scale=(0, 27))
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "PHQ-9: 3 scores, from 18 to 9; cutoff 10; lower is better"
    assert one(root, "title").text == root.get("aria-label")
    (x1, y18), (_, y14), (x3, y9) = _points(one(root, "polyline"))
    assert y18 < y14 < y9 and x1 < x3


def test_it_puts_the_cutoff_line_on_the_same_scale_as_the_scores():
    root = parse(render_sparkline([10, 0], cutoff=10, scale=(0, 27)))
    (_, y10), _ = _points(one(root, "polyline"))
    assert float(one(root, "line", cls="cutoff").get("y1")) == pytest.approx(y10, abs=0.01)


def test_it_leaves_a_gap_for_a_missed_score():
    root = parse(render_sparkline([12, 11, None, 9, 8]))
    lines = find_all(root, "polyline")
    assert [len(_points(pl)) for pl in lines] == [2, 2]
    assert "1 not completed" in root.get("aria-label")


def test_it_marks_the_latest_score():
    root = parse(render_sparkline([12, 11, None]))
    latest = one(root, "circle", cls="latest")
    (_, _), (x11, y11) = _points(one(root, "polyline"))
    assert (float(latest.get("cx")), float(latest.get("cy"))) == pytest.approx((x11, y11))


def test_it_says_so_when_there_are_no_scores_yet():
    root = parse(render_sparkline([], label="GAD-7"))
    assert root.get("aria-label") == "GAD-7: no scores yet"


def test_it_escapes_its_label():
    svg = render_sparkline([1, 2], label='<script>&"')
    assert "<script>" not in svg
    assert parse(svg).get("aria-label").startswith('<script>&"')


def test_it_refuses_an_unknown_direction():
    with pytest.raises(ValueError, match="better"):
        render_sparkline([1], better="up")  # type: ignore[arg-type]
