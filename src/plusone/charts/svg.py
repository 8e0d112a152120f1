"""Small SVG helpers: escaping, number formatting, text fitting and the palette.

Everything here returns plain strings. No ``style`` attribute, ``<style>`` element or
script is ever produced: colours and dashes are SVG presentation attributes, which a
strict Content-Security-Policy allows.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

# Characters XML 1.0 forbids (C0 controls except tab/newline/CR, surrogates, U+FFFE/F).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

TEXT = "#1F2328"
MUTED_TEXT = "#4A525C"
GRID = "#D8DDE3"
FRAME = "#8C959F"
BACKGROUND = "#FFFFFF"
MILESTONE = "#5B3A8C"


@dataclass(frozen=True)
class Style:
    """How one series is drawn: colour, dash pattern and marker shape.

    Each style differs from the others in all three, so no reader depends on colour.
    """

    colour: str
    dash: str
    marker: str


# Okabe-Ito hues, darkened where needed so every line keeps 3:1 against white
# (WCAG 1.4.11) and against the lightest band tints; tests check the ratios.
STYLES: tuple[Style, ...] = (
    Style("#0060A0", "", "circle"),
    Style("#C04E00", "6 3", "square"),
    Style("#00785A", "2 3", "triangle"),
    Style("#A3326F", "8 3 2 3", "diamond"),
)

SYMPTOM_STYLE = Style("#0B2F57", "", "circle")
RUPTURE_COLOUR = "#B03A00"
REPAIR_COLOUR = "#00664D"
GAIN_COLOUR = "#1F2328"

# Sequential tints, light to darker, so the band order reads without colour.
BAND_TINTS: tuple[str, ...] = ("#F3F6F9", "#E6ECF2", "#D9E1EA", "#CBD6E2", "#BECBDA", "#B1C0D2")
RC_FILL = "#6E7781"


def clean(text: str) -> str:
    """Drop characters that XML 1.0 cannot carry; keep everything else."""
    return _XML_INVALID.sub("", text)


def esc(text: str) -> str:
    """Escape text for an XML text node or a double-quoted attribute."""
    return html.escape(clean(text), quote=True)


def num(value: float) -> str:
    """Format a coordinate compactly (two decimals at most)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def score(value: float) -> str:
    """Format a score for people: whole numbers plain, others to one decimal."""
    if math.isclose(value, round(value), abs_tol=1e-9):
        return str(round(value))
    return f"{value:.1f}"


def text_width(text: str, size: float) -> float:
    """Estimate the rendered width of sans-serif text (no font metrics on the server)."""
    return len(text) * size * 0.56


def fit(text: str, size: float, width: float) -> str:
    """Shorten text with an ellipsis so that it fits ``width`` at font ``size``."""
    text = " ".join(clean(text).split())
    if text_width(text, size) <= width:
        return text
    keep = max(1, int(width / (size * 0.56)) - 1)
    return text[:keep].rstrip() + "…"


def wrap(text: str, size: float, width: float, max_lines: int = 3) -> list[str]:
    """Break text into lines that fit ``width``; the last line ends in "…" if cut."""
    words = clean(text).split()
    lines: list[str] = []
    current = ""
    for i, word in enumerate(words):
        trial = f"{current} {word}" if current else word
        if text_width(trial, size) <= width or not current:
            current = trial
            continue
        if len(lines) == max_lines - 1:
            rest = " ".join([current, *words[i:]])
            lines.append(fit(rest, size, width))
            return lines
        lines.append(current)
        current = word
    if current:
        lines.append(fit(current, size, width))
    return lines


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of a #RRGGBB colour."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two #RRGGBB colours."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def marker(shape: str, x: float, y: float, r: float, colour: str, extra: str = "") -> str:
    """One point marker centred on (x, y). ``extra`` carries class and data attributes."""
    if shape == "square":
        s = r * 0.9
        return (
            f'<rect {extra} x="{num(x - s)}" y="{num(y - s)}" width="{num(2 * s)}" '
            f'height="{num(2 * s)}" fill="{colour}"/>'
        )
    if shape == "triangle":
        # Symmetric about y, so the bounding box is centred on the point.
        tri = ((x, y - r * 1.05), (x + r * 1.2, y + r * 1.05), (x - r * 1.2, y + r * 1.05))
        return f'<polygon {extra} points="{_pts(tri)}" fill="{colour}"/>'
    if shape == "diamond":
        d = r * 1.25
        dia = ((x, y - d), (x + d, y), (x, y + d), (x - d, y))
        return f'<polygon {extra} points="{_pts(dia)}" fill="{colour}"/>'
    return f'<circle {extra} cx="{num(x)}" cy="{num(y)}" r="{num(r)}" fill="{colour}"/>'


def _pts(points: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{num(px)},{num(py)}" for px, py in points)


def nice_ticks(lo: float, hi: float, most: int = 5) -> list[float]:
    """Round tick values from lo to hi, at most ``most`` of them."""
    span = hi - lo
    for step in (1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if span / step <= most - 1:
            break
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + 1e-9:
        ticks.append(value)
        value += step
    return ticks
