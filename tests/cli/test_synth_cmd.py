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


def test_it_writes_near_cutoff_clients_flat_one_point_above_the_cutoff(tmp_path, capsys):
    # Issue 10: a true level of 11 (PHQ-9 cutoff 10), flat, with noise SD from the SEM.
    _, out, truth = synth(tmp_path, "s", "--clients", "220", "--seed", "5")
    capsys.readouterr()
    kinds = {r["client"]: r for r in csv.DictReader(truth.open(encoding="utf-8"))}
    near = {c for c, r in kinds.items() if r["trajectory"] == "near_cutoff"}
    assert len(near) == 20
    assert {kinds[c]["expect"] for c in near} == {"not_progressing"}
    scores = [
        int(r["total"]) if r["total"] else sum(int(r[f"item{i}"]) for i in range(1, 10))
        for r in csv.DictReader(out.open(encoding="utf-8"))
        if r["client"] in near and r["instrument"] == "phq9"
    ]
    mean = sum(scores) / len(scores)
    sd = (sum((x - mean) ** 2 for x in scores) / (len(scores) - 1)) ** 0.5
    assert len(scores) == 20 * 24
    assert 10.7 < mean < 11.3
    assert 1.5 < sd < 2.6


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
