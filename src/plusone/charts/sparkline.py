"""The caseload's small trend: a tiny, self-contained SVG of one measure's scores."""

from __future__ import annotations

import math
from collections.abc import Sequence

from plusone.charts.model import Better
from plusone.charts.svg import FRAME, SYMPTOM_STYLE, TEXT, esc, score

SPARK_WIDTH = 96
SPARK_HEIGHT = 24
_PAD = 3.0


def render_sparkline(
    values: Sequence[float | None],
    *,
    cutoff: float | None = None,
    better: Better = "lower",
    label: str = "",
    scale: tuple[float, float] | None = None,
) -> str:
    """Render scores in order as a small line: ``None`` leaves a gap, never a join.

    ``cutoff`` draws a dashed line. ``scale`` fixes the y range (the instrument's
    range); by default the range of the values and the cutoff is used. The SVG has
    ``role="img"`` and an ``aria-label`` naming the first and latest scores, so it
    carries its own text alternative and needs no ids.
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
    present = [v for v in values if v is not None and math.isfinite(v)]
    if scale is not None:
        lo, hi = scale
    else:
        pool = present + ([cutoff] if cutoff is not None else [])
        lo, hi = (min(pool), max(pool)) if pool else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    n = len(values)
    step = (SPARK_WIDTH - 2 * _PAD) / (n - 1) if n > 1 else 0.0

    def x_of(i: int) -> float:
        return _PAD + i * step if n > 1 else SPARK_WIDTH / 2

    def y_of(v: float) -> float:
        v = min(max(v, lo), hi)
        return _PAD + (hi - v) / (hi - lo) * (SPARK_HEIGHT - 2 * _PAD)

    text = _aria_text(present, cutoff, better, label, n)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-sparkline" role="img" '
        f'aria-label="{esc(text)}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
        f'width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}">',
        f"<title>{esc(text)}</title>",
    ]
    if cutoff is not None and lo <= cutoff <= hi:
        y = y_of(cutoff)
        parts.append(
            f'<line class="cutoff" x1="0" y1="{y:.1f}" x2="{SPARK_WIDTH}" y2="{y:.1f}" '
            f'stroke="{FRAME}" stroke-width="1" stroke-dasharray="3 2"/>'
        )
    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            runs.append([])
        else:
            runs[-1].append((x_of(i), y_of(v)))
    colour = SYMPTOM_STYLE.colour
    for run in runs:
        if len(run) > 1:
            # One decimal is a tenth of a pixel at 96 x 24, and keeps a caseload of 80 cheap.
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(
                f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5" '
                f'stroke-linejoin="round"/>'
            )
        elif len(run) == 1:
            x, y = run[0]
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.5" fill="{colour}"/>')
    last = next((i for i in range(n - 1, -1, -1) if values[i] is not None), None)
    if last is not None:
        v = values[last]
        assert v is not None
        parts.append(
            f'<circle class="latest" cx="{x_of(last):.1f}" cy="{y_of(v):.1f}" r="2.5" '
            f'fill="{TEXT}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _aria_text(
    present: Sequence[float], cutoff: float | None, better: Better, label: str, n: int
) -> str:
    name = " ".join(label.split()) or "Trend"
    if not present:
        return f"{name}: no scores yet"
    text = f"{name}: {len(present)} score{'s' if len(present) != 1 else ''}"
    if len(present) > 1:
        text += f", from {score(present[0])} to {score(present[-1])}"
    else:
        text += f", {score(present[0])}"
    if len(present) < n:
        text += f", {n - len(present)} not completed"
    if cutoff is not None:
        text += f"; cutoff {score(cutoff)}"
    return text + f"; {better} is better"
