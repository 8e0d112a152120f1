"""``plusone analyze`` through the console entry point, on small hand-written caseloads."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from plusone.cli import main

HEADER = "client,date,session,instrument,phase,primary,prior_therapy,total," + ",".join(
    f"item{i}" for i in range(1, 11)
)
START = date(2026, 1, 5)


def phq9(total: int, item9: int = 0) -> list[int]:
    """Nine PHQ-9 answers that add up to ``total``."""
    rest = total - item9
    items = [min(3, max(0, rest - 3 * i)) for i in range(8)]
    return [*items, item9]


def row(client, week, instrument, items=(), *, phase="stabilizing", total="", prior="no"):
    day = (START + timedelta(weeks=week)).isoformat()
    cells = [str(x) for x in items] + [""] * (10 - len(items))
    return f"{client},{day},{week + 1},{instrument},{phase},phq9,{prior},{total}," + ",".join(cells)


def plateau_client(name="bob"):
    # Eased by week 2 and flat for 5 weeks; goals 4 and 6 (mean 5 < 7).
    lines = [row(name, w, "phq9", phq9(x)) for w, x in enumerate((18, 14, 9, 8, 7, 8, 7))]
    lines.append(row(name, 6, "personal_goals", (4, 6)))
    lines.append(row(name, 6, "session_reflection", (9, 9, 10)))
    return lines


def write(tmp_path, lines, name="caseload.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def analyze(path, *args):
    return main(["analyze", path, "--format", "json", *args])


def test_it_proposes_plus_one_with_its_trace_in_json(tmp_path, capsys):
    code = analyze(write(tmp_path, plateau_client()))
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    (bob,) = out["clients"]
    assert bob["proposal"] == "plus_one"
    assert bob["phase"] == "stabilizing"
    assert "PHQ-9 fell 18 → 7 (reliable: ≥ 6 points)." in bob["trace"]
    assert "Goals: 'goal 1' 4, 'goal 2' 6; mean 5.0 < 7." in bob["trace"]
    assert bob["question"].endswith("?")
    assert bob["latest"] == {
        "date": "2026-02-16",
        "total": 7.0,
        "band": "mild",
        "below_cutoff": True,
    }
    assert bob["change"]["difference"] == -11.0
    assert bob["flat"] is True
    assert bob["scores"] == {
        "phq9": {"date": "2026-02-16", "total": 7.0, "band": "mild"},
    }
    assert out["errors"] == []


def test_it_reports_bad_rows_on_stderr_and_in_errors_and_runs_the_rest(tmp_path, capsys):
    lines = plateau_client()
    lines.insert(2, row("bob", 9, "phq9", (4, 0, 0, 0, 0, 0, 0, 0, 0)))  # 4 is not an answer
    lines.insert(4, "bob,2026-13-01,3,phq9,,phq9,no,,1,1,1,1,1,1,1,1,0,")
    lines.append(row("dave", 0, "nonsense"))
    code = analyze(write(tmp_path, lines))
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 1
    assert captured.err.splitlines() == [
        "line 4: item1: 4 is not an answer of phq9_1 (0-3)",
        "line 6: date: '2026-13-01' is not a date (YYYY-MM-DD)",
        "line 13: instrument: 'nonsense' is not a known instrument",
    ]
    assert [e["line"] for e in out["errors"]] == [4, 6, 13]
    assert out["clients"][0]["proposal"] == "plus_one"


def test_it_stops_at_the_first_bad_row_with_strict(tmp_path, capsys):
    lines = [*plateau_client(), row("bob", 8, "phq9", (9,)), row("bob", 9, "phq9", (9,))]
    code = analyze(write(tmp_path, lines), "--strict")
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.splitlines() == ["line 11: item1: 9 is not an answer of phq9_1 (0-3)"]


def test_it_rejects_a_row_with_the_wrong_number_of_fields(tmp_path, capsys):
    lines = [*plateau_client(), "bob,2026-03-01,9,phq9"]
    assert analyze(write(tmp_path, lines)) == 1
    assert "line 11: expected 18 fields, found 4" in capsys.readouterr().err


def test_it_reads_quoted_csv_the_same_as_plain_csv(tmp_path, capsys):
    plain = write(tmp_path, plateau_client(), "plain.csv")
    analyze(plain)
    first = json.loads(capsys.readouterr().out)
    quoted = [line.replace("bob,", '"bob",', 1) for line in plateau_client()]
    analyze(write(tmp_path, quoted, "quoted.csv"))
    second = json.loads(capsys.readouterr().out)
    assert first == second


def test_it_judges_as_of_the_latest_date_unless_today_is_given(tmp_path, capsys):
    path = write(tmp_path, plateau_client())
    analyze(path)
    assert json.loads(capsys.readouterr().out)["today"] == "2026-02-16"
    # Ten weeks later, nothing is recent enough for any rule to match.
    analyze(path, "--today", "2026-04-27")
    (bob,) = json.loads(capsys.readouterr().out)["clients"]
    assert bob["proposal"] == "none"
    assert any("no administration in the last 8 weeks" in t for t in bob["trace"])


def test_it_reports_open_risk_with_its_grade(tmp_path, capsys):
    lines = [row("dave", 0, "phq9", phq9(12, item9=2))]
    analyze(write(tmp_path, lines))
    (dave,) = json.loads(capsys.readouterr().out)["clients"]
    assert dave["risk"] == [
        {"instrument": "phq9", "item": "phq9_9", "grade": 2, "opened": "2026-01-05"}
    ]


def test_it_raises_a_possible_rupture_alert_from_a_reflection(tmp_path, capsys):
    lines = [row("dave", 0, "phq9", phq9(12)), row("dave", 0, "session_reflection", (9, 5, 9))]
    analyze(write(tmp_path, lines))
    (dave,) = json.loads(capsys.readouterr().out)["clients"]
    assert dave["alerts"] == ["possible_rupture"]


def test_it_takes_a_total_when_no_items_are_given(tmp_path, capsys):
    lines = [
        row("dave", w, "phq9", total=x) for w, x in enumerate((18, 17, 16, 17, 16, 15, 16, 15))
    ]
    analyze(write(tmp_path, lines))
    (dave,) = json.loads(capsys.readouterr().out)["clients"]
    assert dave["alerts"] == ["not_progressing"]


def test_it_rejects_a_total_outside_the_instruments_range(tmp_path, capsys):
    assert analyze(write(tmp_path, [row("dave", 0, "phq9", total=28)])) == 1
    assert "line 2: total: 28 is outside phq9's range 0-27" in capsys.readouterr().err


def test_it_refuses_a_policy_file_with_an_unknown_key(tmp_path, capsys):
    policy = tmp_path / "policy.toml"
    policy.write_text("goal_mrak = 6\n", encoding="utf-8")
    code = analyze(write(tmp_path, plateau_client()), "--policy", str(policy))
    assert code == 2
    assert "unknown key(s) goal_mrak" in capsys.readouterr().err


def test_it_applies_a_policy_file(tmp_path, capsys):
    policy = tmp_path / "policy.toml"
    policy.write_text("goal_mark = 5\n", encoding="utf-8")
    analyze(write(tmp_path, plateau_client()), "--policy", str(policy))
    (bob,) = json.loads(capsys.readouterr().out)["clients"]
    assert "Goals: 'goal 1' 4, 'goal 2' 6; mean 5.0 ≥ 5." in bob["trace"]


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_it_writes_one_row_per_client_as_table_or_csv(tmp_path, capsys, fmt):
    lines = [*plateau_client("bob"), *plateau_client("dave")]
    assert main(["analyze", write(tmp_path, lines), "--format", fmt]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    assert "plus_one" in out[1] and out[2].startswith("dave")


def test_it_exits_2_for_a_missing_file_or_column(tmp_path, capsys):
    assert analyze(str(tmp_path / "nope.csv")) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("client,date\nbob,2026-01-01\n", encoding="utf-8")
    assert analyze(str(bad)) == 2
    assert "missing column(s): session" in capsys.readouterr().err


# Issue 10, section 6: two rows for one sitting (same client, date, session and instrument)
# conflict; the first in the file is kept and each later one is rejected.


@pytest.mark.parametrize("quoted", [False, True], ids=["fast path", "csv module path"])
def test_it_rejects_a_second_row_for_the_same_sitting_and_keeps_the_first(tmp_path, capsys, quoted):
    lines = plateau_client()
    lines[6] = row("bob", 6, "phq9", total=13)
    lines.append(row("bob", 6, "phq9", total=27))
    if quoted:
        # A quoted cell sends the file through the csv module instead of polars.
        lines[0] = lines[0].replace("bob,", '"bob",', 1)
    code = analyze(write(tmp_path, lines))
    captured = capsys.readouterr()
    assert code == 1
    reason = "a second phq9 in session 7 on 2026-02-16 for this client (first on line 8)"
    assert captured.err.splitlines() == [f"line 11: {reason}"]
    out = json.loads(captured.out)
    assert out["errors"] == [{"line": 11, "reason": reason}]
    (bob,) = out["clients"]
    assert bob["latest"]["total"] == 13.0
    assert bob["administrations"] == 7


def test_it_stops_at_a_second_row_for_the_same_sitting_with_strict(tmp_path, capsys):
    lines = [*plateau_client(), row("bob", 0, "phq9", phq9(18))]
    code = analyze(write(tmp_path, lines), "--strict")
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "line 11: a second phq9 in session 1 on 2026-01-05 for this client (first on line 2)"
    ]


def test_it_keeps_several_administrations_outside_a_session_on_one_day(tmp_path, capsys):
    # Blank session: check-ins between sessions. Several on one day are allowed; the last counts.
    extra = [
        row("bob", 7, "phq9", phq9(9)).replace(",8,phq9,", ",,phq9,"),
        row("bob", 7, "phq9", phq9(8)).replace(",8,phq9,", ",,phq9,"),
    ]
    code = analyze(write(tmp_path, [*plateau_client(), *extra]))
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err == ""
    (bob,) = json.loads(captured.out)["clients"]
    assert bob["latest"] == {
        "date": "2026-02-23",
        "total": 8.0,
        "band": "mild",
        "below_cutoff": True,
    }


def test_it_needs_relief_held_over_the_whole_window_not_only_the_last_two(tmp_path, capsys):
    # Issue 10: the last 2 are below 10, but the window holds a 10 and an 11.
    lines = [row("bob", w, "phq9", phq9(x)) for w, x in enumerate((16, 12, 10, 11, 9, 8, 9))]
    lines.append(row("bob", 6, "personal_goals", (4, 6)))
    analyze(write(tmp_path, lines))
    (bob,) = json.loads(capsys.readouterr().out)["clients"]
    assert bob["flat"] is True
    assert bob["proposal"] == "none"
    assert (
        "PHQ-9 not below cutoff 10 on every administration of the window "
        "(10, 11, 9, 8, 9; 28 days)." in bob["trace"]
    )


def test_it_holds_plus_one_for_repair_when_the_therapist_rates_well_above_the_client(
    tmp_path, capsys
):
    # The congruence gap: the therapist's 9 against the client's 7 on the same session's item.
    lines = [line for line in plateau_client() if "session_reflection" not in line]
    lines.append(row("bob", 6, "session_reflection", (7, 9, 10)))
    lines.append(row("bob", 6, "therapist_rating", (9, 9, 9)))
    analyze(write(tmp_path, lines))
    (bob,) = json.loads(capsys.readouterr().out)["clients"]
    assert bob["alerts"] == ["possible_rupture"]
    assert (bob["proposal"], bob["held"], bob["consult"]) == ("none", "plus_one", False)
    assert any(t.startswith("Repair first: a possible rupture is open") for t in bob["trace"])
    assert "therapist_rating" not in bob["scores"]
