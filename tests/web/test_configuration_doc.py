"""Every environment variable settings.py reads is documented, with its *_FILE twin."""

import re
from pathlib import Path

from plusone import settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"


def _names_in_source():
    source = Path(settings.__file__).read_text(encoding="utf-8")
    return set(re.findall(r'"((?:PLUSONE_|DATABASE_URL|REDIS_URL)[A-Z_]*)"', source))


def test_it_documents_every_variable_settings_reads_with_its_file_twin():
    doc = DOC.read_text(encoding="utf-8")
    names = (_names_in_source() | settings.ENV_READ) - {"PLUSONE_"}
    assert "PLUSONE_SECRET_KEY" in names and "DATABASE_URL" in names
    missing = sorted(n for n in names if f"### `{n}`" not in doc or f"`{n}_FILE`" not in doc)
    assert missing == []
