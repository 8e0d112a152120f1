"""The journey chart, read back as XML: structure, positions, gaps, words and escaping."""

from __future__ import annotations

import itertools
import re

import pytest
from chart_svg import all_text, box, centre, find_all, one, parse, point, weekly, y_for

from plusone.charts import (
    Band,
    Decision,
    Goal,
    GrowthMeasure,
    Journey,
    RelationshipEvent,
    Scale,
    Series,
    SuddenGain,
    Symptoms,
    render_journey,
)
from plusone.charts.sample import sample_journey

PHQ9_BANDS = (
    Band(0, 4, "minimal"),
    Band(5, 9, "mild"),
    Band(10, 14, "moderate"),
    Band(15, 19, "moderately severe"),
    Band(20, 27, "severe"),
)


def phq9(values, **kw) -> Symptoms:
    return Symptoms(
        key="phq9",
        name="PHQ-9",
        client_name="low mood",
        scale=Scale(0, 27, "lower"),
        values=values,
        bands=PHQ9_BANDS,
        cutoff=10,
        rc_points=6,
        **kw,
    )


def journey(**kw) -> Journey:
    n = kw.pop("n", 8)
    return Journey(sessions=weekly(n), **kw)


# --- the SVG itself ----------------------------------------------------------------


def test_it_renders_one_self_contained_svg_with_title_desc_and_aria_labelledby():
    chart = render_journey(sample_journey(40))
    root = parse(chart.svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    title = one(root, "title")
    desc = one(root, "desc")
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text == chart.title == "Journey: 40 sessions, 6 Jan 2026 to 6 Oct 2026"
    assert "PHQ-9" in desc.text and "table" in desc.text
    assert root.get("viewBox") == f"0 0 960 {root.get('height')}"


def test_it_emits_no_style_script_or_event_handler_for_a_strict_csp():
    for audience in ("therapist", "client"):
        svg = render_journey(sample_journey(40), audience=audience).svg
        root = parse(svg)
        tags = {el.tag.split("}")[1] for el in root.iter()}
        assert not tags & {"style", "script", "foreignObject", "image"}
        attrs = {a for el in root.iter() for a in el.attrib}
        assert "style" not in attrs
        assert not [a for a in attrs if a.startswith("on")]
        assert "href" not in svg


def test_it_keeps_element_ids_unique_per_chart_with_the_prefix():
    a = parse(render_journey(sample_journey(10), id_prefix="bob-journey").svg)
    ids = [el.get("id") for el in a.iter() if el.get("id")]
    assert ids == ["bob-journey-title", "bob-journey-desc"]
    assert a.get("aria-labelledby") == "bob-journey-title bob-journey-desc"


def test_it_draws_the_lanes_in_design_order():
    root = parse(render_journey(sample_journey(12)).svg)
    titles = find_all(root, "text", cls="lane-title")
    names = [t.text for t in titles]
    assert names == [
        "1. Own words",
        "2. Growth",
        "3. Relationship",
        "4. Symptoms: the safety floor",
    ]
    ys = [float(t.get("y")) for t in titles]
    assert ys == sorted(ys)


# --- positions -----------------------------------------------------------------------


def test_it_places_a_phq9_score_of_20_above_a_score_of_5_at_the_scale_positions():
    root = parse(render_journey(journey(n=3, symptoms=phq9({1: 20.0, 2: 5.0, 3: 0.0}))).svg)
    area = one(root, "rect", cls="plot-area", plot="symptoms")
    (_, y20), (_, y5), (_, y0) = (point(root, "symptom-phq9", s) for s in (1, 2, 3))
    assert y20 < y5 < y0
    for y, value in ((y20, 20), (y5, 5), (y0, 0)):
        assert y == pytest.approx(y_for(area, value, 0, 27), abs=0.02)
    assert y0 == pytest.approx(box(area)[3], abs=0.02)


def test_it_spaces_sessions_evenly_left_to_right_on_one_axis():
    root = parse(render_journey(journey(n=5, symptoms=phq9(dict.fromkeys(range(1, 6), 9.0)))).svg)
    xs = [point(root, "symptom-phq9", s)[0] for s in range(1, 6)]
    gaps = {round(b - a, 2) for a, b in itertools.pairwise(xs)}
    assert len(gaps) == 1 and gaps.pop() > 0


def test_it_draws_the_cutoff_line_where_the_scale_puts_10():
    root = parse(render_journey(journey(symptoms=phq9({1: 18.0}))).svg)
    area = one(root, "rect", cls="plot-area", plot="symptoms")
    line = one(root, "line", cls="cutoff")
    assert line.get("data-value") == "10"
    assert float(line.get("y1")) == float(line.get("y2"))
    assert float(line.get("y1")) == pytest.approx(y_for(area, 10, 0, 27), abs=0.02)


def test_it_shades_every_band_from_its_minimum_up_to_the_next_band():
    root = parse(render_journey(journey(symptoms=phq9({1: 18.0}))).svg)
    area = one(root, "rect", cls="plot-area", plot="symptoms")
    bands = {b.get("data-band"): box(b) for b in find_all(root, "rect", cls="band")}
    assert list(bands) == ["minimal", "mild", "moderate", "moderately severe", "severe"]
    edges = {"minimal": (0, 5), "mild": (5, 10), "moderate": (10, 15)}
    edges |= {"moderately severe": (15, 20), "severe": (20, 27)}
    for label, (lo, hi) in edges.items():
        _, top, _, bottom = bands[label]
        assert top == pytest.approx(y_for(area, hi, 0, 27), abs=0.02)
        assert bottom == pytest.approx(y_for(area, lo, 0, 27), abs=0.02)
    labels = {t.text for t in find_all(root, "text", cls="band-label")}
    assert labels == set(edges)


def test_it_draws_the_reliable_change_band_as_intake_plus_or_minus_rc_points():
    root = parse(render_journey(journey(symptoms=phq9({1: 18.0, 2: 11.0}))).svg)
    area = one(root, "rect", cls="plot-area", plot="symptoms")
    rc = one(root, "rect", cls="rc-band")
    _, top, _, bottom = box(rc)
    assert (rc.get("data-low"), rc.get("data-high")) == ("12", "24")
    assert top == pytest.approx(y_for(area, 24, 0, 27), abs=0.02)
    assert bottom == pytest.approx(y_for(area, 12, 0, 27), abs=0.02)
    assert "intake 18 ± 6" in all_text(root)


def test_it_clips_the_reliable_change_band_to_the_scale():
    root = parse(render_journey(journey(symptoms=phq9({1: 25.0}))).svg)
    rc = one(root, "rect", cls="rc-band")
    assert (rc.get("data-low"), rc.get("data-high")) == ("19", "27")


def test_it_marks_a_sudden_gain_between_its_two_sessions_above_the_points():
    values = {1: 19.0, 2: 19.0, 3: 18.0, 4: 9.0, 5: 8.0, 6: 8.0}
    chart = render_journey(journey(n=6, symptoms=phq9(values, sudden_gains=(SuddenGain(3, 4),))))
    root = parse(chart.svg)
    gain = one(root, "polygon", cls="sudden-gain")
    (x3, y3), (x4, _) = point(root, "symptom-phq9", 3), point(root, "symptom-phq9", 4)
    gx, gy = centre(gain)
    assert x3 < gx < x4
    assert gy < y3
    assert chart.table.rows[3][-1] == "sudden gain from session 3"


def test_it_draws_each_decision_as_a_milestone_at_its_sessions_x_through_every_lane():
    j = sample_journey(20)
    root = parse(render_journey(j).svg)
    plots = find_all(root, "rect", cls="plot-area")
    for decision in j.decisions:
        x, _ = point(root, "symptom-phq9", decision.session)
        lines = find_all(root, "line", cls="milestone", session=str(decision.session))
        assert all(float(ln.get("x1")) == pytest.approx(x, abs=0.02) for ln in lines)
        assert all(ln.get("x1") == ln.get("x2") for ln in lines)
        # One stub under the flag, then one segment per plot (plus the event strip).
        assert len(lines) >= len(plots) + 1
    labels = [t.text for t in find_all(root, "text", cls="milestone-label")]
    assert labels == ["Choosing what's next", "Deeper work"]


def test_it_staggers_milestone_labels_that_would_overlap():
    decisions = (Decision(3, "plus_one"), Decision(4, "deepening"))
    root = parse(render_journey(journey(n=30, decisions=decisions)).svg)
    a, b = find_all(root, "text", cls="milestone-label")
    assert float(a.get("y")) != float(b.get("y"))


# --- gaps ------------------------------------------------------------------------------


def _polyline_xs(root, series):
    group = one(root, "g", cls="series", series=series)
    runs = []
    for pl in group.iter("{http://www.w3.org/2000/svg}polyline"):
        runs.append([float(p.split(",")[0]) for p in pl.get("points").split()])
    return runs


def test_it_breaks_the_line_at_a_missed_check_in_and_never_interpolates():
    values = {1: 18.0, 2: 16.0, 3: None, 4: 12.0, 5: 11.0}
    root = parse(render_journey(journey(n=5, symptoms=phq9(values))).svg)
    assert find_all(root, cls="point", series="symptom-phq9", session="3") == []
    x2, x3_missing = point(root, "symptom-phq9", 2)[0], None
    x4 = point(root, "symptom-phq9", 4)[0]
    runs = _polyline_xs(root, "symptom-phq9")
    assert len(runs) == 2
    assert runs[0][-1] == pytest.approx(x2, abs=0.02)
    assert runs[1][0] == pytest.approx(x4, abs=0.02)
    assert x3_missing is None


def test_it_joins_administrations_across_sessions_where_the_measure_was_not_due():
    swls = GrowthMeasure("swls", "SWLS", "life satisfaction", Scale(5, 35), {1: 12.0, 5: 18.0})
    root = parse(render_journey(journey(n=5, growth=(swls,))).svg)
    runs = _polyline_xs(root, "growth-swls")
    assert len(runs) == 1 and len(runs[0]) == 2


def test_it_shows_a_lone_score_between_gaps_as_a_point_without_a_line():
    root = parse(render_journey(journey(n=3, symptoms=phq9({1: None, 2: 14.0, 3: None}))).svg)
    assert _polyline_xs(root, "symptom-phq9") == []
    assert len(find_all(root, cls="point", series="symptom-phq9")) == 1


# --- the data table --------------------------------------------------------------------


def test_it_gives_one_table_row_per_session_with_every_series():
    j = sample_journey(40)
    table = render_journey(j).table
    assert len(table.rows) == 40
    assert all(len(row) == len(table.columns) for row in table.rows)
    assert table.columns[:3] == ("Session", "Date", "Decision")
    assert [row[0] for row in table.rows] == [str(i) for i in range(1, 41)]
    assert table.rows[0][1] == "6 Jan 2026"
    col = table.columns.index("PHQ-9")
    assert j.symptoms.values[1] == 20
    assert table.rows[0][col] == "20 (severe)"
    assert table.rows[11][col] == "not completed"
    swls = table.columns.index("SWLS")
    assert table.rows[1][swls] == ""
    assert table.rows[9][2] == "Choosing what's next (+1 threshold)"
    notes = table.columns.index("Notes")
    assert table.rows[13][notes] == "rupture: felt rushed"


def test_it_renders_the_table_as_accessible_escaped_html():
    goal = Goal("<b>me</b> & you", {1: 4.0})
    html = render_journey(journey(n=1, goals=(goal,))).table.html()
    assert html.startswith('<table class="chart-table"><caption>')
    assert '<th scope="col">Goal: &lt;b&gt;me&lt;/b&gt; &amp; you</th>' in html
    assert '<th scope="row">1</th>' in html
    assert "<b>" not in html


# --- the client's own words ------------------------------------------------------------


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("width", [360, 960])
@pytest.mark.parametrize("audience", ["therapist", "client"])
def test_it_wraps_the_clients_own_words_whole_inside_the_chart(width, audience):
    # 300 characters, one word longer than a phone's line.
    intention = "I want to stop bracing for the worst " * 7 + "Llanfairpwllgwyngyll" * 2
    goal = "Walk by the river on Saturday mornings, even when the week was hard"
    goals = tuple(Goal(f"{goal} ({i})", {1: 4.0}) for i in (1, 2, 3))
    j = journey(n=3, intention=intention, goals=goals)
    root = parse(render_journey(j, audience=audience, width=width).svg)
    lines = find_all(root, "text", cls="intention") + find_all(root, "text", cls="legend")
    shown = _squeezed(" ".join(t.text for t in lines))
    assert "…" not in shown
    for words in (intention, *(g.wording for g in goals)):
        assert _squeezed(words) in shown
    # Roughly (half an em a letter, the browser test measures): every line ends in the chart.
    assert all(
        float(t.get("x")) + len(t.text) * 0.5 * float(t.get("font-size")) <= width for t in lines
    )


# --- escaping --------------------------------------------------------------------------


def test_it_escapes_the_clients_own_words_everywhere():
    hostile = '<script>alert("x")</script> & "quotes" \x00'
    j = journey(
        n=2,
        intention=hostile,
        goals=(Goal(hostile, {1: 3.0, 2: 4.0}, short=hostile),),
        events=(RelationshipEvent(1, "rupture", hostile),),
        decisions=(Decision(2, "deepening", label=hostile),),
    )
    for audience in ("therapist", "client"):
        chart = render_journey(j, audience=audience)
        root = parse(chart.svg)
        assert not [el for el in root.iter() if el.tag.endswith("script")]
        assert "<script>" not in chart.svg
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in chart.svg
        assert '<script>alert("x")</script> & "quotes"' in all_text(root)
        assert "<script>" not in chart.table.html()


# --- the client audience ---------------------------------------------------------------


def test_it_leaves_therapist_only_content_out_of_the_client_view():
    chart = render_journey(sample_journey(40), audience="client")
    root = parse(chart.svg)
    words = all_text(root) + " " + chart.description + " " + chart.title
    for banned in (
        "PHQ",
        "severe",
        "moderate",
        "mild",
        "minimal",
        "cutoff",
        "reliable",
        "RC",
        "sudden",
        "Therapist Rating",
        "rupture",
        "repair",
        "S2",
        "Deepening",
        "+1",
        "flourish",
        "alert",
    ):
        assert banned not in words, banned
    for cls in ("cutoff", "rc-band", "sudden-gain", "event", "event-strip"):
        assert find_all(root, cls=cls) == [], cls
    assert find_all(root, cls="series", series="therapist-rating") == []
    assert "A score is not a diagnosis." in words
    zones = [b.get("data-band") for b in find_all(root, "rect", cls="band")]
    assert zones == ["low mood: lower range", "low mood: higher range"]


def test_it_shows_the_client_no_numbers_on_the_symptom_or_growth_scales():
    root = parse(render_journey(sample_journey(40), audience="client").svg)
    symptoms = one(root, "rect", cls="plot-area", plot="symptoms")
    _, top, _, bottom = box(symptoms)
    left = float(symptoms.get("x"))
    gutter = [
        t.text
        for t in root.iter("{http://www.w3.org/2000/svg}text")
        if float(t.get("x")) < left and top - 2 <= float(t.get("y")) <= bottom + 6
    ]
    assert gutter == ["higher", "lower"]
    assert not re.search(r"\d", " ".join(gutter))


def test_it_gives_the_client_table_plain_words_for_symptoms_and_no_therapist_columns():
    table = render_journey(sample_journey(40), audience="client").table
    assert "Therapist Rating" not in table.columns and "Notes" not in table.columns
    col = table.columns.index("Low mood")
    assert table.rows[0][col] == "low mood: higher range"
    assert table.rows[39][col] == "low mood: lower range"
    assert table.rows[11][col] == "not completed"
    assert table.rows[9][2] == "Choosing what's next"
    assert not any(re.search(r"\d", row[col]) for row in table.rows)


def test_it_uses_a_bands_own_client_label_when_given():
    bands = tuple(
        Band(b.minimum, b.maximum, b.label, f"zone {i}") for i, b in enumerate(PHQ9_BANDS)
    )
    s = Symptoms("phq9", "PHQ-9", "low mood", Scale(0, 27, "lower"), {1: 3.0}, bands, 10, 6)
    root = parse(render_journey(journey(symptoms=s), audience="client").svg)
    assert [b.get("data-band") for b in find_all(root, "rect", cls="band")] == [
        f"zone {i}" for i in range(5)
    ]


def test_it_names_milestones_with_the_client_facing_phase_names():
    decisions = tuple(
        Decision(s, p)
        for s, p in (
            (2, "stabilizing"),
            (9, "plus_one"),
            (16, "deepening"),
            (23, "consolidating"),
            (30, "ending"),
        )
    )
    root = parse(render_journey(journey(n=30, decisions=decisions), audience="client").svg)
    assert [t.text for t in find_all(root, "text", cls="milestone-label")] == [
        "Finding steadier ground",
        "Choosing what's next",
        "Deeper work",
        "Living it",
        "Finishing well",
    ]


# --- validation --------------------------------------------------------------------------


def test_it_refuses_to_call_who5_flourishing():
    with pytest.raises(ValueError, match="never call it flourishing"):
        journey(growth=(GrowthMeasure("who5", "WHO-5", "flourishing", Scale(0, 100), {}),))


def test_it_refuses_a_value_outside_its_scale_rather_than_clip_it():
    with pytest.raises(ValueError, match="outside 0-27"):
        journey(symptoms=phq9({1: 28.0}))
    with pytest.raises(ValueError, match="outside 0-10"):
        journey(goals=(Goal("x", {1: 11.0}),))


def test_it_refuses_a_value_for_a_session_not_on_the_axis():
    with pytest.raises(ValueError, match="session 99"):
        journey(reflection=Series("reflection", "R", {99: 5.0}))


def test_it_refuses_more_than_three_goals():
    with pytest.raises(ValueError, match="at most 3 goals"):
        journey(goals=tuple(Goal(f"g{i}", {}) for i in range(4)))


def test_it_refuses_an_unknown_audience():
    with pytest.raises(ValueError, match="audience"):
        render_journey(journey(), audience="observer")  # type: ignore[arg-type]


# --- layouts and edge cases ---------------------------------------------------------------


def test_it_renders_a_journey_with_no_sessions_yet():
    chart = render_journey(Journey(sessions=()))
    root = parse(chart.svg)
    assert "No sessions yet." in all_text(root)
    assert chart.table.rows == ()


def test_it_says_nothing_recorded_yet_for_an_empty_lane():
    root = parse(render_journey(journey(n=3)).svg)
    assert all_text(root).count("Nothing recorded yet.") == 4


def test_it_uses_the_phone_layout_at_phone_width():
    root = parse(render_journey(sample_journey(40), width=360).svg)
    assert root.get("viewBox").startswith("0 0 360 ")
    # No right gutter at phone width: band names move into the legend.
    assert find_all(root, "text", cls="band-label") == []
    legend = {t.text for t in find_all(root, "text", cls="legend")}
    assert {"minimal", "severe"} <= legend
    for el in find_all(root, cls="point"):
        x, _ = centre(el)
        assert 0 < x < 360
