"""The CLI's CSV readers (``plusone change``, ``gains``, ``analyze``) with hostile files.

Every run must end with exit 0, 1 or 2 and never raise: bad rows are reported as
``line N: reason`` on stderr, a bad file as ``plusone <command>: error: ...``.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from fuzzkit import BAD_BYTES, NUMBERS, ODD_TEXT, SCRIPT, SQL, TALLY, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from plusone.cli import main

pytestmark = pytest.mark.fuzz

_COLUMNS = ["--id", "id", "--time", "time", "--score", "score"]
COMMANDS = {
    "change": [*_COLUMNS, "--pre", "1", "--post", "4", "--reliability", "0.8", "--better", "lower"],
    "gains": [*_COLUMNS, "--crit1", "7"],
    "analyze": ["--today", "2026-06-01", "--no-trace"],
}
HEADERS = {
    "change": ["id", "time", "score"],
    "gains": ["id", "time", "score"],
    "analyze": [
        *("client", "date", "session", "instrument", "phase", "primary", "prior_therapy"),
        *("item1", "item2", "total"),
    ],
}
GOOD = {
    "change": ["a", "1", "20"],
    "gains": ["a", "1", "20"],
    "analyze": ["c1", "2026-05-01", "1", "phq9", "assessment", "phq9", "yes", "1", "2", "11"],
}


def run(command: str, raw: bytes) -> tuple[int, str]:
    """Run one command on ``raw`` as its CSV file; return (exit code, stderr)."""
    TALLY.count(f"csv {command}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_bytes(raw)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([command, str(path), *COMMANDS[command], "--format", "json"])
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
    TALLY.exits[code] = TALLY.exits.get(code, 0) + 1
    return code, err.getvalue()


CELLS = st.one_of(
    st.sampled_from([*SCRIPT, *SQL, *NUMBERS, *ODD_TEXT, '"', '""', '"a,b"', "a\nb"]),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    # Any float, as Python writes it: 1e+200 overflowed and 1e60 hung before issue 10.
    st.floats().map(repr),
)


@st.composite
def csv_files(draw: st.DrawFn, command: str) -> bytes:
    """A CSV file: the real header (sometimes with a column missing), good and hostile rows,
    then sometimes bad bytes, a BOM or a NUL spliced in."""
    header = list(HEADERS[command])
    if draw(st.integers(0, 9)) == 0:
        header.pop(draw(st.integers(0, len(header) - 1)))
    rows = [",".join(header)]
    for _ in range(draw(st.integers(0, 6))):
        cells = [draw(st.one_of(st.just(g), CELLS)) for g in GOOD[command][: len(header)]]
        extra = draw(st.integers(-1, 1))
        cells = cells[:extra] if extra < 0 else cells + ["x"] * extra
        rows.append(",".join(cells))
    raw = "\n".join(rows).encode("utf-8", "surrogatepass")
    splice = draw(st.sampled_from([b""] * 6 + [b"\xef\xbb\xbf", b"\x00", *BAD_BYTES]))
    if splice:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + splice + raw[at:]
    return raw


def _check(code: int, err: str) -> None:
    assert code in (0, 1, 2), code
    assert "Traceback" not in err
    assert "usage:" not in err, err
    if code:
        assert err.strip(), "a failure without a message"


@pytest.mark.parametrize("command", ["change", "gains"])
def test_it_reads_hostile_csv_without_a_traceback(command: str) -> None:
    @fuzz_settings(150)
    @given(raw=csv_files(command))
    def case(raw: bytes) -> None:
        TALLY.examples += 1
        _check(*run(command, raw))

    case()


def test_it_reads_hostile_caseload_csv_without_a_traceback() -> None:
    @fuzz_settings(80)
    @given(raw=csv_files("analyze"))
    def case(raw: bytes) -> None:
        TALLY.examples += 1
        _check(*run("analyze", raw))

    case()


@pytest.mark.parametrize("command", ["change", "gains", "analyze"])
def test_it_names_the_line_of_a_nul_and_of_a_wrong_encoding(command: str) -> None:
    header, good = ",".join(HEADERS[command]), ",".join(GOOD[command])
    nul = f"{header}\n{good}\n{good.replace('1', chr(0), 1)}\n".encode()
    code, err = run(command, nul)
    assert code in (1, 2) and "line 3:" in err and "U+0000" in err, err
    latin1 = f"{header}\n{good}\n".encode() + "é,1,2\n".encode("latin-1")
    code, err = run(command, latin1)
    assert code == 2 and "line 3: not UTF-8 text" in err, err


ALTERNATING = "".join(f"a,{s},{1e200 if s % 2 else 0}\n" for s in range(1, 9)).encode()
PAIRS = b"id,time,score\na,1,20\na,4,8\nb,1,22\nb,4,21\n"


@pytest.mark.parametrize(
    ("command", "raw", "extra"),
    [
        ("change", b"id,time,score\na,1,\x00\na,4,3\n", []),
        ("gains", b"\xff\xfeid,time,score\n", []),
        ("analyze", b"client,date\n" + b"9" * 5000 + b",x\n", []),
        # Issue 10: these hung (1e60, --sd 1e25) or ended in an OverflowError traceback.
        ("change", PAIRS.replace(b"a,1,20", b"a,1,1e60"), []),
        ("change", PAIRS.replace(b"a,1,20", b"a,1,1e200"), []),
        ("change", PAIRS, ["--sd", "1e25"]),
        ("gains", b"id,time,score\n" + ALTERNATING, []),
    ],
)
def test_it_exits_cleanly_as_a_real_process(
    command: str, raw: bytes, extra: list[str], tmp_path: Path
) -> None:
    TALLY.count(f"csv {command} subprocess")
    path = tmp_path / "data.csv"
    path.write_bytes(raw)
    plusone = Path(sys.executable).with_name("plusone")
    done = subprocess.run(
        [str(plusone), command, str(path), *COMMANDS[command], *extra, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr
    assert "line " in done.stderr or "error:" in done.stderr, done.stderr
    if done.returncode == 2:
        assert len(done.stderr.splitlines()) == 1, done.stderr
