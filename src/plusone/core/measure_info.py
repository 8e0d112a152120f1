"""What the rules need to know about an instrument, and which reliable-change points apply.

``propose`` and ``plusone.core.batch`` both take their instrument parameters
from here, after ``effective_infos`` has applied the policy's choice of RC
points (the sourced parameters, or a named service convention), so the two
paths never hold a threshold of their own.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from plusone.core.policy import RC_CONVENTIONS, TOPP_2015_CITATION, Policy


@dataclass(frozen=True)
class MeasureInfo:
    """What the rules need to know about an instrument.

    ``severe`` is the (min, max) of the instrument's severe (top) band.
    ``rc_points`` is None when the instrument has no sourced RC parameters;
    ``rc_source`` says where the RC points come from, for the trace.
    """

    key: str
    title: str
    direction: Literal["lower", "higher"] = "lower"
    cutoff: float | None = None
    rc_points: int | None = None
    severe: tuple[float, float] | None = None
    rc_source: str = ""

    @property
    def sign(self) -> float:
        """+1 when a fall in the raw score is an improvement."""
        return 1.0 if self.direction == "lower" else -1.0

    def below_cutoff(self, total: float) -> bool:
        """On the better side of the cutoff (strictly; a score at the cutoff is clinical)."""
        assert self.cutoff is not None
        return total < self.cutoff if self.direction == "lower" else total > self.cutoff

    def in_severe(self, total: float) -> bool:
        return self.severe is not None and self.severe[0] <= total <= self.severe[1]


@functools.cache
def instrument_infos() -> dict[str, MeasureInfo]:
    """Every shipped instrument's MeasureInfo, by key, from its data file (cached).

    The default ``measures`` of ``propose`` and ``run_batch``; callers that run
    many clients pass it once. The RC convention is not applied here (see
    ``effective_infos``).
    """
    from plusone.core.instruments import all_instruments

    out: dict[str, MeasureInfo] = {}
    for key, inst in all_instruments().items():
        severe_bands = [b for b in inst.bands if b.severe]
        severe = (severe_bands[-1].min, severe_bands[-1].max) if severe_bands else None
        rc = inst.rc
        out[key] = MeasureInfo(
            key=key,
            title=inst.short_title or inst.title,
            direction=inst.direction,
            cutoff=inst.cutoff,
            rc_points=rc.points if rc is not None else None,
            severe=severe,
            rc_source=rc.basis if rc is not None else "",
        )
    return out


def measure_info(key: str) -> MeasureInfo:
    """MeasureInfo for an instrument key from its data file (unknown keys get no parameters)."""
    return instrument_infos().get(key, MeasureInfo(key=key, title=key))


def effective_infos(infos: Mapping[str, MeasureInfo], policy: Policy) -> Mapping[str, MeasureInfo]:
    """The instrument parameters with the policy's RC convention applied (``rc_convention``)."""
    convention = RC_CONVENTIONS.get(policy.rc_convention)
    if convention is None:
        return infos
    out = dict(infos)
    for key, points in convention.points.items():
        base = infos.get(key)
        if base is not None:
            out[key] = dataclasses.replace(
                base,
                rc_points=points,
                rc_source=f"{convention.label}, chosen by the policy's rc_convention",
            )
    return out


def growth_points(key: str, info: MeasureInfo, policy: Policy) -> tuple[int | None, str]:
    """The change a growth measure must show to count as up or down, and what it is called."""
    if key == "who5" and policy.who5_change == "topp_2015":
        return policy.who5_topp_points, (
            f"Topp et al. 2015's {policy.who5_topp_points}-point 'clinically relevant' change, "
            f"a policy alternative, not a reliable change ({TOPP_2015_CITATION})"
        )
    return info.rc_points, ""
