"""The analytics commands read a CSV file's header before the rest of it (issue 10, section 6).

A large file without the needed columns is refused from its first line: before the fix,
200 MB of junk took 1.3 GB of memory to be told "missing column".
"""

from __future__ import annotations

import contextlib
import io
import sys
import tracemalloc
from pathlib import Path

import pytest

from plusone.cli import main

COLUMNS = ["--id", "id", "--time", "time", "--score", "score"]
COMMANDS = {
    "change": [*COLUMNS, "--pre", "1", "--post", "4", "--reliability", "0.8", "--better", "lower"],
    "gains": [*COLUMNS, "--crit1", "7"],
    "analyze": ["--today", "2026-06-01"],
}
MISSING = {
    "change": "missing column(s): id, time, score (found: foo, bar, baz, qux)",
    "gains": "missing column(s): id, time, score (found: foo, bar, baz, qux)",
    "analyze": "missing column(s): client, date, session, instrument, phase, primary, "
    "prior_therapy (found: foo, bar, baz, qux)",
}
JUNK_BYTES = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def junk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 MB of CSV junk: a header without any column the commands need, then plain rows."""
    path = tmp_path_factory.mktemp("junk") / "junk.csv"
    block = b"".join(b"%d,%d,junk%d,%d\n" % (i, 7 * i, i % 97, 13 * i) for i in range(20000))
    with path.open("wb") as handle:
        handle.write(b"foo,bar,baz,qux\n")
        while handle.tell() < JUNK_BYTES:
            handle.write(block)
    return path


def _run(argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        if stdin is not None:
            fake = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
            stack.enter_context(_stdin(fake))
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def _stdin(stream: io.TextIOWrapper):  # type: ignore[no-untyped-def]
    saved = sys.stdin
    sys.stdin = stream
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.mark.parametrize("command", COMMANDS)
def test_it_refuses_a_large_file_without_the_columns_from_its_header_alone(command, junk):
    tracemalloc.start()
    try:
        code, out, err = _run([command, str(junk), *COMMANDS[command]])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"plusone {command}: error: {MISSING[command]}"]
    # Reading the whole file costs at least its size (the bytes, then the text); the header
    # costs almost nothing. Before the fix the peak was over 2x the file.
    assert peak < JUNK_BYTES // 16, f"peak {peak:,} bytes for a {JUNK_BYTES:,}-byte file"


@pytest.mark.parametrize("command", COMMANDS)
def test_it_refuses_junk_on_standard_input_with_the_same_message(command):
    junk = b"foo,bar,baz,qux\n" + b"1,2,3,4\n" * 1000
    code, _, err = _run([command, "-", *COMMANDS[command]], stdin=junk)
    assert code == 2
    assert err.splitlines() == [f"plusone {command}: error: {MISSING[command]}"]


@pytest.mark.parametrize("command", COMMANDS)
def test_it_still_checks_a_header_quoted_across_lines_after_reading_it_whole(command, tmp_path):
    # A quoted header cell may hold a newline: the first physical line is then no header.
    path = tmp_path / "data.csv"
    path.write_bytes(b'foo,"bar\nbaz",qux\n1,2,3\n')
    code, _, err = _run([command, str(path), *COMMANDS[command]])
    assert code == 2
    assert "missing column(s)" in err and "(found: foo, bar\\nbaz, qux)" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_it_refuses_a_first_line_longer_than_the_header_limit(command, tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"x" * (2 * 1024 * 1024))
    code, _, err = _run([command, str(path), *COMMANDS[command]])
    assert code == 2
    assert err.splitlines() == [
        f"plusone {command}: error: {path}: line 1 (the header) is longer than 1,048,576 "
        "bytes; is this a CSV file with a header row?"
    ]
