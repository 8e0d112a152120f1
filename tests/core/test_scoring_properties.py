"""Hypothesis properties of scoring, over every instrument and any answer set."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from plusone.core.instruments import all_instruments, load_instrument
from plusone.core.scoring import band_for, risk_grade_for, score, score_many

INSTRUMENTS = all_instruments()
KEYS = sorted(INSTRUMENTS)


def answer_for(item):
    if item.kind == "text":
        return st.one_of(st.none(), st.text(max_size=20))
    return st.one_of(st.none(), st.sampled_from(item.values))


@st.composite
def answer_sets(draw, key=None, full=False):
    key = key or draw(st.sampled_from(KEYS))
    inst = INSTRUMENTS[key]
    answers = {}
    for item in inst.items:
        if full and item.numeric:
            answers[item.id] = draw(st.sampled_from(item.values))
        else:
            answers[item.id] = draw(answer_for(item))
    return inst, answers


@given(answer_sets())
def test_it_keeps_every_score_inside_the_instruments_range(case):
    inst, answers = case
    result = score(inst, answers)
    lo, hi = inst.score_range
    if result.total is not None:
        assert lo <= result.total <= hi
        assert result.valid
    for sub in inst.subscales:
        if sub.key not in result.subscales:
            continue
        items = [inst.item(i) for i in sub.items]
        if sub.method == "sum":
            sub_lo, sub_hi = sum(i.min_value for i in items), sum(i.max_value for i in items)
        else:
            sub_lo, sub_hi = min(i.min_value for i in items), max(i.max_value for i in items)
        assert sub_lo <= result.subscales[sub.key] <= sub_hi
    if result.band is not None:
        assert result.band.min <= result.total <= result.band.max


@given(answer_sets(full=True))
def test_it_gives_a_valid_total_and_band_for_every_complete_answer_set(case):
    inst, answers = case
    result = score(inst, answers)
    assert result.valid and not result.prorated
    assert (result.total is not None) == inst.has_total
    if inst.bands:
        assert result.band == band_for(inst, result.total)
        assert result.band is not None


RISKY = [k for k in KEYS if INSTRUMENTS[k].risk_items]


@given(st.sampled_from(RISKY).flatmap(lambda k: answer_sets(key=k)))
def test_it_raises_a_graded_risk_hit_for_every_risk_positive_answer(case):
    inst, answers = case
    result = score(inst, answers)
    expected = {
        (r.item_id, answers[r.item_id], r.grade(answers[r.item_id]))
        for r in inst.risk_items
        if answers.get(r.item_id) is not None and r.grade(answers[r.item_id]) > 0
    }
    assert {(h.item_id, h.answer, h.grade) for h in result.risk} == expected
    for hit in result.risk:
        assert hit.grade == risk_grade_for(inst, hit.item_id, hit.answer) >= 1


@given(st.sampled_from([1, 2, 3]), answer_sets(key="phq9"))
def test_it_flags_any_positive_phq9_item_9_whatever_else_is_missing(item9, case):
    inst, answers = case
    answers["phq9_9"] = item9
    result = score(inst, answers)
    assert [(h.item_id, h.grade) for h in result.risk] == [("phq9_9", 1 if item9 == 1 else 2)]


def to_matrix(inst, rows):
    matrix = np.full((len(rows), len(inst.items)), np.nan)
    for r, answers in enumerate(rows):
        for c, item in enumerate(inst.items):
            value = answers.get(item.id)
            if item.numeric and value is not None:
                matrix[r, c] = value
    return matrix


@given(
    st.sampled_from(KEYS).flatmap(lambda k: st.lists(answer_sets(key=k), min_size=1, max_size=12))
)
def test_score_many_agrees_with_score_exactly(cases):
    inst = cases[0][0]
    rows = [answers for _, answers in cases]
    arrays = score_many(inst, to_matrix(inst, rows))
    for n, answers in enumerate(rows):
        one = score(inst, answers)
        if one.total is None:
            assert math.isnan(arrays.total[n])
        else:
            assert arrays.total[n] == one.total
        assert bool(arrays.valid[n]) == one.valid
        assert bool(arrays.prorated[n]) == one.prorated
        band = -1 if one.band is None else inst.bands.index(one.band)
        assert arrays.band_index[n] == band
        assert arrays.risk_grade[n] == one.risk_grade
        category = -1 if one.category is None else inst.classification.labels.index(one.category)
        assert arrays.category_index[n] == category


def test_score_many_refuses_an_impossible_answer():
    phq9 = load_instrument("phq9")
    matrix = np.zeros((2, len(phq9.items)))
    matrix[1, 0] = 7
    try:
        score_many(phq9, matrix)
    except ValueError as exc:
        assert "phq9_1: row 1" in str(exc)
    else:
        raise AssertionError("score_many accepted 7 for a 0-3 item")
