"""Instrument definitions: loading, validation, LOINC, RC points, licensed packs."""

import re
from importlib import resources
from pathlib import Path

import pytest

from plusone.core.instruments import (
    DefinitionError,
    LicenceRequired,
    all_instruments,
    load_definition_file,
    load_instrument,
)

SHIPPED = ("phq9", "gad7", "phq4", "who5", "k10", "swls", "pcl5", "auditc")
OWN = ("session_reflection", "therapist_rating", "felt_change", "observed_change", "personal_goals")
PACKS = ("mhcsf", "mlq", "flourishing", "core10", "waisr")


def definition_texts():
    root = resources.files("plusone.core.definitions")
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in root.iterdir()
        # "<key>.<language>.toml" is a translation (tests/core/test_instrument_translations.py).
        if p.name.endswith(".toml") and p.name.count(".") == 1
    }


def test_it_loads_exactly_the_agreed_instruments():
    assert set(all_instruments()) == set(SHIPPED + OWN + PACKS)


@pytest.mark.parametrize(
    ("key", "status"),
    [
        *((k, "ship") for k in SHIPPED),
        *((k, "practice_developed") for k in OWN),
        *((k, "licensed_pack") for k in PACKS),
    ],
)
def test_it_gives_each_instrument_its_licence_status(key, status):
    inst = load_instrument(key)
    assert inst.licence_status == status
    assert inst.copyright and inst.licence_basis
    assert inst.validated == (status != "practice_developed")


def test_it_caches_loaded_instruments():
    assert load_instrument("phq9") is load_instrument("phq9")


def test_it_gives_every_instrument_a_canonical_url_and_a_separate_version():
    for inst in all_instruments().values():
        assert inst.url == f"http://plusone.health/fhir/Questionnaire/{inst.key}"
        assert re.fullmatch(r"\d+\.\d+\.\d+", inst.version)


def test_it_maps_phq9_items_to_their_loinc_codes_out_of_numeric_order():
    phq9 = load_instrument("phq9")
    codes = [phq9.item(f"phq9_{n}").loinc for n in range(1, 10)]
    assert codes == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert phq9.loinc_total == "44261-6"
    assert phq9.loinc_panel == "44249-1"


def test_it_maps_the_gad7_panel_and_total_to_loinc():
    gad7 = load_instrument("gad7")
    assert (gad7.loinc_panel, gad7.loinc_total) == ("69737-5", "70274-6")


@pytest.mark.parametrize(
    ("key", "points", "basis"),
    [
        ("phq9", 6, "the NHS Talking Therapies convention"),
        ("gad7", 4, "the NHS Talking Therapies convention"),
        ("swls", 7, "Jacobson-Truax from SD 6.43 and reliability 0.87"),
        ("core10", 6, "a criterion published at the 90 % level"),
        ("who5", 24, "a criterion published at the 95 % level"),
    ],
)
def test_it_takes_rc_points_from_their_cited_source(key, points, basis):
    rc = load_instrument(key).rc
    assert rc.points == points
    assert rc.basis.startswith(basis)
    assert rc.reliability_source and rc.sample


def test_it_has_no_rc_points_where_no_sourced_parameters_exist():
    without = {k for k, inst in all_instruments().items() if inst.rc is None}
    assert without == set(all_instruments()) - {"phq9", "gad7", "swls", "core10", "who5"}


def test_it_never_back_calculates_an_sd():
    # Issue 10: the PHQ-9 and CORE-10 SDs were back-calculated from the criterion; they are gone.
    for inst in all_instruments().values():
        if inst.rc is not None and inst.rc.sd is not None:
            assert "back-calculated" not in inst.rc.sd_source.lower()
    assert load_instrument("phq9").rc.sd is None
    assert load_instrument("core10").rc.published_level == 0.90


def test_it_checks_the_rc_arithmetic_by_hand_for_swls():
    rc = load_instrument("swls").rc
    # 1.959964 * sqrt(2) * 6.43 * sqrt(1 - 0.87) = 6.43 -> the smallest reliable whole change is 7.
    assert 6 < 1.959964 * 2**0.5 * rc.sd * (1 - rc.reliability) ** 0.5 < 7


def test_it_takes_who5s_points_from_the_published_minimal_detectable_change():
    # Schougaard et al. 2018: MDC95 23.60 points, so a change must be 24 points to be reliable.
    rc = load_instrument("who5").rc
    assert (rc.points, rc.reliability) == (24, 0.81)
    assert "23.60" in rc.published_source


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("k10", "intake_and_reviews"),
        ("pcl5", "intake_and_reviews"),
        ("auditc", "intake_and_reviews"),
        ("mhcsf", "days"),
        ("phq9", "every_session"),
        ("gad7", "every_session"),
        ("session_reflection", "every_session"),
    ],
)
def test_it_sets_minimum_intervals_as_design_md(key, kind):
    interval = load_instrument(key).min_interval
    assert interval.kind == kind
    if kind == "days":
        assert interval.days == 28


def test_it_estimates_burden_at_6_seconds_per_item_and_20_per_free_text_field():
    assert load_instrument("session_reflection").estimated_seconds == 3 * 6 + 20
    assert load_instrument("gad7").estimated_seconds == 8 * 6


def test_it_marks_the_severe_band_as_the_top_band():
    phq9 = load_instrument("phq9")
    assert [b.label for b in phq9.bands if b.severe] == ["severe"]
    assert phq9.bands[-1].min == 20
    assert load_instrument("gad7").bands[-1].min == 15


def test_it_sets_respondents():
    assert load_instrument("therapist_rating").respondent == "therapist"
    assert load_instrument("observed_change").respondent == "observer"
    assert all(load_instrument(k).respondent == "client" for k in SHIPPED + PACKS)


def test_it_marks_phq4_as_screening_only():
    assert [k for k, i in all_instruments().items() if i.screening_only] == ["phq4"]


def test_it_keeps_the_felt_change_items_separate():
    felt = load_instrument("felt_change")
    assert [i.text for i in felt.items] == [
        "I feel different in a way that holds",
        "I understand what keeps me stuck",
        "My life feels stuck",
    ]


def test_it_asks_the_session_reflection_in_the_agreed_words():
    refl = load_instrument("session_reflection")
    assert [i.text for i in refl.items] == [
        "I felt heard and understood",
        "We worked on what matters to me",
        "The way we worked fitted me",
        "Anything that didn't sit right today?",
    ]
    assert refl.items[-1].kind == "text" and not refl.items[-1].required


def test_it_offers_up_to_three_personal_goals_rated_0_to_10():
    goals = load_instrument("personal_goals")
    assert len(goals.items) == 3
    assert all(i.kind == "goal" and i.values == tuple(range(11)) for i in goals.items)


def test_it_marks_own_instruments_practice_developed_not_validated():
    for key in OWN:
        inst = load_instrument(key)
        assert not inst.validated
        assert "practice-developed, not validated" in inst.licence_basis.lower()


def test_it_never_grades_the_therapist_against_other_therapies_in_own_items():
    words = ("other therap", "better than", "compared with other", "than my last")
    for key in OWN:
        for item in load_instrument(key).items:
            assert not any(w in (item.text or "").lower() for w in words)


def test_it_gives_client_labels_that_never_name_a_diagnosis():
    diagnoses = (
        "depress",
        "anxiety",
        "disorder",
        "ptsd",
        "trauma",
        "alcoholi",
        "generalized",
        "stress disorder",
    )
    for inst in all_instruments().values():
        assert inst.client_label
        assert not any(d in inst.client_label.lower() for d in diagnoses), inst.key


def test_it_never_calls_who5_flourishing():
    who5 = definition_texts()["who5.toml"].lower()
    assert "flourish" not in who5


def test_it_never_ships_ors_srs_wemwbs_or_swemwbs():
    forbidden = re.compile(
        r"\b(ors|srs|s?wemwbs)\b|outcome rating scale|session rating scale|warwick|edinburgh",
        re.IGNORECASE,
    )
    for name, text in definition_texts().items():
        assert not forbidden.search(text), name
        assert Path(name).stem.lower() not in {"ors", "srs", "wemwbs", "swemwbs"}


# --- licensed packs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "holder"),
    [
        ("mhcsf", "Corey L. M. Keyes"),
        ("mlq", "Michael F. Steger"),
        ("flourishing", "Ed Diener"),
        ("core10", "CORE System Trust"),
        ("waisr", "Horvath"),
    ],
)
def test_it_refuses_to_administer_a_licensed_pack_without_text_naming_the_holder(key, holder):
    inst = load_instrument(key)
    assert all(i.text is None for i in inst.items)
    with pytest.raises(LicenceRequired, match=re.escape(holder)):
        inst.require_text()


def test_it_administers_shipped_instruments_without_a_licence_file():
    assert load_instrument("phq9").require_text() == load_instrument("phq9").items
    assert load_instrument("personal_goals").require_text()


def write_core10_text(tmp_path, items=None):
    items = (
        items
        if items is not None
        else {f"core10_{n}": f"Licensed text of item {n}" for n in range(1, 11)}
    )
    body = "\n".join(f'{k} = "{v}"' for k, v in items.items())
    path = tmp_path / "core10-licensed.toml"
    path.write_text(
        'instrument = "core10"\n'
        'licence = "Registered with the CORE System Trust, 2026"\n\n'
        f"[items]\n{body}\n",
        encoding="utf-8",
    )
    return path


def test_it_uses_the_practice_supplied_text_for_a_licensed_pack(tmp_path):
    core10 = load_instrument("core10", licensed_text=write_core10_text(tmp_path))
    items = core10.require_text()
    assert items[5].text == "Licensed text of item 6"
    assert core10.licence_statement == "Registered with the CORE System Trust, 2026"
    # The shipped, cached definition stays without text.
    assert load_instrument("core10").items[5].text is None


def test_it_gives_every_shipped_and_own_instrument_a_stem_and_no_pack_one():
    for key in SHIPPED + OWN:
        assert load_instrument(key).stem, key
    assert all(load_instrument(key).stem is None for key in PACKS)
    assert load_instrument("phq9").stem == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )


def test_it_refuses_a_licensed_pack_that_ships_its_stem(tmp_path):
    pack = VALID.replace(
        'licence_status = "ship"', 'licence_status = "licensed_pack"\nlicence_holder = "Someone"'
    )
    pack = pack.replace('text = "One"\n', "").replace('text = "Two"\n', "")
    with pytest.raises(DefinitionError, match=r"demo\.toml: field 'stem': a licensed pack"):
        load_definition_file(write(tmp_path, pack))


def test_it_takes_a_licensed_packs_stem_from_the_practice_file(tmp_path):
    path = write_core10_text(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "\n[items]", 'stem = "Licensed stem over the last week"\n\n[items]'
        ),
        encoding="utf-8",
    )
    core10 = load_instrument("core10", licensed_text=path)
    assert core10.stem == "Licensed stem over the last week"
    assert load_instrument("core10").stem is None


def test_it_refuses_licensed_text_that_misses_an_item(tmp_path):
    items = {f"core10_{n}": "x" for n in range(1, 10)}
    with pytest.raises(
        DefinitionError, match=r"core10-licensed\.toml: field 'items\.core10_10': is required"
    ):
        load_instrument("core10", licensed_text=write_core10_text(tmp_path, items))


def test_it_refuses_licensed_text_for_an_unknown_item(tmp_path):
    items = {f"core10_{n}": "x" for n in range(1, 12)}
    with pytest.raises(DefinitionError, match="core10_11"):
        load_instrument("core10", licensed_text=write_core10_text(tmp_path, items))


def test_it_refuses_licensed_text_for_a_shipped_instrument(tmp_path):
    path = tmp_path / "phq9.toml"
    path.write_text('instrument = "phq9"\nlicence = "x"\n[items]\n', encoding="utf-8")
    with pytest.raises(DefinitionError, match="not a licensed pack"):
        load_instrument("phq9", licensed_text=path)


def test_it_raises_key_error_for_an_unknown_instrument():
    with pytest.raises(KeyError, match="no instrument 'ors'"):
        load_instrument("ors")


# --- malformed definitions ---------------------------------------------------------------

VALID = """
key = "demo"
title = "Demo scale"
short_title = "Demo"
client_label = "demo"
stem = "How often has each of these bothered you?"
url = "http://plusone.health/fhir/Questionnaire/demo"
version = "1.0.0"
measures = "Nothing real."
citation = "None."
respondent = "client"
licence_status = "ship"
copyright = "Public domain."
licence_basis = "Written for this test."
direction = "lower"
cutoff = 3
min_interval = { kind = "every_session" }
option_sets.default = [
  { value = 0, label = "No" }, { value = 1, label = "Some" }, { value = 2, label = "Yes" },
]
bands = [{ min = 0, max = 1, label = "low" }, { min = 2, max = 4, label = "high", severe = true }]

[[items]]
id = "demo_1"
text = "One"
[[items]]
id = "demo_2"
text = "Two"

[scoring]
method = "sum"
missing_rule = "all needed"

[rc]
sd = 2.0
reliability = 0.8
sd_source = "made up"
reliability_source = "made up"
sample = "made up"
clinical = true

[[risk_items]]
item = "demo_2"
grades = { "1" = 1, "2" = 2 }
"""


def write(tmp_path, text, name="demo.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_valid_fixture_loads(tmp_path):
    inst = load_definition_file(write(tmp_path, VALID))
    assert inst.key == "demo" and inst.score_range == (0, 4)


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ('title = "Demo scale"\n', "", "title", "is required"),
        ("cutoff = 3", 'cutoff = "three"', "cutoff", "must be an integer or a number"),
        ("cutoff = 3", "cutoff = 9", "cutoff", "outside the score range"),
        ('direction = "lower"', 'direction = "down"', "direction", "must be one of lower, higher"),
        (
            '{ min = 2, max = 4, label = "high", severe = true }',
            '{ min = 3, max = 4, label = "high", severe = true }',
            "bands[1].min",
            "leaves a gap",
        ),
        (
            '{ min = 2, max = 4, label = "high", severe = true }',
            '{ min = 2, max = 5, label = "high", severe = true }',
            "bands",
            "must cover the score range 0-4",
        ),
        (
            '{ min = 0, max = 1, label = "low" }',
            '{ min = 0, max = 1, label = "low", severe = true }',
            "bands",
            "only the worst band",
        ),
        ('item = "demo_2"', 'item = "demo_9"', "risk_items[0].item", "unknown item 'demo_9'"),
        (
            'grades = { "1" = 1, "2" = 2 }',
            'grades = { "1" = 1, "5" = 2 }',
            "risk_items[0].grades.5",
            "not an answer option",
        ),
        ('id = "demo_2"', 'id = "demo_1"', "items[1].id", "duplicate item id"),
        (
            'url = "http://plusone.health/fhir/Questionnaire/demo"',
            'url = "https://plusone.example/instruments/demo|1.0"',
            "url",
            "without a version",
        ),
        ("reliability = 0.8", "reliability = 1.2", "rc.reliability", "must be in [0, 1)"),
        (
            'sd_source = "made up"',
            'sd_source = "Back-calculated from the 6-point criterion"',
            "rc.sd_source",
            "not back-calculated",
        ),
        ("sd = 2.0", "sd = 2.0\npublished_points = 4", "rc", "needs exactly one of"),
        (
            "reliability = 0.8",
            "reliability = 0.8\nexpected_points = 6",
            "rc.expected_points",
            "give 3",
        ),
        (
            'licence_status = "ship"',
            'licence_status = "licensed_pack"\nlicence_holder = "Someone"',
            "items.demo_1.text",
            "must not ship item text",
        ),
        (
            'licence_status = "ship"',
            'licence_status = "practice_developed"',
            "validated",
            "validated = false",
        ),
        ('method = "sum"', 'method = "sum"\nmax_missing = 1', "scoring.prorate", "must prorate"),
        ('method = "sum"', 'method = "median"', "scoring.method", "must be one of sum, mean, none"),
        (
            'missing_rule = "all needed"',
            'missing_rule = "all needed"\nbands = []',
            "scoring.bands",
            "is not a known field",
        ),
        ('text = "Two"', 'text = "Two"\nscore = 1', "items[1].score", "is not a known field"),
        (
            'min_interval = { kind = "every_session" }',
            'min_interval = { kind = "days" }',
            "min_interval.days",
            "positive",
        ),
        ('key = "demo"', 'key = "ors"', "key", "must never be shipped"),
        ('stem = "How often has each of these bothered you?"\n', "", "stem", "is required"),
        ('stem = "How often has each of these bothered you?"', "stem = 3", "stem", "a string"),
        ('version = "1.0.0"', "version = true", "version", "must be a string, got a boolean"),
    ],
)
def test_it_names_the_file_field_and_reason_of_a_malformed_definition(
    tmp_path, old, new, field, reason
):
    assert old in VALID
    with pytest.raises(DefinitionError) as caught:
        load_definition_file(write(tmp_path, VALID.replace(old, new, 1)))
    message = str(caught.value)
    assert message.startswith(f"demo.toml: field '{field}': ")
    assert reason in message
    assert caught.value.file == "demo.toml" and caught.value.field == field


def test_it_names_the_file_when_the_toml_itself_is_broken(tmp_path):
    with pytest.raises(DefinitionError, match=r"demo\.toml: field '\(file\)': is not valid TOML"):
        load_definition_file(write(tmp_path, VALID + "\n[[items]\n"))


def test_it_refuses_a_key_that_does_not_match_the_file_name(tmp_path):
    with pytest.raises(DefinitionError, match=r"other\.toml: field 'key': 'demo' does not match"):
        load_definition_file(write(tmp_path, VALID, name="other.toml"))


def test_every_shipped_definition_file_passes_the_same_validator(tmp_path):
    for name, text in definition_texts().items():
        inst = load_definition_file(write(tmp_path, text, name=name))
        assert inst == load_instrument(inst.key)
