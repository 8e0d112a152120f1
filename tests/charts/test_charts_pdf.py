"""The same SVG string goes into the PDF: WeasyPrint draws it (slow: a PDF per test)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from plusone.charts import render_journey
from plusone.charts.sample import sample_journey
from plusone.charts.svg import SYMPTOM_STYLE

pytestmark = pytest.mark.slow


def _needs(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing")
        pytest.skip(f"{tool} is not installed")


def test_it_draws_the_journey_svg_unchanged_in_a_weasyprint_pdf(tmp_path):
    _needs("pdftoppm")
    from PIL import Image
    from weasyprint import HTML

    chart = render_journey(sample_journey(40))
    # The PDF's own stylesheet scales the chart to the page, as docs/charts.md shows.
    css = "@page { size: A4; margin: 12mm } svg.chart-journey { width: 100%; height: auto }"
    page = (
        f'<html lang="en"><head><style>{css}</style></head><body><h1>Journey</h1>'
        f"{chart.svg}{chart.table.html()}</body></html>"
    )
    pdf = tmp_path / "journey.pdf"
    HTML(string=page).write_pdf(pdf, pdf_tags=True)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    raw = image.tobytes()
    pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    target = tuple(int(SYMPTOM_STYLE.colour[i : i + 2], 16) for i in (1, 3, 5))
    # Pixels near the symptom line's navy only appear if the SVG was drawn.
    close = sum(1 for px in pixels if sum(abs(a - b) for a, b in zip(px, target, strict=True)) < 60)
    assert close > 50
