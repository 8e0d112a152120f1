"""Argument parsing and dispatch for the analytics commands.

Each command lives in its own module exposing ``add_parser(subparsers)``,
which registers the sub-command and sets ``func`` (``Namespace -> int``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("change", "gains", "analyze", "synth")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # Exit code 2 for usage errors, message on stderr (docs/cli.md).
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="plusone", description="PlusOne analytics over CSV files.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"plusone.analytics.{name}_cmd")
        module.add_parser(sub)
    return parser


def run(argv: list[str]) -> int:
    ns = build_parser().parse_args(argv)
    result: int = ns.func(ns)
    return result
