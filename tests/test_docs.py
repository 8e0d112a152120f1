"""A command or flag that is not documented is a bug (datasette's rule)."""

import re
from pathlib import Path

from plusone.analytics.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = ROOT / "docs" / "cli.md"


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## +", text, flags=re.MULTILINE)
    out = {}
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        out[title.strip().strip("`")] = body
    return out


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def test_it_documents_every_analytics_command_in_cli_md():
    sections = _sections(CLI_DOC.read_text(encoding="utf-8"))
    missing = [c for c in COMMANDS if f"plusone {c}" not in sections]
    assert missing == []


def test_it_documents_every_flag_of_every_analytics_command():
    sections = _sections(CLI_DOC.read_text(encoding="utf-8"))
    undocumented = []
    for name, sub in _subparsers().items():
        body = sections.get(f"plusone {name}", "")
        for action in sub._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help" and flag not in body:
                    undocumented.append(f"plusone {name} {flag}")
    assert undocumented == []


def test_it_documents_every_management_command_of_ours():
    src = ROOT / "src" / "plusone"
    ours = sorted(
        p.stem for p in src.glob("*/management/commands/*.py") if not p.stem.startswith("_")
    )
    sections = _sections(CLI_DOC.read_text(encoding="utf-8"))
    missing = [c for c in ours if f"plusone {c}" not in sections]
    assert missing == []
