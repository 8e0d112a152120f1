"""``plusone synth``: deterministic synthetic caseloads in the analyze schema."""

from __future__ import annotations

import csv
import json

from plusone.analytics.synth import TYPES
from plusone.cli import main


def synth(tmp_path, name, *args):
    out, truth = tmp_path / f"{name}.csv", tmp_path / f"{name}_truth.csv"
    code = main(["synth", "--out", str(out), "--truth", str(truth), *args])
    return code, out, truth


def test_it_is_deterministic_for_a_seed(tmp_path, capsys):
    _, a, ta = synth(tmp_path, "a", "--clients", "12", "--seed", "3")
    _, b, tb = synth(tmp_path, "b", "--clients", "12", "--seed", "3")
    _, c, _ = synth(tmp_path, "c", "--clients", "12", "--seed", "4")
    assert a.read_bytes() == b.read_bytes()
    assert ta.read_bytes() == tb.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_it_writes_every_trajectory_type_with_its_truth(tmp_path, capsys):
    code, _, truth = synth(tmp_path, "s", "--clients", "20", "--seed", "1")
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["clients"] == 20
    rows = list(csv.DictReader(truth.open(encoding="utf-8")))
    assert {r["trajectory"] for r in rows} == set(TYPES)
    expected = {r["trajectory"]: r["expect"] for r in rows}
    assert expected["not_progressing"] == "not_progressing"
    assert expected["good_enough"] == "good_enough_ending"
    assert all(r["from_session"].isdigit() for r in rows if r["expect"] != "none")


def test_it_writes_the_analyze_schema_that_analyze_reads_without_errors(tmp_path, capsys):
    _, out, _ = synth(tmp_path, "s", "--clients", "10", "--seed", "2")
    capsys.readouterr()
    assert main(["analyze", str(out), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["errors"] == []
    assert len(result["clients"]) == 10


def test_it_exits_2_for_bad_arguments(tmp_path, capsys):
    code, _, _ = synth(tmp_path, "s", "--clients", "0")
    assert code == 2
    assert "--clients must be at least 1" in capsys.readouterr().err
