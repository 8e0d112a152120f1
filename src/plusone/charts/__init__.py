"""Server-side SVG charts: one module for the page, the review-together layout and PDFs.

No Django and no JavaScript: every function takes plain dataclasses and returns
strings. See docs/charts.md.
"""

from plusone.charts.journey import Chart, render_journey, symptom_words
from plusone.charts.model import (
    PHASE_CLIENT_NAMES,
    ZERO_TO_TEN,
    Band,
    Decision,
    Goal,
    GrowthMeasure,
    Journey,
    Moment,
    RelationshipEvent,
    Scale,
    Series,
    Session,
    SuddenGain,
    Symptoms,
)
from plusone.charts.sparkline import render_sparkline
from plusone.charts.table import Table

__all__ = [
    "PHASE_CLIENT_NAMES",
    "ZERO_TO_TEN",
    "Band",
    "Chart",
    "Decision",
    "Goal",
    "GrowthMeasure",
    "Journey",
    "Moment",
    "RelationshipEvent",
    "Scale",
    "Series",
    "Session",
    "SuddenGain",
    "Symptoms",
    "Table",
    "render_journey",
    "render_sparkline",
    "symptom_words",
]
