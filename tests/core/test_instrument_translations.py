"""Instrument translations are data (DESIGN.md, Languages; plusone.core.translations):
each its own file beside the English one, keyed by the English item ids, with its
source; the loader refuses a file whose ids do not match; scores do not change."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest

from plusone.core.instruments import DefinitionError, definition_keys, load_instrument
from plusone.core.scoring import score
from plusone.core.translations import (
    load_translation,
    localize,
    offered_translation,
    parse_translation,
    translation_files,
)

SHIPPED = translation_files()


def _raw(key: str) -> dict[str, Any]:
    text = resources.files("plusone.core.definitions").joinpath(f"{key}.fr.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_it_ships_french_for_the_instruments_design_lists_and_our_own() -> None:
    assert {k for k, lang in SHIPPED if lang == "fr"} == {
        "phq9", "gad7", "phq4", "who5", "swls",
        "session_reflection", "felt_change", "observed_change", "personal_goals",
    }  # fmt: skip


def test_a_translation_is_never_taken_for_an_instrument() -> None:
    assert not [k for k in definition_keys() if "." in k]


@pytest.mark.parametrize(("key", "language"), SHIPPED)
def test_every_shipped_translation_matches_its_english_ids_and_names_its_source(
    key: str, language: str
) -> None:
    tr = load_translation(key, language)
    assert tr is not None
    english = load_instrument(key)
    assert set(tr.items) == {i.id for i in english.items if i.kind != "goal"}
    assert tr.source and tr.citation and tr.stem and tr.client_label


@pytest.mark.parametrize(("key", "language"), SHIPPED)
def test_scores_are_the_same_in_both_languages(key: str, language: str) -> None:
    english = load_instrument(key)
    tr = load_translation(key, language)
    assert tr is not None
    french = localize(english, tr)
    assert french.item_ids == english.item_ids
    assert [i.values for i in french.items] == [i.values for i in english.items]
    answers = {i.id: i.values[len(i.values) // 2] for i in english.items if i.numeric}
    assert score(french, answers) == score(english, answers)


def test_our_own_items_are_marked_practice_developed_translated_not_validated() -> None:
    tr = load_translation("felt_change", "fr")
    assert tr is not None and tr.status == "practice_translated"
    assert tr.note == "practice-developed, translated, not validated"
    assert offered_translation("felt_change", "fr") is tr


def test_a_validated_translation_waiting_to_be_checked_is_not_offered() -> None:
    tr = load_translation("phq9", "fr")
    assert tr is not None and tr.verify_against
    assert offered_translation("phq9", "fr") is None
    assert offered_translation("phq9", "en") is None


def test_the_french_phq9_keeps_the_risk_item_and_its_grades() -> None:
    tr = load_translation("phq9", "fr")
    assert tr is not None
    french = localize(load_instrument("phq9"), tr)
    assert french.risk_items == load_instrument("phq9").risk_items
    assert french.item("phq9_9").text.startswith("Penser qu'il vaudrait mieux mourir")
    assert french.item("phq9_1").options[0].label == "Jamais"


def _refused(key: str, change: Any) -> DefinitionError:
    data = _raw(key)
    change(data)
    with pytest.raises(DefinitionError) as caught:
        parse_translation(data, f"{key}.fr.toml", load_instrument(key))
    return caught.value


def test_it_refuses_an_item_id_the_english_file_does_not_have() -> None:
    error = _refused("phq9", lambda d: d["items"].update(phq9_10="Une question de trop"))
    assert (error.field, error.file) == ("items.phq9_10", "phq9.fr.toml")


def test_it_refuses_a_file_missing_an_item() -> None:
    error = _refused("gad7", lambda d: d["items"].pop("gad7_4"))
    assert error.field == "items.gad7_4"
    assert "required" in error.reason


def test_it_refuses_an_option_value_the_english_file_does_not_have() -> None:
    error = _refused("phq9", lambda d: d["options"]["default"].update({"4": "Toujours"}))
    assert error.field == "options.default.4"


def test_it_refuses_a_missing_option_label_or_an_unknown_option_set() -> None:
    assert _refused("who5", lambda d: d["options"]["default"].pop("3")).field == (
        "options.default.3"
    )
    assert _refused("swls", lambda d: d["options"].update(extra={"1": "x"})).field == (
        "options.extra"
    )


def test_it_refuses_a_translation_filed_under_another_instrument() -> None:
    assert _refused("phq9", lambda d: d.update(instrument="gad7")).field == "instrument"


def test_it_refuses_our_own_translation_of_a_published_instrument() -> None:
    error = _refused("phq9", lambda d: d.update(status="practice_translated"))
    assert error.field == "status"


def test_it_refuses_a_validated_label_on_our_own_items() -> None:
    assert _refused("felt_change", lambda d: d.update(status="validated")).field == "status"
