"""HTML to PDF: one place where WeasyPrint is called, always with ``pdf_tags=True``.

A report is rendered to HTML by a Django template first (``Rendered.html``), so a test
can read exactly what went into the PDF, and the PDF is drawn from that string.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

# The reports' stylesheet: a file beside this module, since templates carry no <style>.
STYLESHEET = Path(__file__).with_name("pdf.css")


@dataclass(frozen=True)
class Rendered:
    """A report's HTML, the chart SVG it embeds ("" when none), and its PDF bytes."""

    html: str
    svg: str
    pdf: bytes


def render_pdf(template: str, context: dict[str, Any], *, svg: str = "") -> Rendered:
    """Render ``template`` with ``context`` and draw it as a tagged PDF (PDF/UA structure)."""
    # local: WeasyPrint is heavy to load; only the report path needs it.
    from weasyprint import CSS, HTML

    html = render_to_string(template, context)
    pdf = HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))], pdf_tags=True)
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return Rendered(html=html, svg=svg, pdf=pdf)
