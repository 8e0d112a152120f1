"""``plusone gains``: sudden gains and losses over a long CSV file."""

from __future__ import annotations

import contextlib
import io
import json
import re
import statistics
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plusone.cli import main


def _long(series: dict[str, list[object]]) -> str:
    lines = ["client,session,bdi"]
    for person, scores in series.items():
        lines += [f"{person},{s},{v}" for s, v in enumerate(scores, start=1)]
    return "\n".join(lines) + "\n"


# The suddengains documentation's toy series (crit1 = 7, six sessions).
TOY = _long(
    {
        "p1": [28, 19, 23, 11, 12, "NA"],  # gain between sessions 3 and 4
        "p2": [28, 19, 23, 12, 13, "NA"],  # none: criterion 3 fails
        "p3": [35, 37, 23, 23, 24, 21],  # gain between sessions 2 and 3
    }
)


def _run(tmp_path, capsys, text, *args):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    code = main(
        ["gains", str(path), "--id", "client", "--time", "session", "--score", "bdi", *args]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_it_finds_the_published_toy_gains(tmp_path, capsys):
    code, out, err = _run(tmp_path, capsys, TOY, "--crit1", "7")
    assert code == 0
    assert err == ""
    data = json.loads(out)
    assert [(g["id"], g["pre_time"], g["post_time"], g["magnitude"]) for g in data["gains"]] == [
        ("p1", 3, 4, 12),
        ("p3", 2, 3, 14),
    ]
    assert [g["reversal"] for g in data["gains"]] == [False, False]
    assert data["summary"] == {
        "n_gains": 2,
        "n_people": 2,
        "n_series": 3,
        "n_reversals": 0,
        "magnitude_mean": 13,
        "magnitude_sd": pytest.approx(statistics.stdev([12, 14])),
    }
    assert data["errors"] == []


def test_it_treats_an_absent_session_as_a_gap(tmp_path, capsys):
    # Session 4 has no row: the drop 23 -> 11 is between sessions 3 and 5,
    # which are not consecutive, so it is not a sudden gain.
    text = "client,session,bdi\n" + "\n".join(
        f"p,{s},{v}" for s, v in [(1, 28), (2, 19), (3, 23), (5, 11), (6, 12), (7, 11)]
    )
    _, out, _ = _run(tmp_path, capsys, text + "\n", "--crit1", "7")
    assert json.loads(out)["gains"] == []


def test_it_numbers_sessions_from_the_file_not_from_zero(tmp_path, capsys):
    text = "client,session,bdi\n" + "\n".join(
        f"p,{s + 10},{v}" for s, v in enumerate([28, 19, 23, 11, 12])
    )
    _, out, _ = _run(tmp_path, capsys, text + "\n", "--crit1", "7")
    (gain,) = json.loads(out)["gains"]
    assert (gain["pre_time"], gain["post_time"]) == (12, 13)


SEVERAL = _long({"p": [30, 31, 30, 21, 21, 20, 20, 8, 8, 9]})


def test_it_keeps_all_gains_by_default_and_first_or_largest_on_request(tmp_path, capsys):
    _, out, _ = _run(tmp_path, capsys, SEVERAL, "--crit1", "7")
    assert [(g["pre_time"], g["magnitude"]) for g in json.loads(out)["gains"]] == [
        (3, 9),
        (7, 12),
    ]
    _, out, _ = _run(tmp_path, capsys, SEVERAL, "--crit1", "7", "--select", "first")
    assert [g["pre_time"] for g in json.loads(out)["gains"]] == [3]
    _, out, _ = _run(tmp_path, capsys, SEVERAL, "--crit1", "7", "--select", "largest")
    assert [g["pre_time"] for g in json.loads(out)["gains"]] == [7]


def test_it_counts_reversals(tmp_path, capsys):
    # Gain 23 -> 11 (magnitude 12); 17 at session 7 is half-way back.
    text = _long({"p": [28, 19, 23, 11, 12, 10, 17]})
    _, out, _ = _run(tmp_path, capsys, text, "--crit1", "7")
    data = json.loads(out)
    assert data["gains"][0]["reversal"] is True
    assert data["summary"]["n_reversals"] == 1


def test_it_finds_sudden_losses(tmp_path, capsys):
    text = _long({"p": [10, 11, 12, 30, 28, 33]})
    _, out, _ = _run(tmp_path, capsys, text, "--crit1", "7")
    assert json.loads(out)["gains"] == []
    _, out, _ = _run(tmp_path, capsys, text, "--crit1", "7", "--losses")
    data = json.loads(out)
    assert data["kind"] == "losses"
    assert [(g["pre_time"], g["post_time"], g["magnitude"]) for g in data["gains"]] == [(3, 4, 18)]


def test_it_reports_bad_rows_and_still_computes_the_rest(tmp_path, capsys):
    text = TOY + "p4,2.5,20\np4,3,x\np1,3,22\n,1,5\n"
    code, out, err = _run(tmp_path, capsys, text, "--crit1", "7")
    assert code == 1
    assert err.splitlines() == [
        "line 20: session '2.5' is not a whole session number from 0 to 10000",
        "line 21: bdi 'x' is not a number",
        "line 22: a second score for client p1 session 3 (first on line 4)",
        "line 23: empty client",
    ]
    data = json.loads(out)
    assert [e["line"] for e in data["errors"]] == [20, 21, 22, 23]
    assert data["summary"]["n_gains"] == 2


def test_it_writes_csv_and_table(tmp_path, capsys):
    _, out, _ = _run(tmp_path, capsys, TOY, "--crit1", "7", "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == "id,pre_time,post_time,pre_score,post_score,magnitude,reversal"
    assert lines[1] == "p1,3,4,23,11,12,no"
    _, out, _ = _run(tmp_path, capsys, TOY, "--crit1", "7", "--format", "table")
    assert out.startswith("2 sudden gains in 2 of 3 people; 0 reversed")


def test_it_refuses_a_non_positive_crit1(tmp_path, capsys):
    code, out, err = _run(tmp_path, capsys, TOY, "--crit1", "0")
    assert code == 2
    assert out == ""
    assert "--crit1" in err


def test_it_gives_no_magnitude_sd_for_a_single_gain(tmp_path, capsys):
    _, out, _ = _run(tmp_path, capsys, _long({"p": [28, 19, 23, 11, 12]}), "--crit1", "7")
    summary = json.loads(out)["summary"]
    assert (summary["n_gains"], summary["magnitude_mean"], summary["magnitude_sd"]) == (
        1,
        12,
        None,
    )


@pytest.mark.timeout(10)
def test_it_rejects_an_overflowing_score_as_its_line_and_computes_the_rest(tmp_path, capsys):
    # Alternating 1e200 and 0 raised OverflowError in criterion 3 before the fix.
    hostile = _long({"x": ["1e200", 0, "1e200", 0, "1e200", 0, "1e200", 0]})
    text = TOY + "".join(hostile.splitlines(keepends=True)[1:])
    code, out, err = _run(tmp_path, capsys, text, "--crit1", "7")
    assert code == 1
    too_large = "bdi '1e200' is not a number from -1e12 to 1e12"
    assert err.splitlines() == [f"line {n}: {too_large}" for n in (20, 22, 24, 26)]
    data = json.loads(out)
    # The toy series still give their gains; x's zeros alone make no gain.
    assert [(g["id"], g["pre_time"]) for g in data["gains"]] == [("p1", 3), ("p3", 2)]
    assert [e["line"] for e in data["errors"]] == [20, 22, 24, 26]


@pytest.mark.timeout(60)
@given(
    scores=st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from([0.0, 1e200, -1e200, 30.0, "NA"]),
        ),
        max_size=12,
    ),
    crit1=st.floats(allow_nan=False, allow_infinity=False),
    losses=st.booleans(),
)
def test_it_ends_with_one_clear_outcome_for_any_finite_numbers(scores, crit1, losses, ends_within):
    text = _long({"p": scores}) if scores else "client,session,bdi\n"
    options = [f"--crit1={crit1!r}", "--format", "json", *(["--losses"] if losses else [])]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_text(text, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), ends_within(5):
            columns = ["--id", "client", "--time", "session", "--score", "bdi"]
            code = main(["gains", str(path), *columns, *options])
    lines = err.getvalue().splitlines()
    assert code in (0, 1, 2)
    assert all(re.match(r"(line \d+|plusone gains): ", line) for line in lines), lines
    if code == 0:
        assert lines == []
    if code == 2:
        assert len(lines) == 1 and out.getvalue() == ""
    if out.getvalue():
        assert "gains" in json.loads(out.getvalue())
