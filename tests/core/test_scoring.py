"""Scoring against published worked examples and manual rules, one instrument at a time."""

import math

import pytest

from plusone.core.instruments import load_instrument
from plusone.core.scoring import band_for, risk_grade_for, score


def answers(key, values):
    inst = load_instrument(key)
    return dict(zip(inst.scored_item_ids, values, strict=True))


# --- published worked examples first -------------------------------------------------


def test_it_scores_the_phq9_worked_example_as_11_moderate():
    result = score(load_instrument("phq9"), answers("phq9", [1, 1, 2, 2, 1, 2, 1, 1, 0]))
    assert result.total == 11
    assert result.band.label == "moderate"
    assert result.valid and not result.prorated and result.reason is None
    assert result.risk == ()


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_it_bands_phq9_at_kroenke_2001_cut_points_5_10_15_20(total, label):
    band = band_for(load_instrument("phq9"), total)
    assert band.label == label
    assert band.severe == (label == "severe")


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_it_bands_gad7_at_spitzer_2006_cut_points_5_10_15(total, label):
    assert band_for(load_instrument("gad7"), total).label == label


def test_it_sums_gad7_items():
    result = score(load_instrument("gad7"), answers("gad7", [3, 3, 3, 3, 2, 1, 0]))
    assert result.total == 15
    assert result.band.severe


@pytest.mark.parametrize(
    ("values", "percent"),
    [([5, 5, 5, 5, 5], 100), ([0, 0, 0, 0, 0], 0), ([3, 3, 3, 2, 2], 52), ([3, 3, 2, 2, 2], 48)],
)
def test_it_multiplies_the_who5_raw_score_by_4(values, percent):
    result = score(load_instrument("who5"), answers("who5", values))
    assert result.total == percent


def test_it_puts_who5_50_or_below_in_the_low_wellbeing_range():
    who5 = load_instrument("who5")
    assert who5.clinical_range(48) and who5.clinical_range(50)
    assert not who5.clinical_range(52)
    assert band_for(who5, 28).severe
    assert "flourish" not in " ".join(b.label for b in who5.bands).lower()


@pytest.mark.parametrize(
    ("values", "total", "label"),
    [
        ([1] * 5, 5, "extremely dissatisfied"),
        ([4] * 5, 20, "neutral"),
        ([5, 4, 4, 4, 4], 21, "slightly satisfied"),
        ([7] * 5, 35, "extremely satisfied"),
        ([3, 3, 3, 3, 3], 15, "slightly dissatisfied"),
        ([6] * 5, 30, "satisfied"),
    ],
)
def test_it_sums_swls_and_bands_it_as_pavot_and_diener(values, total, label):
    result = score(load_instrument("swls"), answers("swls", values))
    assert result.total == total
    assert result.band.label == label


@pytest.mark.parametrize(
    ("values", "total", "label"),
    [
        ([1] * 10, 10, "low"),
        ([2] * 8 + [1, 1], 18, "moderate"),
        ([3] * 10, 30, "very high"),
        ([5] * 10, 50, "very high"),
        ([2] * 10, 20, "moderate"),
        ([3] * 2 + [2] * 8, 22, "high"),
    ],
)
def test_it_codes_k10_1_to_5_and_bands_it_as_andrews_and_slade(values, total, label):
    result = score(load_instrument("k10"), answers("k10", values))
    assert result.total == total
    assert result.band.label == label


def test_it_gives_a_therapist_cue_for_k10_hopeless_at_most_or_all_of_the_time_but_no_risk():
    k10 = load_instrument("k10")
    for hopeless in (4, 5):
        values = [1] * 10
        values[3] = hopeless
        result = score(k10, answers("k10", values))
        assert result.risk == ()
        assert len(result.cues) == 1 and "practice policy" in result.cues[0]
    values = [1] * 10
    values[3] = 3
    assert score(k10, answers("k10", values)).cues == ()


def test_it_sums_auditc_and_uses_4_as_the_cutoff():
    auditc = load_instrument("auditc")
    assert score(auditc, answers("auditc", [4, 4, 4])).total == 12
    assert score(auditc, answers("auditc", [2, 1, 1])).total == 4
    assert auditc.clinical_range(4) and not auditc.clinical_range(3)


def test_it_sums_pcl5_and_its_four_dsm5_clusters():
    values = [1] * 5 + [2] * 2 + [3] * 7 + [4] * 6
    result = score(load_instrument("pcl5"), answers("pcl5", values))
    assert result.total == 5 + 4 + 21 + 24
    assert result.subscales == {"intrusion": 5, "avoidance": 4, "cognition_mood": 21, "arousal": 24}


def test_it_scores_phq4_subscales_for_worry_and_low_mood():
    # Items 1-2 are the GAD-2, items 3-4 the PHQ-2.
    result = score(load_instrument("phq4"), answers("phq4", [2, 1, 0, 1]))
    assert result.total == 4
    assert result.band.label == "mild"
    assert result.subscales == {"anxiety": 3, "depression": 1}
    assert load_instrument("phq4").screening_only


# --- missing items ---------------------------------------------------------------------


def test_it_prorates_phq9_with_one_missing_item_and_says_so():
    given = answers("phq9", [1, 1, 2, 2, 1, 2, 1, 1, 0])
    given["phq9_3"] = None
    result = score(load_instrument("phq9"), given)
    # 9 answered points over 8 items, scaled to 9 items: 9 * 9 / 8 = 10.125 -> 10.
    assert result.total == 10
    assert result.valid and result.prorated
    assert "phq9_3" in result.reason and "at most one" in result.reason
    assert result.band.label == "moderate"


def test_it_rounds_a_prorated_half_up():
    given = answers("phq9", [3, 3, 3, 3, 3, 3, 3, 1, 0])
    given["phq9_9"] = None
    # 22 * 9 / 8 = 24.75 -> 25
    assert score(load_instrument("phq9"), given).total == 25
    given = answers("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0])
    given["phq9_9"] = None
    # 4 * 9 / 8 = 4.5 -> 5 (halves up)
    assert score(load_instrument("phq9"), given).total == 5


def test_it_refuses_a_phq9_with_two_missing_items_and_names_them():
    given = answers("phq9", [1, 1, 2, 2, 1, 2, 1, 1, 0])
    given["phq9_3"] = None
    del given["phq9_7"]
    result = score(load_instrument("phq9"), given)
    assert not result.valid and result.total is None and result.band is None
    assert "phq9_3" in result.reason and "phq9_7" in result.reason
    assert "2 of 9 items missing" in result.reason


def test_it_refuses_a_gad7_with_any_missing_item():
    given = answers("gad7", [1] * 7)
    given["gad7_4"] = None
    result = score(load_instrument("gad7"), given)
    assert not result.valid and "gad7_4" in result.reason


def test_it_never_counts_the_unscored_phq9_difficulty_question():
    given = answers("phq9", [1, 1, 2, 2, 1, 2, 1, 1, 0])
    given["phq9_difficulty"] = 3
    assert score(load_instrument("phq9"), given).total == 11


def test_it_still_raises_risk_when_the_total_is_invalid():
    given = {"phq9_9": 2}
    result = score(load_instrument("phq9"), given)
    assert not result.valid
    assert [(h.item_id, h.answer, h.grade) for h in result.risk] == [("phq9_9", 2, 2)]


def test_it_treats_blank_strings_as_missing_and_digit_strings_as_answers():
    given = {k: str(v) for k, v in answers("phq9", [1, 1, 2, 2, 1, 2, 1, 1, 0]).items()}
    given["phq9_5"] = " "
    result = score(load_instrument("phq9"), given)
    assert result.prorated and result.missing == ("phq9_5",)


@pytest.mark.parametrize("bad", [4, -1, "x", 1.5, True])
def test_it_rejects_an_answer_that_is_not_an_option(bad):
    given = answers("phq9", [0] * 9)
    given["phq9_1"] = bad
    with pytest.raises(ValueError, match="phq9_1"):
        score(load_instrument("phq9"), given)


def test_it_rejects_an_unknown_item():
    with pytest.raises(ValueError, match="unknown item 'phq9_42'"):
        score(load_instrument("phq9"), {"phq9_42": 1})


# --- risk ------------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "grade"), [(0, 0), (1, 1), (2, 2), (3, 2)])
def test_it_grades_phq9_item_9_as_design_md(answer, grade):
    phq9 = load_instrument("phq9")
    assert risk_grade_for(phq9, "phq9_9", answer) == grade
    result = score(phq9, answers("phq9", [0] * 8 + [answer]))
    assert result.risk_grade == grade
    assert len(result.risk) == (1 if grade else 0)


@pytest.mark.parametrize(("answer", "grade"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3)])
def test_it_grades_core10_item_6_as_design_md(answer, grade):
    core10 = load_instrument("core10")
    assert risk_grade_for(core10, "core10_6", answer) == grade
    assert score(core10, {"core10_6": answer}).risk_grade == grade


def test_it_gives_no_risk_grade_for_a_non_risk_item():
    assert risk_grade_for(load_instrument("phq9"), "phq9_1", 3) == 0
    assert risk_grade_for(load_instrument("k10"), "k10_4", 5) == 0


# --- licensed packs score without text -------------------------------------------------


def test_it_reverse_scores_core10_items_2_and_3():
    core10 = load_instrument("core10")
    values = [0] * 10
    result = score(core10, answers("core10", values))
    # Items 2 and 3 are positively worded: 0 ("not at all") scores 4 each.
    assert result.total == 8
    assert result.band.label == "low"


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (5, "healthy"),
        (6, "low"),
        (10, "low"),
        (11, "mild"),
        (15, "moderate"),
        (20, "moderate to severe"),
        (25, "severe"),
    ],
)
def test_it_bands_core10_as_barkham_2013(total, label):
    core10 = load_instrument("core10")
    assert band_for(core10, total).label == label
    assert core10.clinical_range(11) and not core10.clinical_range(10)


def test_it_prorates_core10_with_one_missing_item():
    given = answers("core10", [2, 2, 2, 2, 2, 0, 2, 2, 2, 2])
    given["core10_10"] = None
    result = score(load_instrument("core10"), given)
    # keyed: 2 + 2 + 2 + 2 + 2 + 0 + 2 + 2 + 2 = 16 over 9 -> 16 * 10 / 9 = 17.78, kept unrounded
    assert result.prorated and result.total == pytest.approx(160 / 9)
    assert result.band.label == "moderate"


def test_it_bands_a_fractional_core10_score_by_the_band_it_has_reached():
    core10 = load_instrument("core10")
    assert band_for(core10, 10.9).label == "low"
    assert not core10.clinical_range(10.9) and core10.clinical_range(11)


def test_it_reverse_scores_mlq_item_9_and_reports_two_subscales_without_a_total():
    mlq = load_instrument("mlq")
    values = [7] * 10
    result = score(mlq, answers("mlq", values))
    assert result.total is None and result.valid
    assert result.subscales == {"presence": 7 * 4 + 1, "search": 35}


def test_it_sums_the_flourishing_scale_8_to_56():
    fs = load_instrument("flourishing")
    assert score(fs, answers("flourishing", [7] * 8)).total == 56
    assert score(fs, answers("flourishing", [1] * 8)).total == 8
    assert fs.score_range == (8, 56)


def test_it_scores_wai_sr_goal_task_and_bond():
    values = list(range(1, 6)) * 2 + [1, 2]
    result = score(load_instrument("waisr"), answers("waisr", values))
    # items 1..12 = 1,2,3,4,5,1,2,3,4,5,1,2
    assert result.total == sum(values)
    assert result.subscales == {"goal": 4 + 1 + 3 + 1, "task": 1 + 2 + 5 + 2, "bond": 3 + 5 + 2 + 4}


def mhc(hedonic, functioning):
    return answers("mhcsf", list(hedonic) + list(functioning))


@pytest.mark.parametrize(
    ("hedonic", "functioning", "category"),
    [
        # 1 of 3 hedonic and 6 of 11 functioning at "almost every day" or more.
        ([4, 2, 2], [5] * 6 + [2] * 5, "flourishing"),
        ([5, 3, 3], [4] * 6 + [0] * 5, "flourishing"),
        # Only 5 of 11 functioning items high: not flourishing.
        ([5, 5, 5], [5] * 5 + [3] * 6, "moderate"),
        # No hedonic item high: not flourishing.
        ([3, 3, 3], [5] * 11, "moderate"),
        # The mirror: 1 hedonic and 6 functioning at "never" or "once or twice".
        ([1, 3, 3], [0] * 6 + [3] * 5, "languishing"),
        ([2, 2, 2], [0] * 11, "moderate"),
    ],
)
def test_it_applies_keyes_mhc_sf_categories(hedonic, functioning, category):
    assert score(load_instrument("mhcsf"), mhc(hedonic, functioning)).category == category


def test_it_gives_no_mhc_sf_category_with_a_missing_item():
    given = mhc([5, 5, 5], [5] * 11)
    given["mhcsf_14"] = None
    assert score(load_instrument("mhcsf"), given).category is None


# --- PlusOne's own ----------------------------------------------------------------------


def test_it_scores_the_session_reflection_as_the_mean_of_its_three_items():
    refl = load_instrument("session_reflection")
    result = score(refl, {"reflection_heard": 9, "reflection_matters": 8, "reflection_fit": 6})
    assert result.total == pytest.approx(23 / 3)
    assert result.text == {}
    result = score(
        refl,
        {
            "reflection_heard": 9,
            "reflection_matters": 8,
            "reflection_fit": 7,
            "reflection_not_right": "the ending felt rushed",
        },
    )
    assert result.total == 8
    assert result.text == {"reflection_not_right": "the ending felt rushed"}


def test_it_needs_all_three_reflection_items():
    result = score(
        load_instrument("session_reflection"), {"reflection_heard": 9, "reflection_matters": 8}
    )
    assert not result.valid and "reflection_fit" in result.reason


def test_it_reports_felt_change_item_by_item_with_no_total():
    felt = load_instrument("felt_change")
    result = score(felt, {"felt_holds": 7, "felt_understand_stuck": 8, "felt_stuck": 2})
    assert result.total is None and result.valid
    assert result.items == {"felt_holds": 7, "felt_understand_stuck": 8, "felt_stuck": 2}
    assert not felt.has_total and felt.cutoff is None


def test_it_scores_goals_as_the_mean_of_the_rated_goals():
    goals = load_instrument("personal_goals")
    result = score(goals, {"goal_1": 7, "goal_2": None, "goal_3": 4})
    assert result.total == 5.5 and result.valid and not result.prorated
    assert not score(goals, {}).valid


def test_it_averages_observed_change_and_allows_one_skip():
    obs = load_instrument("observed_change")
    ids = obs.scored_item_ids
    result = score(obs, {ids[0]: 6, ids[1]: 8, ids[2]: 4, ids[3]: 6})
    assert result.total == 6 and result.prorated
    assert not score(obs, {ids[0]: 6, ids[1]: 8, ids[2]: 4}).valid


def test_it_mirrors_the_reflection_in_the_therapist_rating():
    rating = load_instrument("therapist_rating")
    assert rating.respondent == "therapist"
    result = score(rating, dict.fromkeys(rating.scored_item_ids, 5))
    assert result.total == 5


def test_it_keeps_every_complete_total_a_whole_number_for_summed_instruments():
    for key in ("phq9", "gad7", "k10", "who5", "swls", "pcl5", "auditc", "core10"):
        inst = load_instrument(key)
        total = score(inst, dict.fromkeys(inst.scored_item_ids, inst.items[0].max_value)).total
        assert total is not None and math.isclose(total, round(total))
