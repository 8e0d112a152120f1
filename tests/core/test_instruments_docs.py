"""Every instrument has a docs page that agrees with its definition (datasette's rule)."""

from pathlib import Path

import pytest

from plusone.core.instruments import all_instruments

DOCS = Path(__file__).resolve().parents[2] / "docs" / "instruments"
INSTRUMENTS = all_instruments()


def test_every_instrument_has_a_docs_page_listed_in_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    missing = [k for k in INSTRUMENTS if not (DOCS / f"{k}.md").is_file()]
    unlisted = [k for k in INSTRUMENTS if f"({k}.md)" not in index]
    assert missing == [] and unlisted == []


def test_no_docs_page_describes_an_instrument_that_does_not_exist():
    pages = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    assert pages == set(INSTRUMENTS)


@pytest.mark.parametrize("key", sorted(INSTRUMENTS))
def test_each_docs_page_carries_citation_copyright_scoring_and_rc(key):
    inst = INSTRUMENTS[key]
    page = (DOCS / f"{key}.md").read_text(encoding="utf-8")
    assert inst.citation in page
    assert f'"{inst.copyright}"' in page
    assert inst.licence_basis in page
    for heading in (
        "## Scoring",
        "## Bands, cutoff and direction",
        "## Reliable change",
        "## Risk items",
        "## LOINC",
    ):
        assert heading in page
    if inst.rc is None:
        assert "No sourced RC parameters" in page
    else:
        rc = inst.rc
        assert f"RC points: {rc.points} " in page
        for source in (rc.sd_source, rc.published_source, rc.convention_source):
            assert source in page
        assert rc.reliability_source in page and rc.sample in page
    if inst.cutoff is not None:
        assert f"Cutoff: {inst.cutoff:g}" in page
    if inst.licence_status == "licensed_pack":
        assert "supplied by the practice" in page and inst.licence_holder in page
        assert "Stem (the instruction shown above the items): supplied by the practice" in page
    else:
        assert f'Stem (the instruction shown above the items): "{inst.stem}"' in page
    if not inst.validated:
        assert "Practice-developed, not validated" in page


@pytest.mark.parametrize("key", sorted(INSTRUMENTS))
def test_each_docs_page_says_which_french_ships_and_its_source(key):
    from plusone.core.translations import load_translation

    page = (DOCS / f"{key}.md").read_text(encoding="utf-8")
    assert "## French" in page
    french = page.split("## French", 1)[1]
    tr = load_translation(key, "fr")
    if tr is None:
        assert "No " in french and "French" in french
        return
    assert f"{key}.fr.toml" in french
    assert tr.source in french and tr.citation in french and tr.note in french
    if tr.verify_against:
        assert "Not offered to clients yet" in french and tr.verify_against in french
    if tr.status == "practice_translated":
        assert "practice-developed, translated, not validated" in french
