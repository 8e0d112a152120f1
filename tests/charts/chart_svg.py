"""Helpers that read a rendered chart back with xml.etree.ElementTree."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

from plusone.charts import Journey, Session

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def find_all(
    root: ET.Element, tag: str = "*", cls: str | None = None, **data: str
) -> list[ET.Element]:
    """Elements by tag (without namespace), class and data-* attributes."""
    out = []
    for el in root.iter():
        if tag != "*" and el.tag != NS + tag:
            continue
        if cls is not None and cls not in (el.get("class") or "").split():
            continue
        if any(el.get(f"data-{k.replace('_', '-')}") != v for k, v in data.items()):
            continue
        out.append(el)
    return out


def one(root: ET.Element, tag: str = "*", cls: str | None = None, **data: str) -> ET.Element:
    found = find_all(root, tag, cls, **data)
    assert len(found) == 1, f"expected one {tag}.{cls} {data}, found {len(found)}"
    return found[0]


def centre(el: ET.Element) -> tuple[float, float]:
    """The centre of a marker's bounding box (circle, rect or polygon)."""
    tag = el.tag.removeprefix(NS)
    if tag == "circle":
        return float(el.get("cx")), float(el.get("cy"))
    if tag == "rect":
        x, y = float(el.get("x")), float(el.get("y"))
        return x + float(el.get("width")) / 2, y + float(el.get("height")) / 2
    if tag == "polygon":
        pts = [tuple(map(float, p.split(","))) for p in el.get("points").split()]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    raise AssertionError(f"not a marker: {tag}")


def box(el: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a rect."""
    x, y = float(el.get("x")), float(el.get("y"))
    return x, y, x + float(el.get("width")), y + float(el.get("height"))


def point(root: ET.Element, series: str, session: int) -> tuple[float, float]:
    return centre(one(root, cls="point", series=series, session=str(session)))


def y_for(plot_area: ET.Element, value: float, lo: float, hi: float) -> float:
    """Where a value belongs on a plot whose scale runs lo (bottom) to hi (top)."""
    _, top, _, bottom = box(plot_area)
    return top + (hi - value) / (hi - lo) * (bottom - top)


def all_text(root: ET.Element) -> str:
    return " ".join("".join(el.itertext()) for el in root.iter(NS + "text"))


def weekly(n: int) -> tuple[Session, ...]:
    start = datetime.date(2026, 2, 2)
    return tuple(Session(i, start + datetime.timedelta(weeks=i - 1)) for i in range(1, n + 1))


def axis_only(n: int) -> Journey:
    return Journey(sessions=weekly(n))
