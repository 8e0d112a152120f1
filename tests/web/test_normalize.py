"""The input-normalisation layer (plusone.inputs.normalize): its rules, one by one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plusone.inputs import normalize
from plusone.inputs.normalize import InputError


def test_it_decodes_utf8_and_drops_a_byte_order_mark() -> None:
    assert normalize.decode("\ufeffcafé".encode(), field="f") == "café"


def test_it_names_the_line_and_byte_of_a_wrong_encoding() -> None:
    with pytest.raises(InputError) as caught:
        normalize.decode(b"id,score\na,1\n\xe9,2\n", field="data.csv")
    assert caught.value.field == "data.csv"
    assert caught.value.message.startswith("line 3: not UTF-8 text (invalid continuation byte")
    assert "at byte 13" in caught.value.message


@pytest.mark.parametrize("raw", [b"\xc0\x80", b"\xed\xa0\x80", b"\xff"])
def test_it_refuses_overlong_surrogate_and_stray_bytes(raw: bytes) -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        normalize.decode(raw, field="f")


def test_it_normalises_text_to_nfc() -> None:
    assert normalize.text("e\u0301", field="f") == "\u00e9"


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "\x07", "\x1b[31m", "\x7f", "\ud800"])
def test_it_refuses_nul_other_controls_and_lone_surrogates(bad: str) -> None:
    with pytest.raises(InputError) as caught:
        normalize.text(bad, field="answer")
    assert caught.value.field == "answer"
    assert f"U+{ord(bad.strip('ab')[0]):04X}" in caught.value.message


def test_it_names_nul_by_name() -> None:
    with pytest.raises(InputError, match=r"U\+0000 NUL"):
        normalize.text("a\x00", field="f")


def test_it_keeps_tab_newline_and_carriage_return() -> None:
    assert normalize.text("a\tb\r\nc", field="f") == "a\tb\r\nc"


def test_it_names_the_line_of_a_control_character_when_asked() -> None:
    with pytest.raises(InputError, match="line 2: contains a control character"):
        normalize.check_characters("ok\nbad\x00", field="f", lines=True)


def test_it_caps_length_with_the_limit_in_the_message() -> None:
    with pytest.raises(InputError, match="is 11 characters long; the limit is 10 characters"):
        normalize.text("a" * 11, field="f", max_length=10)


@pytest.mark.parametrize("value", ["0", " 7 ", "+3", "-2", 5])
def test_it_parses_integers_within_bounds(value: str | int) -> None:
    assert normalize.integer(value, field="n", minimum=-5, maximum=10) == int(value)


@pytest.mark.parametrize(
    "value",
    [str(10**30), "9" * 5000, "-1", "11", "1e309", "NaN", "1.5", "0x10", "٣", "", True, 10**30],
)
def test_it_refuses_integers_out_of_bounds_or_not_whole(value: str | int) -> None:
    with pytest.raises(InputError, match="must be a whole number between 0 and 10"):
        normalize.integer(value, field="n", minimum=0, maximum=10)


@given(st.text())
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
def test_it_never_raises_anything_but_input_error_for_integers(value: str) -> None:
    try:
        number = normalize.integer(value, field="n", minimum=-(10**6), maximum=10**6)
    except InputError:
        return
    assert -(10**6) <= number <= 10**6


def test_it_accepts_a_real_token_and_refuses_anything_else() -> None:
    real = "Zx3_-" * 8 + "abc"
    assert normalize.token(real) == real
    for bad in ["", "a" * 129, "abc\x00", "abc/def", "a b", "<script>", "é"]:
        with pytest.raises(InputError, match="not a valid link"):
            normalize.token(bad)


def test_it_reads_a_query_parameter_through_the_text_rules() -> None:
    assert normalize.query_param({"q": "e\u0301"}, "q") == "\u00e9"
    assert normalize.query_param({}, "q") is None
    with pytest.raises(InputError, match=r"^q: contains a control character"):
        normalize.query_param({"q": "\x00"}, "q")
    with pytest.raises(InputError, match="the limit is 500"):
        normalize.query_param({"q": "a" * 501}, "q")


def test_it_parses_json_and_checks_every_string() -> None:
    assert normalize.json_value(b'{"e\\u0301": ["x", 1]}', field="body") == {"\u00e9": ["x", 1]}
    with pytest.raises(InputError, match="control character"):
        normalize.json_value('{"a": "\\u0000"}', field="body")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "line 1: not valid JSON"),
        (b'{"a": NaN}', "NaN is not allowed"),
        (b"[Infinity]", "Infinity is not allowed"),
        (b"1" * 40, "more than 30 digits"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"\xff{}", "not UTF-8"),
        (b'"' + b"a" * 1_000_001 + b'"', "the limit is 1,000,000 bytes"),
    ],
)
def test_it_refuses_bad_json_with_a_specific_message(raw: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        normalize.json_value(raw, field="body")


def test_it_reads_csv_text_as_nfc_and_checks_cells() -> None:
    assert normalize.csv_text("\ufeffid\ne\u0301\n".encode(), field="f") == "id\n\u00e9\n"
    assert normalize.has_control_bytes(b"a,\x00")
    assert not normalize.has_control_bytes(b"a,b\r\n\t")
    with pytest.raises(InputError, match=r"^score: contains a control character \(U\+0000"):
        normalize.csv_cell("1\x00", column="score")
    with pytest.raises(InputError, match="the limit is 10,000 characters"):
        normalize.csv_cell("a" * 10_001, column="id")


def test_it_agrees_with_the_text_rules_on_every_control_byte() -> None:
    for b in range(128):
        refused = normalize.find_control(chr(b)) is not None
        assert normalize.has_control_bytes(bytes([b])) is refused, b


# Where the layer is wired in ----------------------------------------------------------


def test_it_refuses_a_control_character_in_check_in_free_text_next_to_the_question() -> None:
    from types import SimpleNamespace

    from plusone.measures import forms

    note = SimpleNamespace(id="note", kind="text", options=(), required=False)
    instrument = SimpleNamespace(key="reflection", items=[note])
    parsed = forms.parse_group(instrument, {"reflection__note": "fine\x00"})
    assert parsed.errors == {"note": forms.CONTROL_CHARACTER}
    assert parsed.answers == {"note": None}
    parsed = forms.parse_group(instrument, {"reflection__note": "cafe\u0301\nok"})
    assert parsed.ok and parsed.answers == {"note": "caf\u00e9\nok"}


@pytest.mark.django_db
def test_it_answers_a_nul_in_the_caseload_search_with_a_message(personas, login_as) -> None:
    from django.test import Client as WebClient

    web = WebClient()
    login_as(web, personas.alice)
    response = web.post("/practice/caseload/", {"q": "Bob\x00"})
    assert response.status_code == 200
    assert b"The search contains a control character (U+0000 NUL); remove it." in response.content
    assert b"Bob" in response.content


@pytest.mark.django_db
def test_it_treats_a_malformed_token_as_an_unknown_link(personas) -> None:
    from plusone.tokens import TokenError
    from plusone.tokens.service import resolve

    for raw in ["\x00", "a" * 5000, "abc/def", "\ud800", "<script>"]:
        with pytest.raises(TokenError) as caught:
            resolve(raw, "checkin")
        assert caught.value.code == "unknown"


def test_it_rejects_a_thirty_digit_session_number_in_a_caseload_csv(tmp_path, capsys) -> None:
    """Found by the deep fuzz profile: it overflowed numpy's int64 with a traceback."""
    from plusone.cli import main

    path = tmp_path / "caseload.csv"
    path.write_text(
        "client,date,session,instrument,phase,primary,prior_therapy,total\n"
        f"c1,2026-05-01,{10**30},phq9,assessment,phq9,yes,11\n",
        encoding="utf-8",
    )
    code = main(["analyze", str(path), "--today", "2026-06-01", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"line 2: session: '{10**30}' is not a whole number from 0 to 10000" in err
