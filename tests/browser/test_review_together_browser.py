"""Review together and the journey table in a real browser: the client's own words wrap and
are never clipped, at 360, 820 and 1366 px, and the table's dates keep to one line.

Screenshots go to pytest's temporary folder (``--basetemp`` to keep them).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from journey_fixtures import give_history
from personas import TODAY, intake_data, make_personas, sign_in_browser
from plusone.clinical import actions

pytestmark = pytest.mark.browser

WIDTHS = (360, 820, 1366)
# 300 characters of the client's own words, with long words that a wrap must still place.
INTENTION = (
    "I want to stop waking at four every morning with my chest tight, rehearsing every "
    "conversation I might have to have at work, and instead of watching the ceiling I want "
    "to get up, make coffee, and feel that the day belongs to me again, without explaining "
    "myself to everyone, all the time."
)
GOALS = [
    "Sleep through the night at least four nights a week without lying awake going over work",
    "Tell my sister plainly what I need from her when she calls, instead of agreeing to it all",
    "Walk by the river on Saturday mornings, even when the week has been overwhelming",
]

# Every SVG text whose painted box leaves the SVG's viewBox, or whose rendered size differs
# from its font-size attribute (a page style enlarging the chart's words).
ESCAPING_TEXT = """() => {
    const out = [];
    for (const svg of document.querySelectorAll('main svg.chart-journey')) {
        if (!svg.getClientRects().length) continue;
        const vb = svg.viewBox.baseVal;
        for (const t of svg.querySelectorAll('text')) {
            const b = t.getBBox();
            const size = parseFloat(getComputedStyle(t).fontSize);
            const said = parseFloat(t.getAttribute('font-size'));
            if (b.x < vb.x - 0.5 || b.x + b.width > vb.x + vb.width + 0.5
                || b.y < vb.y - 0.5 || b.y + b.height > vb.y + vb.height + 0.5
                || Math.abs(size - said) > 0.01) {
                out.push([t.textContent.slice(0, 40), b.x, b.width, vb.width, size, said]);
            }
        }
    }
    return out;
}"""
# HTML elements in main that end past the viewport, or whose text is cut by their own box.
OVERFLOWING = """(width) => Array.from(document.querySelectorAll('main *')).filter(e => {
    if (e.closest('svg') || e.closest('.table-wrap')) return false;
    const r = e.getBoundingClientRect();
    const cut = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
    return r.width > 0 && (r.right > width + 1 || cut);
}).map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))"""
# The own-words lane's texts of the chart that shows: all of the intention and every goal.
OWN_WORDS = """() => {
    const svg = Array.from(document.querySelectorAll('main svg.chart-journey'))
        .find(s => s.getClientRects().length);
    const texts = Array.from(svg.querySelectorAll('text.intention, text.legend'));
    return texts.map(t => t.textContent).join(' ');
}"""


def _words(text: str) -> str:
    return " ".join(text.replace("“", " ").replace("”", " ").split())


def test_it_wraps_the_clients_own_words_at_every_width(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any, tmp_path: Any
) -> None:
    p = make_personas()
    data = intake_data(given_name="Wren", family_name="Tester", s2_intention=INTENTION, goals=GOALS)
    episode = actions.intake_client(
        therapist=p.alice, practice=p.riverside, data=data, today=TODAY
    ).episodes.get()
    give_history(episode, n=12, skipped=5, decision_session=6, rupture_session=9)
    sign_in_browser(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:review_together", args=[episode.pk]))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        assert page.evaluate(OVERFLOWING, width) == [], width
        assert page.evaluate(ESCAPING_TEXT) == [], width
        shown = _words(page.evaluate(OWN_WORDS))
        assert "…" not in shown, width
        for words in (INTENTION, *GOALS):
            assert _words(words) in shown, (width, words[:30])
        page.screenshot(path=str(tmp_path / f"together-{width}.png"), full_page=True)
    assert axe(page) == []
    assert csp_watch.violations == []


# The height of one line of each date cell in the journey's table, and the cells' heights.
# The chart's own table: the relationship lane's table below it shares its style.
CHART_TABLE = "table.chart-table:not(.relationship-table)"
DATE_LINES = """() => Array.from(document.querySelectorAll('CHART_TABLE tbody tr'))
    .map(r => r.cells[1]).map(c => {
        const lh = parseFloat(getComputedStyle(c).lineHeight)
            || parseFloat(getComputedStyle(c).fontSize) * 1.6;
        const range = document.createRange();
        range.selectNodeContents(c);
        return Math.round(range.getBoundingClientRect().height / lh);
    })""".replace("CHART_TABLE", CHART_TABLE)


def test_it_keeps_each_date_of_the_journey_table_on_one_line(
    live_server: Any, context: Any, page: Any, axe: Any, tmp_path: Any
) -> None:
    p = make_personas()
    episode = p.bob.episodes.get()
    give_history(episode, n=12, skipped=5, decision_session=6, rupture_session=9)
    sign_in_browser(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:journey", args=[episode.pk]))
    for width in (390, 820, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        lines = page.evaluate(DATE_LINES)
        assert lines and set(lines) == {1}, (width, lines)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        # The whole table fits its box at every width: nothing scrolls sideways. Below a
        # laptop's width each session is a list of "column: value" lines.
        wrap = page.locator(".table-wrap").filter(
            has=page.locator("table.chart-table:not(.relationship-table)")
        )
        assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), width
        page.locator(CHART_TABLE).screenshot(path=str(tmp_path / f"table-{width}.png"))
    assert axe(page) == []
