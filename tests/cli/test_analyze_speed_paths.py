"""``plusone analyze``'s fast paths give the same answers as the plain ones.

- ``--no-trace`` JSON is the full JSON without ``trace`` and ``question``;
- traces built in worker processes match those built in one process;
- the item checks, run one column at a time across instruments, still name
  each row's first failing item;
- rows in any order give the same per-client results (the sorts);
- the traces written from the batch arrays are ``propose``'s.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from plusone.analytics.analyze_cmd import analyze, load
from plusone.cli import main
from plusone.core.batch import histories_of
from plusone.core.policy import Policy
from plusone.core.propose import propose

HEADER = "client,date,session,instrument,phase,primary,prior_therapy,total," + ",".join(
    f"item{i}" for i in range(1, 11)
)
START = date(2026, 1, 5)


def phq9(total: int, item9: int = 0) -> list[int]:
    """Nine PHQ-9 answers that add up to ``total``."""
    rest = total - item9
    return [*(min(3, max(0, rest - 3 * i)) for i in range(8)), item9]


def row(client, week, instrument, items=(), *, phase="stabilizing", total="", prior="no"):
    day = (START + timedelta(weeks=week)).isoformat()
    cells = [str(x) for x in items] + [""] * (10 - len(items))
    return f"{client},{day},{week + 1},{instrument},{phase},phq9,{prior},{total}," + ",".join(cells)


def caseload() -> list[str]:
    """Four clients of different kinds: plateau, deepening with a spike, risk, rupture."""
    lines = []
    for w, x in enumerate((18, 14, 9, 8, 7, 8, 7)):
        lines.append(row("bob", w, "phq9", phq9(x)))
        lines.append(row("bob", w, "personal_goals", (4, 6)))
    lines.append(row("bob", 6, "swls", (3, 3, 3, 3, 3)))
    for w, x in enumerate((16, 8, 6, 5, 5, 4, 12, 13, 14)):
        phase = "stabilizing" if w < 4 else "deepening"
        lines.append(row("erin", w, "phq9", phq9(x), phase=phase, prior="yes"))
        lines.append(row("erin", w, "felt_change", (8, 6, 2), phase=phase, prior="yes"))
    lines.append(row("dave", 0, "phq9", phq9(12, item9=2)))
    lines.append(row("dave", 1, "phq9", phq9(13, item9=1)))
    for w in range(5):
        lines.append(row("sam", w, "phq9", phq9(11 - w)))
        lines.append(row("sam", w, "session_reflection", (9, 9, 9 if w < 4 else 3)))
    return lines


def write(tmp_path, lines, name="caseload.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def test_it_writes_the_full_json_less_trace_and_question_with_no_trace(tmp_path, capsys):
    path = write(tmp_path, [*caseload(), row("bob", 9, "phq9", (4,))])
    assert main(["analyze", path, "--format", "json"]) == 1
    full = capsys.readouterr()
    assert main(["analyze", path, "--format", "json", "--no-trace"]) == 1
    short = capsys.readouterr()
    assert short.err == full.err == "line 47: item1: 4 is not an answer of phq9_1 (0-3)\n"
    full_doc, short_doc = json.loads(full.out), json.loads(short.out)
    assert short_doc["errors"] == full_doc["errors"]
    assert [c["client"] for c in full_doc["clients"]] == ["bob", "erin", "dave", "sam"]
    for whole, brief in zip(full_doc["clients"], short_doc["clients"], strict=True):
        assert whole["trace"] and "trace" not in brief and "question" not in brief
        assert {k: v for k, v in whole.items() if k not in ("trace", "question")} == brief
    dave = short_doc["clients"][2]
    assert [(r["grade"], r["opened"]) for r in dave["risk"]] == [
        (2, "2026-01-05"),
        (1, "2026-01-12"),
    ]
    assert short_doc["clients"][0]["scores"] == {
        "phq9": {"date": "2026-02-16", "total": 7.0, "band": "mild"},
        "swls": {"date": "2026-02-16", "total": 15.0, "band": "slightly dissatisfied"},
    }


def test_it_builds_the_same_traces_in_worker_processes_as_in_one(tmp_path):
    # Forty copies of the caseload, so that several spans go to two workers.
    lines = [line.replace(",", f"{k},", 1) for k in range(40) for line in caseload()]
    loaded = load(write(tmp_path, lines))
    today = date.fromordinal(loaded.latest_day)
    one, _ = analyze(loaded, today=today, policy=Policy(), workers=1, as_json=True)
    two, _ = analyze(loaded, today=today, policy=Policy(), workers=2, as_json=True)
    assert len(one) == 160
    assert one == two
    kinds = {json.loads(line)["proposal"] for line in one}
    assert {"plus_one", "spike_exit"} <= kinds


def test_it_names_the_first_failing_item_of_each_row_across_instruments(tmp_path, capsys):
    lines = [
        row("bob", 0, "phq9", (0, 4, 9, 0, 0, 0, 0, 0, 0)),
        row("bob", 1, "gad7", (1, 2, 3, 2, 1, 0, 5)),
        row("bob", 2, "who5", (5, 4, 6, 0, 0)),
        row("bob", 3, "who5", (5, 2.5, 0, 0, 0)),
        row("bob", 4, "personal_goals", (7, 8, 9, 4)),
        row("bob", 5, "phq9", (0, "x", 4, 0, 0, 0, 0, 0, 0)),
        row("bob", 6, "felt_change", (11, 5, 5)),
        row("bob", 7, "who5", (5, 4, 3, 2, 1)),
    ]
    assert main(["analyze", write(tmp_path, lines), "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "line 2: item2: 4 is not an answer of phq9_2 (0-3)",
        "line 3: item7: 5 is not an answer of gad7_7 (0-3)",
        "line 4: item3: 6 is not an answer of who5_3 (0-5)",
        "line 5: item2: 2.5 is not an answer of who5_2 (0-5)",
        "line 6: item4: personal_goals has only 3 items",
        "line 7: item2: not a number (phq9_2)",
        "line 8: item1: 11 is not an answer of felt_holds (0-10)",
    ]
    (bob,) = json.loads(captured.out)["clients"]
    assert bob["scores"] == {
        "who5": {"date": "2026-02-23", "total": 60.0, "band": "wellbeing not low"}
    }


def test_it_gives_each_client_the_same_result_whatever_the_row_order(tmp_path, capsys):
    lines = caseload()
    main(["analyze", write(tmp_path, lines, "plain.csv"), "--format", "json"])
    plain = {c["client"]: c for c in json.loads(capsys.readouterr().out)["clients"]}
    shuffled = lines[:]
    random.Random(7).shuffle(shuffled)
    main(["analyze", write(tmp_path, shuffled, "shuffled.csv"), "--format", "json"])
    mixed = {c["client"]: c for c in json.loads(capsys.readouterr().out)["clients"]}
    assert mixed == plain
    assert plain["erin"]["proposal"] == "spike_exit"


def test_it_writes_propose_s_trace_and_question_for_every_client_without_calling_it(tmp_path):
    # Stabilizing, Deepening (from the batch arrays) and a caseload's other clients alike.
    lines = [*caseload(), *(row("olive", w, "phq9", phq9(9), phase="ending") for w in range(3))]
    loaded = load(write(tmp_path, lines))
    today = date.fromordinal(loaded.latest_day)
    payloads, _ = analyze(loaded, today=today, policy=Policy(), workers=1)
    histories = histories_of(loaded.caseload)
    assert [p["client"] for p in payloads] == ["bob", "erin", "dave", "sam", "olive"]
    assert [p["phase"] for p in payloads] == [
        "stabilizing",
        "deepening",
        "stabilizing",
        "stabilizing",
        "ending",
    ]
    for p, h in zip(payloads, histories, strict=True):
        proposed = propose(h, today=today, policy=Policy())
        assert p["trace"] == list(proposed.trace)
        assert p["question"] == proposed.question
