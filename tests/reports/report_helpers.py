"""Helpers for the report tests: read a PDF's text layer with poppler's pdftotext."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest


def needs(tool: str) -> None:
    """Skip without ``tool`` locally; fail under CI=true, where a skip would hide a gap."""
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing")
        pytest.skip(f"{tool} is not installed")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text layer, with lines joined by spaces (so phrases are found whole)."""
    needs("pdftotext")
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(
            ["pdftotext", f.name, "-"], check=True, capture_output=True, text=True
        ).stdout
    return " ".join(out.split())
