"""The data table that is every chart's text alternative."""

from __future__ import annotations

from dataclasses import dataclass

from plusone.charts.svg import esc


@dataclass(frozen=True)
class Table:
    """Rows of plain strings: one row per session, one column per series.

    Cells hold text ready to show; the first two columns are the session number and
    its date. An empty cell means "not due at that session"; "not completed" means
    the check-in was missed. Strings are unescaped: templates autoescape them, and
    :meth:`html` escapes them itself.
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def html(self, *, css_class: str = "chart-table") -> str:
        """Render an accessible HTML table (caption, column and row headers)."""
        head = "".join(f'<th scope="col">{esc(c)}</th>' for c in self.columns)
        body = []
        # Each cell names its column (data-label), so a narrow screen can show a row as a
        # list of "column: value" lines instead of a table wider than the screen.
        labels = [esc(c) for c in self.columns[1:]]
        for row in self.rows:
            first, *rest = row
            cells = "".join(
                f'<td data-label="{label}">{esc(c)}</td>'
                for label, c in zip(labels, rest, strict=True)
            )
            body.append(f'<tr><th scope="row">{esc(first)}</th>{cells}</tr>')
        return (
            f'<table class="{esc(css_class)}"><caption>{esc(self.caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
