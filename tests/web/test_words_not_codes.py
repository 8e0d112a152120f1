"""Words, not codes: every registered page, as each persona who may see it, shows no
snake_case choice value and no UUID as text (STYLE.md, Pages and words).

Attribute values (href, action, value, id), <script> and <style> are not text: a code in a
URL is fine, a code a person reads is not. Built from the route registry, like the access
matrix, so a new page is checked the day it is registered.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone

from access_fixtures import NOTE_SENTINEL, example_objects, rendered_pages
from journey_fixtures import GAD7_12, give_screen
from plusone.core.measure_info import instrument_infos

pytestmark = pytest.mark.django_db

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
# A lower-case word joined to another by an underscore: a code, not a word.
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Instrument keys ("phq9"), where the page should say the title ("PHQ-9"). "flourishing" is
# also an English word.
_KEYS = "|".join(k for k in instrument_infos() if k != "flourishing")
KEYS = re.compile(rf"\b({_KEYS})\b")
# Typed, not chosen: the fixture note's own words, and a slot a person types ("{read_by}").
TYPED = re.compile(re.escape(NOTE_SENTINEL) + r" \(\w+\)|\{\w+\}")


class _Text(HTMLParser):
    """The text a person reads: data outside <script>, <style> and <template>.

    <code> is skipped too: it marks an identifier shown on purpose, to be copied (an audit
    row's target, a destruction certificate's reference), never a choice.
    """

    SKIP = {"script", "style", "template", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def codes_in(html: str) -> list[str]:
    text = TYPED.sub("", shown_text(html))
    found = UUID.findall(text) + SNAKE.findall(text) + KEYS.findall(text)
    return sorted(set(found))


def test_it_finds_codes_shown_as_text_but_not_in_attributes() -> None:
    html = (
        '<a href="/c/0b0e8f4e-1c2a-4d8e-9c1e-2f3a4b5c6d7e/">go_deeper</a>'
        '<input value="end_good_enough"><script>var a_b = 1;</script><p>Measure phq9</p>'
    )
    assert codes_in(html) == ["go_deeper", "phq9"]


def test_it_shows_no_code_as_text_on_any_registered_page(personas: Any) -> None:
    objects = example_objects(personas)
    decide_with_every_option(personas)
    # A scored screen: the consent-directive items name it, the journey and card show it.
    give_screen(objects["episode"], "gad7", GAD7_12, days_ago=3)
    found = []
    for persona, route, response in rendered_pages(personas, objects):
        codes = codes_in(response.content.decode())
        if codes:
            found.append(f"{persona} {route.name} ({response.status_code}): {codes}")
    assert found == [], "\n".join(found)


def decide_with_every_option(p: Any) -> None:
    """A decision for Bob naming every option discussed and everyone present."""
    from plusone.clinical.models import DecisionOption, Present
    from plusone.insights.decisions import DecisionData, record_decision

    today = timezone.localdate()
    record_decision(
        user=p.alice,
        episode=p.bob.episodes.get(),
        data=DecisionData(
            kind="phase_change",
            phase="stabilizing",
            decided_on=today,
            options_discussed=list(DecisionOption.values),
            discomfort_acknowledged=False,
            symptom_rise_acknowledged=False,
            discomfort_note="",
            focus="",
            present=list(Present.values),
            confirmation="pending",
        ),
        today=today,
    )


def test_it_writes_911_one_way() -> None:
    """ "911" everywhere, in both languages, never also "9-1-1"."""
    from pathlib import Path

    import plusone

    root = Path(plusone.__file__).parent
    written = [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.suffix in {".py", ".html", ".po", ".txt", ".json"}
        and "9-1-1" in path.read_text(errors="ignore")
    ]
    assert written == []
