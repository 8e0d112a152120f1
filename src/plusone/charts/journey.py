"""The journey chart: four lanes on one session axis, as one self-contained SVG string.

``render_journey(journey, audience=..., width=...)`` returns a :class:`Chart` whose
``svg`` goes inline on the page and, unchanged, into the PDF, and whose ``table`` is
the data-table text alternative.

Lanes, top to bottom (DESIGN.md): the client's own words (intention, goals, Felt
Change), growth (each instrument on its own scale), relationship (Session Reflection
against the Therapist Rating, ruptures and repairs), and symptoms (the primary measure
with its bands, cutoff, reliable-change band and sudden gains). Decisions are vertical
milestones across every lane.

One module on purpose, though long: the four lanes share one axis, one scale
of coordinates and one table alternative, and the page and the PDF must get the
same string; a split would pass that geometry between files for no reader's gain.

The client audience sees plain words only: no symptom numbers, band names, cutoff,
reliable-change band, sudden gains, therapist rating or ruptures.

Every element a test or a reader may need carries a class and ``data-*`` attributes:
``rect.plot-area[data-plot]``, ``.point[data-plot][data-series][data-session]
[data-value]``, ``rect.band[data-band]``, ``line.cutoff[data-value]``,
``rect.rc-band``, ``.sudden-gain``, ``.event[data-kind]``,
``line.milestone[data-session]``, and for a check-in point (``Session.kind``)
``circle.axis-check-in-tick[data-session]`` and ``text.axis-check-in[data-session]``.
``data-session`` is a point's ``Session.number``.
"""

from __future__ import annotations

import contextvars
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from plusone.charts.model import (
    PHASE_CLIENT_NAMES,
    PHASE_THERAPIST_NAMES,
    ZERO_TO_TEN,
    Audience,
    Band,
    Decision,
    Journey,
    Scale,
    Session,
    Symptoms,
    Values,
)
from plusone.charts.svg import (
    BAND_TINTS,
    FRAME,
    GAIN_COLOUR,
    GRID,
    MILESTONE,
    MUTED_TEXT,
    RC_FILL,
    REPAIR_COLOUR,
    RUPTURE_COLOUR,
    STYLES,
    SYMPTOM_STYLE,
    TEXT,
    Style,
    clean,
    esc,
    fit,
    marker,
    nice_ticks,
    num,
    score,
    text_width,
)
from plusone.charts.table import Table

NOT_COMPLETED = "not completed"
# The client's words in the client's language: render_journey(translate=...) sets it for the
# drawing (plain functions, no Django here: the caller passes gettext in).
_TRANSLATE: contextvars.ContextVar[Callable[[str], str]] = contextvars.ContextVar(
    "chart_translate", default=lambda text: text
)


def _t(text: str) -> str:
    """``text`` in the language of the chart being drawn (the identity for staff charts)."""
    return _TRANSLATE.get()(text)


NOT_A_DIAGNOSIS = "A score is not a diagnosis."
# Below this width the chart switches to its phone layout (no right gutter).
NARROW_BELOW = 640
MIN_WIDTH = 280

# Draws extra layers into a plot: (top, bottom, y_of).
Decorator = Callable[[float, float, Callable[[float], float]], None]
LegendKind = Literal["series", "area", "line", "rupture", "repair", "gain", "rc"]


@dataclass(frozen=True)
class Chart:
    """A rendered chart: the SVG string, its data table, and its title and description."""

    svg: str
    table: Table
    title: str
    description: str


@dataclass(frozen=True)
class _Line:
    key: str
    label: str
    values: Values
    style: Style


@dataclass(frozen=True)
class _Legend:
    kind: LegendKind
    text: str
    style: Style = STYLES[0]
    fill: str = ""


@dataclass
class _Canvas:
    """Layout state while the chart is drawn: layers, the y cursor and the x axis."""

    width: float
    sessions: tuple[Session, ...]
    id_prefix: str
    narrow: bool
    back: list[str] = field(default_factory=list)
    front: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    y: float = 8.0
    plots: list[tuple[float, float]] = field(default_factory=list)
    milestone_bottom: float = 0.0
    stub_tops: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.left = 46.0 if self.narrow else 50.0
        self.right = self.width - (10.0 if self.narrow else 150.0)
        self.plot_width = self.right - self.left
        n = len(self.sessions)
        pad = 10.0
        self.step = (self.plot_width - 2 * pad) / (n - 1) if n > 1 else 0.0
        self.xs = {
            s.number: (
                self.left + pad + i * self.step if n > 1 else self.left + self.plot_width / 2
            )
            for i, s in enumerate(self.sessions)
        }
        self.r = 2.6 if self.narrow or self.step < 12 else 3.6

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = 12,
        weight: str = "normal",
        fill: str = TEXT,
        anchor: str = "start",
        extra: str = "",
    ) -> None:
        bold = ' font-weight="bold"' if weight == "bold" else ""
        anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
        self.labels.append(
            f'<text{extra} x="{num(x)}" y="{num(y)}" font-size="{num(size)}"{bold}'
            f'{anchor_attr} fill="{fill}">{esc(content)}</text>'
        )


def render_journey(
    journey: Journey,
    *,
    audience: Audience = "therapist",
    width: int = 960,
    id_prefix: str = "journey",
    translate: Callable[[str], str] | None = None,
) -> Chart:
    """Render the journey as an SVG string plus its data table.

    ``audience`` "client" leaves out all therapist-only content and shows plain words.
    ``width`` sets the viewBox width in px; below 640 the phone layout is used.
    ``id_prefix`` keeps element ids unique when several charts share a page.
    ``translate`` (the client's gettext) puts the client layout's words in their language.
    """
    token = _TRANSLATE.set(translate) if translate is not None else None
    try:
        return _render(journey, audience=audience, width=width, id_prefix=id_prefix)
    finally:
        if token is not None:
            _TRANSLATE.reset(token)


def _render(journey: Journey, *, audience: Audience, width: int, id_prefix: str) -> Chart:
    if audience not in ("therapist", "client"):
        raise ValueError(f"unknown audience {audience!r}")
    width = max(MIN_WIDTH, int(width))
    client = audience == "client"
    canvas = _Canvas(width, journey.sessions, id_prefix, width < NARROW_BELOW)
    title = _title(journey, client)
    description = _description(journey, client)

    if journey.sessions:
        _milestone_labels(canvas, journey.decisions, client)
        _own_words_lane(canvas, journey, client)
        _growth_lane(canvas, journey, client)
        _relationship_lane(canvas, journey, client)
        _symptom_lane(canvas, journey.symptoms, client)
        _session_axis(canvas)
        _milestone_lines(canvas, journey.decisions)
    else:
        canvas.text(canvas.left, 28, "No sessions yet.", size=14)
        canvas.y = 44

    height = int(canvas.y + 8)
    tid, did = f"{id_prefix}-title", f"{id_prefix}-desc"
    svg = "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-journey" '
            f'role="img" aria-labelledby="{esc(tid)} {esc(did)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="12">',
            f'<title id="{esc(tid)}">{esc(title)}</title>',
            f'<desc id="{esc(did)}">{esc(description)}</desc>',
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
            *canvas.back,
            *canvas.front,
            *canvas.labels,
            "</svg>",
        ]
    )
    return Chart(
        svg=svg, table=_table(journey, client, title), title=title, description=description
    )


# --- lanes ---------------------------------------------------------------------------


def _lane_heading(canvas: _Canvas, text: str, note: str = "") -> None:
    canvas.y += 20
    text = fit(text, 15, canvas.width - 16)
    canvas.text(8, canvas.y, text, size=15, weight="bold", extra=' class="lane-title"')
    if note:
        canvas.y += 17
        canvas.text(8, canvas.y, note, size=12, fill=MUTED_TEXT)
    canvas.y += 6


def _nothing_yet(canvas: _Canvas) -> None:
    canvas.y += 14
    canvas.text(canvas.left, canvas.y, _t("Nothing recorded yet."), fill=MUTED_TEXT)
    canvas.y += 8


def _own_words_lane(canvas: _Canvas, journey: Journey, client: bool) -> None:
    _lane_heading(canvas, _t("In your own words") if client else "1. Own words")
    if journey.intention.strip():
        lead = _t("What I want to be different:") + " " if client else "S2 intention: "
        room = canvas.width - canvas.left - 8
        words = f"{lead}“{' '.join(journey.intention.split())}”"
        for line in _wrap_whole(words, 13, room):
            canvas.y += 17
            canvas.text(canvas.left, canvas.y, line, size=13, extra=' class="intention"')
        canvas.y += 4
    if journey.goals:
        lines = [
            _Line(f"goal-{i + 1}", _goal_label(g.short, g.wording), g.values, STYLES[i])
            for i, g in enumerate(journey.goals)
        ]
        _plot(
            canvas,
            "goals",
            _t("Your goals, 0 to 10") if client else "Goals (0-10)",
            ZERO_TO_TEN,
            96,
            lines,
            ticks=_ticks_0_10(),
        )
    if journey.felt_change:
        lines = [
            _Line(
                f"felt-{s.key}",
                s.label if client or s.better == "higher" else f"{s.label} (lower is better)",
                s.values,
                STYLES[i % len(STYLES)],
            )
            for i, s in enumerate(journey.felt_change)
        ]
        _plot(
            canvas,
            "felt-change",
            _t("How change feels, 0 to 10") if client else "Felt Change (0-10, item by item)",
            ZERO_TO_TEN,
            96,
            lines,
            ticks=_ticks_0_10(),
        )
    if journey.moments:
        _moments(canvas, journey, client)
    if not (journey.goals or journey.felt_change or journey.intention.strip() or journey.moments):
        _nothing_yet(canvas)


def _moments(canvas: _Canvas, journey: Journey, client: bool) -> None:
    """Moments that matter: a numbered star on the axis, then each in the client's words
    (wrapped, never cut). Never scored."""
    canvas.y += 18
    canvas.text(
        8,
        canvas.y,
        _t("Moments that matter") if client else "Moments that matter (client's words)",
        size=13,
        weight="bold",
    )
    canvas.y += 14
    for i, m in enumerate(journey.moments, start=1):
        x = canvas.xs.get(m.session)
        if x is None:
            continue
        canvas.front.append(
            f'<circle cx="{num(x)}" cy="{num(canvas.y)}" r="7" fill="#FFF4D6" '
            f'stroke="#8A5A00" stroke-width="1.5"><title>{esc(m.text)}</title></circle>'
        )
        canvas.text(x, canvas.y + 4, str(i), size=10, weight="bold", anchor="middle")
    canvas.y += 8
    room = canvas.width - canvas.left - 8
    for i, m in enumerate(journey.moments, start=1):
        words = f"{i}. {_long_date(m.day)}: “{' '.join(m.text.split())}”"
        for line in _wrap_whole(words, 12, room):
            canvas.y += 16
            canvas.text(canvas.left, canvas.y, line, size=12, extra=' class="moment"')
    canvas.y += 4


def _growth_lane(canvas: _Canvas, journey: Journey, client: bool) -> None:
    _lane_heading(canvas, _t("Growth") if client else "2. Growth")
    for i, m in enumerate(journey.growth):
        style = STYLES[i % len(STYLES)]
        lo, hi = m.scale.minimum, m.scale.maximum
        if client:
            name = _capital(_t(m.client_name))
            ticks = _word_ticks(m.scale)
        else:
            name = f"{m.name} ({m.client_name}), {score(lo)}-{score(hi)}"
            ticks = [(t, score(t)) for t in (lo, (lo + hi) / 2, hi)]
        line = _Line(f"growth-{m.key}", m.client_name if client else m.name, m.values, style)
        _plot(canvas, f"growth-{m.key}", name, m.scale, 64, [line], ticks=ticks, legend=False)
    if not journey.growth:
        _nothing_yet(canvas)


def _relationship_lane(canvas: _Canvas, journey: Journey, client: bool) -> None:
    _lane_heading(canvas, _t("Our work together") if client else "3. Relationship")
    lines = []
    if journey.reflection is not None:
        label = _t("Your Session Reflection") if client else "Session Reflection (client)"
        lines.append(_Line("reflection", label, journey.reflection.values, STYLES[0]))
    if journey.therapist_rating is not None and not client:
        lines.append(
            _Line(
                "therapist-rating", "Therapist Rating", journey.therapist_rating.values, STYLES[1]
            )
        )
    events = () if client else journey.events
    if not lines and not events:
        _nothing_yet(canvas)
        return
    extra = []
    kinds = {e.kind for e in events}
    if "rupture" in kinds:
        extra.append(_Legend("rupture", "rupture"))
    if "repair" in kinds:
        extra.append(_Legend("repair", "repair"))
    _plot(
        canvas,
        "relationship",
        _t("How the sessions felt, 0 to 10") if client else "Reflection against rating (0-10)",
        ZERO_TO_TEN,
        84,
        lines,
        ticks=_ticks_0_10(),
        extra_legend=extra,
    )
    if events:
        # Ruptures and repairs sit in a strip under the plot, clear of the lines.
        top = canvas.y - 2
        canvas.back.append(
            f'<rect class="event-strip" x="{num(canvas.left)}" y="{num(top)}" '
            f'width="{num(canvas.plot_width)}" height="18" fill="#F6F8FA"/>'
        )
        for event in events:
            x = canvas.xs[event.session]
            canvas.front.append(_event_mark(event.kind, x, top + 9, event.session))
        canvas.plots.append((top, top + 18))
        canvas.y = top + 18 + 8


def _symptom_lane(canvas: _Canvas, symptoms: Symptoms | None, client: bool) -> None:
    if symptoms is None:
        _lane_heading(canvas, _t("Symptoms") if client else "4. Symptoms: the safety floor")
        _nothing_yet(canvas)
        return
    s = symptoms
    name = _capital(_t(s.client_name)) if client else s.client_name
    if client:
        _lane_heading(canvas, name, _t(NOT_A_DIAGNOSIS))
    else:
        _lane_heading(canvas, "4. Symptoms: the safety floor")
    line = _Line(f"symptom-{s.key}", s.client_name if client else s.name, s.values, SYMPTOM_STYLE)
    shading = _client_zones(s) if client else _band_spans(s)
    intake = _intake(s, canvas.sessions)
    extra: list[_Legend] = []
    if canvas.narrow:
        extra += [_Legend("area", label, fill=tint) for _, _, label, tint in reversed(shading)]
    if not client and s.cutoff is not None:
        extra.append(_Legend("line", f"cutoff {score(s.cutoff)}"))
    if not client and s.rc_points is not None and intake is not None:
        extra.append(
            _Legend("rc", f"reliable-change band: intake {score(intake)} ± {score(s.rc_points)}")
        )
    if not client and s.sudden_gains:
        extra.append(_Legend("gain", "sudden gain"))

    def under(top: float, bottom: float, y_of: Callable[[float], float]) -> None:
        for lo, hi, label, tint in shading:
            y1, y2 = y_of(hi), y_of(lo)
            canvas.back.append(
                f'<rect class="band" data-band="{esc(label)}" x="{num(canvas.left)}" '
                f'y="{num(y1)}" width="{num(canvas.plot_width)}" height="{num(y2 - y1)}" '
                f'fill="{tint}"/>'
            )
            if not canvas.narrow and y2 - y1 >= 11:
                canvas.text(
                    canvas.right + 8,
                    (y1 + y2) / 2 + 4,
                    fit(label, 11, canvas.width - canvas.right - 12),
                    size=11,
                    fill=MUTED_TEXT,
                    extra=' class="band-label"',
                )

    def over(top: float, bottom: float, y_of: Callable[[float], float]) -> None:
        if not client and s.rc_points is not None and intake is not None:
            hi_v = min(intake + s.rc_points, s.scale.maximum)
            lo_v = max(intake - s.rc_points, s.scale.minimum)
            y1, y2 = y_of(hi_v), y_of(lo_v)
            canvas.back.append(
                f'<rect class="rc-band" data-low="{score(lo_v)}" data-high="{score(hi_v)}" '
                f'x="{num(canvas.left)}" y="{num(y1)}" width="{num(canvas.plot_width)}" '
                f'height="{num(y2 - y1)}" fill="{RC_FILL}" fill-opacity="0.16" '
                f'stroke="{RC_FILL}" stroke-width="1" stroke-dasharray="2 2"/>'
            )
        if not client and s.cutoff is not None:
            y = y_of(s.cutoff)
            canvas.back.append(
                f'<line class="cutoff" data-value="{score(s.cutoff)}" x1="{num(canvas.left)}" '
                f'y1="{num(y)}" x2="{num(canvas.right)}" y2="{num(y)}" stroke="{TEXT}" '
                f'stroke-width="1.5" stroke-dasharray="6 4"/>'
            )
        if not client:
            for gain in s.sudden_gains:
                pre, post = s.values.get(gain.pre_session), s.values.get(gain.post_session)
                x = (canvas.xs[gain.pre_session] + canvas.xs[gain.post_session]) / 2
                highest = max(v for v in (pre, post, s.scale.minimum) if v is not None)
                y = max(top + 6, y_of(highest) - 10)
                canvas.front.append(_gain_mark(x, y, gain.pre_session, gain.post_session))

    _plot(
        canvas,
        "symptoms",
        "" if client else f"{s.name} (primary), {score(s.scale.minimum)}-{score(s.scale.maximum)}",
        s.scale,
        150,
        [line],
        ticks=_word_ticks(s.scale)
        if client
        else [(t, score(t)) for t in nice_ticks(s.scale.minimum, s.scale.maximum)],
        extra_legend=extra,
        under=under,
        over=over,
        legend=not client,
        grid=not client,
    )


# --- plot machinery ------------------------------------------------------------------


def _plot(
    canvas: _Canvas,
    key: str,
    title: str,
    scale: Scale,
    height: float,
    lines: Sequence[_Line],
    *,
    ticks: Sequence[tuple[float, str]],
    legend: bool = True,
    extra_legend: Sequence[_Legend] = (),
    under: Decorator | None = None,
    over: Decorator | None = None,
    grid: bool = True,
) -> None:
    """Draw one plot (title, legend, frame, ticks, lines) at the y cursor."""
    if title:
        canvas.y += 16
        canvas.text(
            canvas.left, canvas.y, title, size=13, weight="bold", extra=' class="plot-title"'
        )
    items = [_Legend("series", ln.label, ln.style) for ln in lines] if legend else []
    items += list(extra_legend)
    if items:
        _legend(canvas, items)
    canvas.y += 8
    top, bottom = canvas.y, canvas.y + height
    span = scale.maximum - scale.minimum

    def y_of(value: float) -> float:
        return top + (scale.maximum - value) / span * height

    canvas.back.append(
        f'<rect class="plot-area" data-plot="{esc(key)}" x="{num(canvas.left)}" y="{num(top)}" '
        f'width="{num(canvas.plot_width)}" height="{num(height)}" fill="#FFFFFF"/>'
    )
    if under is not None:
        under(top, bottom, y_of)
    for value, label in ticks:
        y = y_of(value)
        if grid and scale.minimum < value < scale.maximum:
            canvas.back.append(
                f'<line class="grid" x1="{num(canvas.left)}" y1="{num(y)}" '
                f'x2="{num(canvas.right)}" y2="{num(y)}" stroke="{GRID}" stroke-width="1"/>'
            )
        canvas.text(canvas.left - 5, y + 4, label, size=11, fill=MUTED_TEXT, anchor="end")
    canvas.back.append(
        f'<rect class="plot-frame" x="{num(canvas.left)}" y="{num(top)}" '
        f'width="{num(canvas.plot_width)}" height="{num(height)}" fill="none" '
        f'stroke="{FRAME}" stroke-width="1"/>'
    )
    if over is not None:
        over(top, bottom, y_of)
    for line in lines:
        canvas.front.append(_series(canvas, key, line, y_of))
    canvas.plots.append((top, bottom))
    canvas.y = bottom + 6


def _series(canvas: _Canvas, plot: str, line: _Line, y_of: Callable[[float], float]) -> str:
    """One series: polylines for unbroken runs, then a marker at every value."""
    runs: list[list[tuple[float, float]]] = [[]]
    marks = []
    ids = f'class="point" data-plot="{esc(plot)}" data-series="{esc(line.key)}"'
    for session in canvas.sessions:
        if session.number not in line.values:
            # Not due at this session: the line runs on to the next administration.
            continue
        value = line.values[session.number]
        if value is None:
            # Not completed: break the line, never interpolate across a missed check-in.
            runs.append([])
            continue
        x, y = canvas.xs[session.number], y_of(value)
        runs[-1].append((x, y))
        attrs = f'{ids} data-session="{session.number}" data-value="{score(value)}"'
        marks.append(marker(line.style.marker, x, y, canvas.r, line.style.colour, attrs))
    dash = f' stroke-dasharray="{line.style.dash}"' if line.style.dash else ""
    polylines = [
        f'<polyline points="{" ".join(f"{num(x)},{num(y)}" for x, y in run)}" fill="none" '
        f'stroke="{line.style.colour}" stroke-width="2"{dash} stroke-linejoin="round"/>'
        for run in runs
        if len(run) > 1
    ]
    return (
        f'<g class="series" data-plot="{esc(plot)}" data-series="{esc(line.key)}">'
        + "".join(polylines)
        + "".join(marks)
        + "</g>"
    )


def _legend(canvas: _Canvas, items: Sequence[_Legend]) -> None:
    """Legend entries in rows that wrap at the plot's width."""
    x, row_y = canvas.left, canvas.y + 16
    limit = canvas.width - 8
    for item in items:
        # A legend may hold the client's goal in their words: wrapped, never cut.
        lines = _wrap_whole(item.text, 12, limit - canvas.left - 30)
        w = 26 + max(_words_width(line, 12) for line in lines) + 14
        if x > canvas.left and (x + w > limit or len(lines) > 1):
            x, row_y = canvas.left, row_y + 17
        _swatch(canvas, item, x, row_y - 4)
        for i, line in enumerate(lines):
            canvas.text(x + 26, row_y + 15 * i, line, extra=' class="legend"')
        if len(lines) > 1:
            x, row_y = limit, row_y + 15 * (len(lines) - 1)
        else:
            x += w
    canvas.y = row_y


def _swatch(canvas: _Canvas, item: _Legend, x: float, y: float) -> None:
    if item.kind == "series":
        dash = f' stroke-dasharray="{item.style.dash}"' if item.style.dash else ""
        canvas.labels.append(
            f'<line x1="{num(x)}" y1="{num(y)}" x2="{num(x + 20)}" y2="{num(y)}" '
            f'stroke="{item.style.colour}" stroke-width="2"{dash}/>'
        )
        canvas.labels.append(marker(item.style.marker, x + 10, y, 3.6, item.style.colour))
    elif item.kind == "area":
        canvas.labels.append(
            f'<rect x="{num(x)}" y="{num(y - 6)}" width="20" height="12" fill="{item.fill}" '
            f'stroke="{FRAME}" stroke-width="1"/>'
        )
    elif item.kind == "rc":
        canvas.labels.append(
            f'<rect x="{num(x)}" y="{num(y - 6)}" width="20" height="12" fill="{RC_FILL}" '
            f'fill-opacity="0.16" stroke="{RC_FILL}" stroke-dasharray="2 2"/>'
        )
    elif item.kind == "line":
        canvas.labels.append(
            f'<line x1="{num(x)}" y1="{num(y)}" x2="{num(x + 20)}" y2="{num(y)}" '
            f'stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
    elif item.kind == "gain":
        canvas.labels.append(_triangle_down(x + 10, y, GAIN_COLOUR))
    else:
        canvas.labels.append(_event_path(item.kind, x + 10, y))


def _event_path(kind: str, x: float, y: float) -> str:
    if kind == "rupture":
        # A cross for a break in the alliance.
        d = (
            f"M{num(x - 4)} {num(y - 4)}L{num(x + 4)} {num(y + 4)}"
            f"M{num(x + 4)} {num(y - 4)}L{num(x - 4)} {num(y + 4)}"
        )
        colour = RUPTURE_COLOUR
    else:
        # A tick for its repair.
        d = f"M{num(x - 4.5)} {num(y)}L{num(x - 1.5)} {num(y + 3.5)}L{num(x + 4.5)} {num(y - 4)}"
        colour = REPAIR_COLOUR
    return f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.2"/>'


def _event_mark(kind: str, x: float, y: float, session: int) -> str:
    return (
        f'<g class="event" data-kind="{kind}" data-session="{session}" '
        f'data-x="{num(x)}">{_event_path(kind, x, y)}</g>'
    )


def _triangle_down(x: float, y: float, colour: str, extra: str = "") -> str:
    pts = f"{num(x - 5)},{num(y - 4)} {num(x + 5)},{num(y - 4)} {num(x)},{num(y + 5)}"
    return f'<polygon {extra} points="{pts}" fill="{colour}"/>'.replace("<polygon  ", "<polygon ")


def _gain_mark(x: float, y: float, pre: int, post: int) -> str:
    extra = f'class="sudden-gain" data-pre="{pre}" data-post="{post}" data-x="{num(x)}"'
    return _triangle_down(x, y, GAIN_COLOUR, extra)


def _session_axis(canvas: _Canvas) -> None:
    """Session numbers under the last plot, thinned to stay legible, with some dates.

    A check-in point (``Session.kind == "checkin"``) gets an open ring for its tick, and
    its label and date whenever they fit beside the other check-ins' labels; session
    labels give way to them.
    """
    y = canvas.y + 8
    n = len(canvas.sessions)
    every = 1
    while n > 1 and canvas.step * every < 24:
        every += 1
    date_every = every
    while n > 1 and canvas.step * date_every < 64:
        date_every += every
    shown = list(range(0, n, every))
    # Always label the latest session; drop its neighbour when the two would collide.
    if shown[-1] != n - 1:
        if len(shown) > 1 and canvas.step * (n - 1 - shown[-1]) < 24:
            shown.pop()
        shown.append(n - 1)
    dated = {i for i in shown if i % date_every == 0}
    check_ins = [i for i, s in enumerate(canvas.sessions) if s.kind == "checkin"]
    centres: dict[int, float] = {}
    if check_ins:
        shown, dated, centres = _room_for_check_ins(canvas, shown, dated)
    for i in shown:
        session = canvas.sessions[i]
        x = canvas.xs[session.number]
        if i in centres:
            _check_in_label(canvas, session, centres[i], y)
            continue
        canvas.back.append(
            f'<line x1="{num(x)}" y1="{num(y - 8)}" x2="{num(x)}" y2="{num(y - 4)}" '
            f'stroke="{FRAME}" stroke-width="1"/>'
        )
        canvas.text(x, y + 6, session.shown, size=11, fill=MUTED_TEXT, anchor="middle")
        if i in dated:
            canvas.text(
                x, y + 20, _short_date(session.date), size=10, fill=MUTED_TEXT, anchor="middle"
            )
    canvas.text(
        canvas.left, y + 36, _t("Session"), size=12, fill=MUTED_TEXT, extra=' class="axis-title"'
    )
    if check_ins:
        # Every check-in point has its ring, labelled or not, so none reads as a session.
        for i in check_ins:
            x = canvas.xs[canvas.sessions[i].number]
            canvas.back.append(_check_in_ring(x, y - 6, canvas.sessions[i].number))
        _check_in_key(canvas, canvas.sessions[check_ins[0]].shown, y + 36)
    canvas.y = y + 40


# Room kept between two axis labels, on top of the estimated text widths.
_AXIS_GAP = 4.0


def _check_in_text(session: Session) -> tuple[str, str, float]:
    """A check-in point's two lines under the axis and the wider one's width."""
    label, date = session.shown, _short_date(session.date)
    return label, date, max(text_width(label, 10), text_width(date, 10))


def _room_for_check_ins(
    canvas: _Canvas, shown: list[int], dated: set[int]
) -> tuple[list[int], set[int], dict[int, float]]:
    """Label check-in points first, the latest first, each where it fits beside the
    check-in labels already placed; then drop any session number or date that would
    touch one. Returns the labelled indices, the dated ones and each check-in label's
    centre (moved inward at the chart's edges, so that no label is clipped)."""
    taken: list[tuple[float, float]] = []
    centres: dict[int, float] = {}
    for i in reversed(range(len(canvas.sessions))):
        session = canvas.sessions[i]
        if session.kind != "checkin":
            continue
        half = _check_in_text(session)[2] / 2
        x = canvas.xs[session.number]
        centre = min(max(x, half + 2), canvas.width - 2 - half)
        span = (centre - half - _AXIS_GAP, centre + half + _AXIS_GAP)
        if all(span[1] <= lo or hi <= span[0] for lo, hi in taken):
            taken.append(span)
            centres[i] = centre

    def clear(x: float, width: float) -> bool:
        return all(x + width / 2 <= lo or hi <= x - width / 2 for lo, hi in taken)

    kept = []
    for i in shown:
        session = canvas.sessions[i]
        x = canvas.xs[session.number]
        if session.kind == "session" and clear(x, text_width(session.shown, 11)):
            kept.append(i)
    dated = {
        i
        for i in dated
        if i in kept
        and clear(
            canvas.xs[canvas.sessions[i].number],
            text_width(_short_date(canvas.sessions[i].date), 10),
        )
    }
    return sorted([*kept, *centres]), dated, centres


def _check_in_ring(x: float, y: float, number: int | None = None) -> str:
    data = f' class="axis-check-in-tick" data-session="{number}"' if number is not None else ""
    return (
        f'<circle{data} cx="{num(x)}" cy="{num(y)}" r="2.5" fill="#FFFFFF" '
        f'stroke="{FRAME}" stroke-width="1.2"/>'
    )


def _check_in_label(canvas: _Canvas, session: Session, centre: float, y: float) -> None:
    label, date, _ = _check_in_text(session)
    extra = f' class="axis-check-in" data-session="{session.number}"'
    canvas.text(centre, y + 6, label, size=10, fill=MUTED_TEXT, anchor="middle", extra=extra)
    canvas.text(centre, y + 20, date, size=10, fill=MUTED_TEXT, anchor="middle", extra=extra)


def _check_in_key(canvas: _Canvas, label: str, y: float) -> None:
    """An open ring and the check-in label beside the axis title: the key to the rings."""
    x = canvas.left + text_width(_t("Session"), 12) + 18
    canvas.labels.append(_check_in_ring(x, y - 4))
    canvas.text(x + 7, y, label, size=12, fill=MUTED_TEXT, extra=' class="axis-key"')


def _milestone_labels(canvas: _Canvas, decisions: Sequence[Decision], client: bool) -> None:
    """Decision labels at the top, in rows so that no label overlaps another label or
    is crossed by the stub that runs down from a flag in a row above it."""
    # (row, start, end, x) of every label placed so far.
    taken: list[tuple[int, float, float, float]] = []
    placed: list[tuple[int, float, str, str]] = []
    ordered = sorted(decisions, key=lambda d: d.session)
    for d in ordered:
        label = _decision_label(d, client)
        x = canvas.xs[d.session]
        w = text_width(label, 12) + 14
        anchor = "start" if x + w <= canvas.width - 4 else "end"
        start = x if anchor == "start" else x - w
        end = start + w
        # Labels at (nearly) the same session cannot avoid each other's stubs: cap the
        # search so that such a pair still gets a row of its own.
        row = 0
        while row <= len(taken) and any(_clash(row, start, end, x, o) for o in taken):
            row += 1
        if row > len(taken):
            row = 1 + max(t[0] for t in taken)
        taken.append((row, start, end, x))
        placed.append((row, x, label, anchor))
    rows = 1 + max((t[0] for t in taken), default=-1)
    canvas.y += 6
    for (row, x, label, anchor), d in zip(placed, ordered, strict=True):
        y = canvas.y + row * 17 + 12
        # The stub starts at this flag, so it never crosses a label in a row above.
        canvas.stub_tops[d.session] = min(canvas.stub_tops.get(d.session, y), y - 10)
        flag = f"{num(x)},{num(y - 10)} {num(x + 7)},{num(y - 6.5)} {num(x)},{num(y - 3)}"
        canvas.labels.append(f'<polygon points="{flag}" fill="{MILESTONE}"/>')
        tx = x + 10 if anchor == "start" else x - 4
        canvas.text(tx, y, label, fill=MILESTONE, anchor=anchor, extra=' class="milestone-label"')
    canvas.y += rows * 17
    canvas.milestone_bottom = canvas.y + 2


def _clash(
    row: int, start: float, end: float, x: float, other: tuple[int, float, float, float]
) -> bool:
    """Would a label at (row, start..end) with its flag at x collide with ``other``?"""
    o_row, o_start, o_end, o_x = other
    if o_row == row:
        return start < o_end + 6 and o_start < end + 6
    if o_row < row:
        # The other flag's stub runs down through this row.
        return start - 2 <= o_x <= end + 2
    # This flag's stub runs down through the other's row.
    return o_start - 2 <= x <= o_end + 2


def _milestone_lines(canvas: _Canvas, decisions: Sequence[Decision]) -> None:
    """Each decision: a stub under its flag, then a segment through every plot.

    Segments stop at plot edges so that they never strike through titles or legends.
    """
    if not decisions:
        return
    for d in decisions:
        x = canvas.xs[d.session]
        spans = list(canvas.plots)
        if d.session in canvas.stub_tops:
            spans.insert(0, (canvas.stub_tops[d.session], canvas.milestone_bottom))
        for top, bottom in spans:
            canvas.back.append(
                f'<line class="milestone" data-session="{d.session}" x1="{num(x)}" '
                f'y1="{num(top)}" x2="{num(x)}" y2="{num(bottom)}" stroke="{MILESTONE}" '
                f'stroke-width="1.5" stroke-dasharray="5 3"/>'
            )


# --- words and shading ---------------------------------------------------------------


def _goal_label(short: str, wording: str) -> str:
    return f"“{' '.join((short or wording).split())}”"


# Advance widths (em) of DejaVu Sans, rounded up, by letter class; Verdana's are close.
_NARROW = frozenset(" !'(),-./:;Iijl|")
_SLIM = frozenset('"frt“”‘’')
_WIDE = {"m": 0.98, "w": 0.82, "M": 0.87, "W": 0.99, "@": 1.0, "%": 0.95, "…": 1.0}


def _char_width(c: str) -> float:
    if c in _NARROW:
        return 0.33
    if c in _SLIM:
        return 0.46
    if c in _WIDE:
        return _WIDE[c]
    if ord(c) >= 0x2E80:
        # CJK and the like fall back to a full-width font.
        return 1.0
    return 0.78 if c.isupper() else 0.64


def _words_width(text: str, size: float) -> float:
    """A generous estimate of the rendered width, letter by letter, so that wrapped words
    stay inside the chart whatever the letters."""
    return sum(_char_width(c) for c in text) * size


def _wrap_whole(text: str, size: float, width: float) -> list[str]:
    """Every word on as many lines as it takes; a word longer than a line is split."""
    words: list[str] = []
    for word in clean(text).split():
        while _words_width(word, size) > width and len(word) > 1:
            cut = 1
            while _words_width(word[: cut + 1], size) <= width:
                cut += 1
            words.append(word[:cut])
            word = word[cut:]
        words.append(word)
    lines: list[str] = []
    current = ""
    for word in words:
        trial = f"{current} {word}" if current else word
        if current and _words_width(trial, size) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines or [""]


def _decision_label(d: Decision, client: bool) -> str:
    if d.label.strip():
        label = " ".join(d.label.split())
        return _t(label) if client else label
    return _t(PHASE_CLIENT_NAMES[d.phase]) if client else PHASE_CLIENT_NAMES[d.phase]


def _ticks_0_10() -> list[tuple[float, str]]:
    return [(0.0, "0"), (5.0, "5"), (10.0, "10")]


def _word_ticks(scale: Scale) -> list[tuple[float, str]]:
    return [(scale.maximum, _t("higher")), (scale.minimum, _t("lower"))]


def _intake(s: Symptoms, sessions: Sequence[Session]) -> float | None:
    """The intake score: given, or else the first completed score on the axis."""
    if s.intake is not None:
        return s.intake
    for session in sessions:
        value = s.values.get(session.number)
        if value is not None:
            return value
    return None


def _band_spans(s: Symptoms) -> list[tuple[float, float, str, str]]:
    """Therapist bands as (low, high, label, tint), each running up to the next band's start."""
    bands = sorted(s.bands, key=lambda b: b.minimum)
    out = []
    for i, band in enumerate(bands):
        lo = max(band.minimum, s.scale.minimum)
        hi = bands[i + 1].minimum if i + 1 < len(bands) else band.maximum
        hi = min(hi, s.scale.maximum)
        if hi > lo:
            out.append((lo, hi, band.label, BAND_TINTS[min(i, len(BAND_TINTS) - 1)]))
    return out


def _client_zones(s: Symptoms) -> list[tuple[float, float, str, str]]:
    """Plain-words zones: the bands' own client labels, or lower/higher range at the cutoff."""
    if s.bands and all(b.client_label for b in s.bands):
        spans = _band_spans(s)
        labels = [b.client_label for b in sorted(s.bands, key=lambda b: b.minimum)]
        return [(lo, hi, labels[i], tint) for i, (lo, hi, _, tint) in enumerate(spans)]
    if s.cutoff is None or not s.scale.minimum < s.cutoff < s.scale.maximum:
        return []
    lower, higher = _range_words(s)
    return [
        (s.scale.minimum, s.cutoff, lower, BAND_TINTS[0]),
        (s.cutoff, s.scale.maximum, higher, BAND_TINTS[3]),
    ]


def _range_words(s: Symptoms) -> tuple[str, str]:
    name = _t(s.client_name)
    return (
        _t("%(name)s: lower range") % {"name": name},
        _t("%(name)s: higher range") % {"name": name},
    )


def _client_range(s: Symptoms, value: float) -> str:
    """The plain-words range a client sees in place of a symptom score."""
    zones = _client_zones(s)
    for lo, hi, label, _ in zones:
        if lo <= value < hi:
            return label
    if zones and value >= zones[-1][1] - 1e-9:
        return zones[-1][2]
    return f"{s.client_name}: recorded"


def _therapist_band(bands: Sequence[Band], value: float) -> str:
    for band in bands:
        if band.minimum <= value <= band.maximum:
            return band.label
    return ""


def _short_date(d: datetime.date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]}"


def _long_date(d: datetime.date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- title, description and table ---------------------------------------------------


def _title(journey: Journey, client: bool) -> str:
    if client:
        return _t("Your journey so far")
    if not journey.sessions:
        return "Journey: no sessions yet"
    first, last = journey.sessions[0], journey.sessions[-1]
    return f"Journey: {_count(journey)}, {_long_date(first.date)} to {_long_date(last.date)}"


def _count(journey: Journey) -> str:
    """ "40 sessions", or "5 sessions and 1 check-in without a session"."""
    n = sum(s.kind == "session" for s in journey.sessions)
    k = len(journey.sessions) - n
    text = f"{n} session{'s' if n != 1 else ''}" if n else "no sessions"
    if k:
        text += f" and {k} check-in{'s' if k != 1 else ''} without a session"
    return text


def _point_name(journey: Journey, number: int) -> str:
    """How a sentence names a point: "session 4", or "check-in of 6 Dec 2026"."""
    point = next(s for s in journey.sessions if s.number == number)
    if point.kind == "session":
        return f"session {point.shown}"
    return f"{point.shown} of {_long_date(point.date)}"


def _description(journey: Journey, client: bool) -> str:
    parts = []
    if journey.sessions:
        first, last = journey.sessions[0], journey.sessions[-1]
        sessions = [s for s in journey.sessions if s.kind == "session"]
        what = (
            f"Sessions {sessions[0].shown} to {sessions[-1].shown}" if sessions else "No sessions"
        )
        if k := len(journey.sessions) - len(sessions):
            what += f" and {k} check-in{'s' if k != 1 else ''} without a session"
        parts.append(
            f"{what} ({_long_date(first.date)} to {_long_date(last.date)}), one lane under another."
        )
    own = []
    if journey.goals:
        own.append(f"{len(journey.goals)} goal{'s' if len(journey.goals) > 1 else ''}")
    if journey.felt_change:
        own.append("Felt Change item by item" if not client else "how change feels")
    parts.append(
        ("In your own words: " if client else "Own words: ")
        + (", ".join(own) + ", each 0 to 10." if own else "nothing yet.")
    )
    growth = [m.client_name if client else m.name for m in journey.growth]
    parts.append(
        "Growth: " + (", ".join(growth) + ", each on its own scale." if growth else "nothing yet.")
    )
    if client:
        parts.append("Our work together: your Session Reflection, 0 to 10.")
    else:
        ruptures = sum(e.kind == "rupture" for e in journey.events)
        repairs = sum(e.kind == "repair" for e in journey.events)
        parts.append(
            "Relationship: Session Reflection against Therapist Rating, 0 to 10; "
            f"{ruptures} rupture{'s' if ruptures != 1 else ''} and "
            f"{repairs} repair{'s' if repairs != 1 else ''} marked."
        )
    s = journey.symptoms
    if s is not None and client:
        parts.append(
            f"{_capital(s.client_name)}, shown as lower or higher range. {NOT_A_DIAGNOSIS}"
        )
    elif s is not None:
        text = f"Symptoms: {s.name} with its bands"
        if s.cutoff is not None:
            text += f", the cutoff at {score(s.cutoff)}"
        intake = _intake(s, journey.sessions)
        if s.rc_points is not None and intake is not None:
            text += f", the reliable-change band (intake {score(intake)} ± {score(s.rc_points)})"
        gains = len(s.sudden_gains)
        text += f"; {gains} sudden gain{'s' if gains != 1 else ''} marked."
        parts.append(text)
    if journey.decisions:
        marks = "; ".join(
            f"{_point_name(journey, d.session)}: {_decision_label(d, client)}"
            for d in sorted(journey.decisions, key=lambda d: d.session)
        )
        parts.append(f"Decisions: {marks}.")
    parts.append("The table after the chart gives every value.")
    return " ".join(parts)


def _cell(values: Values, number: int, show: Callable[[float], str] = score) -> str:
    if number not in values:
        return ""
    value = values[number]
    return _t(NOT_COMPLETED) if value is None else show(value)


def _column(values: Values, show: Callable[[float], str] = score) -> Callable[[int], str]:
    return lambda number: _cell(values, number, show)


def _table(journey: Journey, client: bool, title: str) -> Table:
    columns = (
        [_t("Session"), _t("Date"), _t("Decision")] if client else ["Session", "Date", "Decision"]
    )
    getters: list[Callable[[int], str]] = []
    for goal in journey.goals:
        goal_words = " ".join((goal.short or goal.wording).split())
        columns.append(f"{_t('Goal') if client else 'Goal'}: {goal_words}")
        getters.append(_column(goal.values))
    for item in journey.felt_change:
        columns.append(item.label)
        getters.append(_column(item.values))
    for m in journey.growth:
        columns.append(_capital(_t(m.client_name)) if client else m.name)
        getters.append(_column(m.values))
    if journey.reflection is not None:
        columns.append(_t("Your Session Reflection") if client else "Session Reflection")
        getters.append(_column(journey.reflection.values))
    if not client and journey.therapist_rating is not None:
        columns.append("Therapist Rating")
        getters.append(_column(journey.therapist_rating.values))
    if journey.moments:
        columns.append(_t("Moments that matter") if client else "Moments that matter")
        getters.append(lambda n: "; ".join(m.text for m in journey.moments if m.session == n))
    symptoms = journey.symptoms
    if symptoms is not None:
        columns.append(_capital(_t(symptoms.client_name)) if client else symptoms.name)
        getters.append(_column(symptoms.values, _symptom_words(symptoms, client)))
    if not client:
        columns.append("Notes")
        getters.append(lambda n: _notes(journey, n))

    decisions: dict[int, list[str]] = {}
    for d in journey.decisions:
        label = _decision_label(d, client)
        if not client:
            label += f" ({PHASE_THERAPIST_NAMES[d.phase]})"
        decisions.setdefault(d.session, []).append(label)
    rows = tuple(
        (
            session.shown,
            _long_date(session.date),
            "; ".join(decisions.get(session.number, [])),
            *(get(session.number) for get in getters),
        )
        for session in journey.sessions
    )
    caption = _t("%(title)s: the data behind the chart") % {"title": title}
    return Table(caption=caption, columns=tuple(columns), rows=rows)


def _symptom_words(s: Symptoms, client: bool) -> Callable[[float], str]:
    """Client: the plain-words range in place of the score. Therapist: score (band)."""
    if client:
        return lambda v: _client_range(s, v)

    def with_band(v: float) -> str:
        band = _therapist_band(s.bands, v)
        return f"{score(v)} ({band})" if band else score(v)

    return with_band


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _notes(journey: Journey, number: int) -> str:
    notes = []
    for e in journey.events:
        if e.session == number:
            note = " ".join(e.note.split())
            notes.append(f"{e.kind}: {note}" if note else e.kind)
    if journey.symptoms is not None:
        for gain in journey.symptoms.sudden_gains:
            if gain.post_session == number:
                notes.append(f"sudden gain from {_point_name(journey, gain.pre_session)}")
    return "; ".join(notes)


def symptom_words(
    s: Symptoms, value: float, *, translate: Callable[[str], str] | None = None
) -> str:
    """The plain-words range a client reads in place of a symptom score
    ("low mood: higher range"); never a band name or a number."""
    token = _TRANSLATE.set(translate) if translate is not None else None
    try:
        return _client_range(s, value)
    finally:
        if token is not None:
            _TRANSLATE.reset(token)
