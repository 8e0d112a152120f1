"""The safety keyword screen of an observer's free text, in English and French.

The lists are data (``safety_words.toml``). The screen runs both languages on every
text, whatever the page's language. Its limits (docs/observers.md): it misses
paraphrase, and it flags quotes, negations and words in another sense.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("safety_words.toml")


def _fold(text: str) -> str:
    """Lower case, accents dropped, curly apostrophes straightened, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'").replace("\u2018", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return re.sub(r"\s+", " ", text)


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    data = tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))
    phrases = {_fold(p) for language in ("en", "fr") for p in data[language]["phrases"]}
    return tuple(
        re.compile(r"(?<![\w])" + re.escape(p).replace(r"\ ", r"\s+") + r"(?![\w])")
        for p in sorted(phrases)
    )


def touches_safety(text: str) -> bool:
    """True when the text holds any phrase of either language's list, as whole words."""
    folded = _fold(text or "")
    return any(p.search(folded) for p in _patterns())
