"""Build chart inputs from instrument definitions (``plusone.core``, no Django).

These save the caller from copying an instrument's range, bands, cutoff and RC points
by hand: the chart then shows exactly what the definition file says.
"""

from __future__ import annotations

from plusone.charts.model import Band, GrowthMeasure, Scale, SuddenGain, Symptoms, Values
from plusone.core.instruments import Instrument


def scale_of(instrument: Instrument) -> Scale:
    """The instrument's total-score range and better direction."""
    lo, hi = instrument.score_range
    return Scale(lo, hi, instrument.direction)


def symptoms_from_instrument(
    instrument: Instrument,
    values: Values,
    *,
    sudden_gains: tuple[SuddenGain, ...] = (),
    intake: float | None = None,
) -> Symptoms:
    """The symptom lane for a primary measure: its bands, cutoff and RC points."""
    return Symptoms(
        key=instrument.key,
        name=instrument.short_title,
        client_name=instrument.client_label or instrument.short_title,
        scale=scale_of(instrument),
        values=values,
        bands=tuple(Band(b.min, b.max, b.label) for b in instrument.bands),
        cutoff=instrument.cutoff,
        rc_points=instrument.rc.points if instrument.rc is not None else None,
        sudden_gains=sudden_gains,
        intake=intake,
    )


def growth_from_instrument(instrument: Instrument, values: Values) -> GrowthMeasure:
    """A growth plot on the instrument's own scale, named in its plain words."""
    return GrowthMeasure(
        key=instrument.key,
        name=instrument.short_title,
        client_name=instrument.client_label or instrument.short_title,
        scale=scale_of(instrument),
        values=values,
    )
