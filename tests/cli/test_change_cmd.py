"""``plusone change``: Jacobson-Truax over a long CSV file."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plusone.cli import main

# Lower is better. Pre scores of the complete cases a, b, d, e: mean 20.5,
# sample SD sqrt(35 / 3) = 3.4157; with r = .80, S_diff = 2.1603 and
# 1.959964 * S_diff = 4.234, so RC points = 5; cutoff a = 20.5 - 2 SD = 13.67.
LONG = """id,time,score
a,1,20
a,4,8
b,1,22
b,4,21
c,1,18
d,1,24
d,4,30
e,1,16
e,4,15
e,2,99
"""


def _run(tmp_path, capsys, text, *args):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    code = main(["change", str(path), "--id", "id", "--time", "time", "--score", "score", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_it_reports_counts_parameters_and_rows_as_json(tmp_path, capsys):
    code, out, err = _run(
        tmp_path,
        capsys,
        LONG,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
    )
    assert code == 0
    assert err == ""
    data = json.loads(out)
    assert data["counts"] == {
        "recovered": 1,
        "improved": 0,
        "unchanged": 2,
        "deteriorated": 1,
        "harmed": 0,
    }
    params = data["parameters"]
    sd = math.sqrt(35 / 3)
    assert params["sd"] == pytest.approx(sd, abs=1e-6)
    assert params["se"] == pytest.approx(sd * math.sqrt(0.2), abs=1e-6)
    assert params["s_diff"] == pytest.approx(sd * math.sqrt(0.4), abs=1e-6)
    assert params["rc_points"] == 5
    assert params["cutoff_type"] == "a"
    assert params["cutoff"] == pytest.approx(20.5 - 2 * sd, abs=1e-6)
    assert [(r["id"], r["pre"], r["post"], r["category"]) for r in data["rows"]] == [
        ("a", 20, 8, "recovered"),
        ("b", 22, 21, "unchanged"),
        ("d", 24, 30, "deteriorated"),
        ("e", 16, 15, "unchanged"),
    ]
    assert data["rows"][0]["rci"] == pytest.approx(-12 / (sd * math.sqrt(0.4)), abs=1e-5)
    assert data["excluded"] == ["c"]
    assert data["errors"] == []


def test_it_sums_the_counts_to_the_complete_cases(tmp_path, capsys):
    _, out, _ = _run(
        tmp_path,
        capsys,
        LONG,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
    )
    data = json.loads(out)
    assert sum(data["counts"].values()) == data["n"] == len(data["rows"]) == 4


def test_it_uses_cutoff_c_when_functional_norms_are_given(tmp_path, capsys):
    # Jacobson & Truax 1991 illustration: M_dys 40, M_func 60, SDs 7.5 -> c = 50.
    text = "id,time,score\nx,pre,40\nx,post,58\ny,pre,38\ny,post,41\n"
    code, out, _ = _run(
        tmp_path,
        capsys,
        text,
        "--pre",
        "pre",
        "--post",
        "post",
        "--reliability",
        "0.8",
        "--better",
        "higher",
        "--sd",
        "7.5",
        "--clinical-mean",
        "40",
        "--clinical-sd",
        "7.5",
        "--functional-mean",
        "60",
        "--functional-sd",
        "7.5",
    )
    assert code == 0
    data = json.loads(out)
    assert data["parameters"]["cutoff_type"] == "c"
    assert data["parameters"]["cutoff"] == pytest.approx(50)
    assert [r["category"] for r in data["rows"]] == ["recovered", "unchanged"]


@pytest.mark.parametrize(("kind", "value"), [("a", 55), ("b", 45)])
def test_it_takes_cutoffs_a_and_b_on_request(tmp_path, capsys, kind, value):
    text = "id,time,score\nx,pre,40\nx,post,58\ny,pre,38\ny,post,41\n"
    _, out, _ = _run(
        tmp_path,
        capsys,
        text,
        "--pre",
        "pre",
        "--post",
        "post",
        "--reliability",
        "0.8",
        "--better",
        "higher",
        "--sd",
        "7.5",
        "--clinical-mean",
        "40",
        "--clinical-sd",
        "7.5",
        "--functional-mean",
        "60",
        "--functional-sd",
        "7.5",
        "--cutoff",
        kind,
    )
    assert json.loads(out)["parameters"]["cutoff"] == pytest.approx(value)


@pytest.mark.parametrize("kind", ["b", "c"])
def test_it_refuses_cutoff_b_or_c_without_functional_norms(tmp_path, capsys, kind):
    code, out, err = _run(
        tmp_path,
        capsys,
        LONG,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
        "--cutoff",
        kind,
    )
    assert code == 2
    assert out == ""
    assert "--functional-mean" in err


def test_it_refuses_half_a_pair_of_norms(tmp_path, capsys):
    code, _, err = _run(
        tmp_path,
        capsys,
        LONG,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
        "--functional-mean",
        "8",
    )
    assert code == 2
    assert "--functional-sd" in err


def test_it_matches_times_as_numbers_when_both_parse(tmp_path, capsys):
    text = "id,time,score\na,1.0,20\na,4,8\nb,01,22\nb,4.00,21\n"
    _, out, _ = _run(
        tmp_path,
        capsys,
        text,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
    )
    assert [r["id"] for r in json.loads(out)["rows"]] == ["a", "b"]


def test_it_matches_times_as_text_otherwise(tmp_path, capsys):
    text = "id,time,score\na,intake,20\na,end,8\nb,intake,22\nb,End,21\nc,intake,19\nc,end,18\n"
    _, out, _ = _run(
        tmp_path,
        capsys,
        text,
        "--pre",
        "intake",
        "--post",
        "end",
        "--reliability",
        "0.8",
        "--better",
        "lower",
        "--sd",
        "5",
    )
    data = json.loads(out)
    assert [r["id"] for r in data["rows"]] == ["a", "c"]
    assert data["excluded"] == ["b"]


def test_it_reports_bad_rows_and_still_computes_the_rest(tmp_path, capsys):
    text = LONG + "f,1,abc\nf,4,3\na,1,21\n"
    code, out, err = _run(
        tmp_path,
        capsys,
        text,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
    )
    assert code == 1
    assert err.splitlines() == [
        "line 12: score 'abc' is not a number",
        "line 14: a second pre score for id a (first on line 2)",
    ]
    data = json.loads(out)
    assert data["errors"] == [
        {"line": 12, "reason": "score 'abc' is not a number"},
        {"line": 14, "reason": "a second pre score for id a (first on line 2)"},
    ]
    assert data["n"] == 4
    assert "f" in data["excluded"]


def test_it_treats_na_as_missing_not_as_an_error(tmp_path, capsys):
    text = LONG.replace("b,4,21", "b,4,NA")
    code, out, err = _run(
        tmp_path,
        capsys,
        text,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
    )
    assert code == 0
    assert err == ""
    assert json.loads(out)["excluded"] == ["b", "c"]


def test_it_writes_csv_rows(tmp_path, capsys):
    _, out, _ = _run(
        tmp_path,
        capsys,
        LONG,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
        "--format",
        "csv",
    )
    lines = out.splitlines()
    assert lines[0] == "id,pre,post,rci,category"
    assert lines[1].startswith("a,20,8,") and lines[1].endswith(",recovered")
    assert len(lines) == 5


def test_it_writes_a_table_with_a_summary(tmp_path, capsys):
    _, out, _ = _run(
        tmp_path,
        capsys,
        LONG,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
        "--format",
        "table",
    )
    assert out.startswith("4 complete case(s); recovered 1, improved 0, unchanged 2")
    assert "RC points 5" in out


def test_it_fails_with_usage_for_a_missing_column(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text(LONG, encoding="utf-8")
    code = main(
        [
            "change",
            str(path),
            "--id",
            "id",
            "--time",
            "wave",
            "--score",
            "score",
            "--pre",
            "1",
            "--post",
            "4",
            "--reliability",
            "0.8",
            "--better",
            "lower",
        ]
    )
    _, err = capsys.readouterr()
    assert code == 2
    assert "missing column(s): wave" in err


def test_it_fails_with_usage_for_a_reliability_of_one(tmp_path, capsys):
    code, _, err = _run(
        tmp_path,
        capsys,
        LONG,
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "1",
        "--better",
        "lower",
    )
    assert code == 2
    assert "--reliability" in err


def test_it_exits_2_when_a_required_flag_is_missing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path, capsys, LONG, "--pre", "1", "--post", "4", "--better", "lower")
    assert exc.value.code == 2


def test_it_exits_1_with_too_few_complete_cases(tmp_path, capsys):
    code, out, err = _run(
        tmp_path,
        capsys,
        "id,time,score\na,1,3\na,4,2\n",
        "--pre",
        "1",
        "--post",
        "4",
        "--reliability",
        "0.8",
        "--better",
        "lower",
    )
    assert code == 1
    assert out == ""
    assert "at least 2" in err


# Issue 10, section 6: a hostile number must end in one clear line, never a hang or a traceback.
ARGS = ("--pre", "1", "--post", "4", "--reliability", "0.8", "--better", "lower")


@pytest.mark.timeout(10)
@pytest.mark.parametrize("score", ["1e60", "1e200", "-1e200"])
def test_it_rejects_an_overflowing_score_as_its_line_and_computes_the_rest(tmp_path, capsys, score):
    # Before the fix, 1e60 never ended (the rc_points loop) and 1e200 raised OverflowError.
    code, out, err = _run(tmp_path, capsys, LONG.replace("a,1,20", f"a,1,{score}"), *ARGS)
    assert code == 1
    assert err.splitlines() == [f"line 2: score {score!r} is not a number from -1e12 to 1e12"]
    data = json.loads(out)
    assert data["n"] == 3
    assert data["excluded"] == ["a", "c"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("flag", ["--sd", "--clinical-sd", "--functional-sd"])
def test_it_refuses_an_overflowing_sd_as_a_usage_error(tmp_path, capsys, flag):
    # Before the fix, --sd 1e25 never ended (the rc_points loop).
    norms = () if flag == "--sd" else ("--clinical-mean", "20", "--clinical-sd", "5")
    if flag == "--functional-sd":
        norms = ("--functional-mean", "8")
    code, out, err = _run(tmp_path, capsys, LONG, *ARGS, *norms, flag, "1e25")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"plusone change: error: {flag} must be a number from 1e-12 to 1e12, got 1e+25"
    ]


@pytest.mark.timeout(10)
def test_it_refuses_an_overflowing_mean_as_a_usage_error(tmp_path, capsys):
    code, _, err = _run(
        tmp_path, capsys, LONG, *ARGS, "--clinical-mean=-1e200", "--clinical-sd", "5"
    )
    assert code == 2
    assert err.splitlines() == [
        "plusone change: error: --clinical-mean must be a number from -1e12 to 1e12, got -1e+200"
    ]


finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.timeout(60)
@given(
    scores=st.lists(st.one_of(finite, st.integers(0, 40).map(float)), min_size=2, max_size=8),
    sd=st.one_of(st.none(), finite),
    reliability=st.floats(0.0, 1.0, exclude_max=True),
)
def test_it_ends_with_one_clear_outcome_for_any_finite_numbers(
    scores, sd, reliability, ends_within
):
    # Each id gets a pre (time 1) and a post (time 4) score, in turn.
    rows = [f"p{i // 2},{1 if i % 2 == 0 else 4},{x!r}" for i, x in enumerate(scores)]
    options = [f"--reliability={reliability!r}", "--better", "lower", "--format", "json"]
    if sd is not None:
        options.append(f"--sd={sd!r}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_text("id,time,score\n" + "\n".join(rows) + "\n", encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), ends_within(5):
            columns = ["--id", "id", "--time", "time", "--score", "score"]
            code = main(["change", str(path), *columns, "--pre", "1", "--post", "4", *options])
    lines = err.getvalue().splitlines()
    assert code in (0, 1, 2)
    assert all(re.match(r"(line \d+|plusone change): ", line) for line in lines), lines
    if code == 0:
        assert lines == []
    if code == 2:
        assert len(lines) == 1 and out.getvalue() == ""
    if out.getvalue():
        assert "counts" in json.loads(out.getvalue())
