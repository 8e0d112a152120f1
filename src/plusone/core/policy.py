"""Every named threshold the proposal rules use, with DESIGN.md's defaults.

A practice may override any of them in a TOML file (``plusone analyze --policy
FILE``); unknown keys are refused so that a typo never silently keeps a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, key and reason."""


@dataclass(frozen=True)
class RcConvention:
    """A service's own reliable-change points, used instead of the sourced ones when chosen."""

    label: str
    citation: str
    points: Mapping[str, int]


# Named alternatives to the sourced RC parameters (policy key ``rc_convention``).
RC_CONVENTIONS: Mapping[str, RcConvention] = {
    "nhs_talking_therapies": RcConvention(
        label="the NHS Talking Therapies convention",
        citation=(
            "NHS Talking Therapies for Anxiety and Depression Manual (National "
            "Collaborating Centre for Mental Health, for NHS England): reliable improvement "
            "is a change of at least 6 points on the PHQ-9 and 4 on the GAD-7"
        ),
        points={"phq9": 6, "gad7": 4},
    ),
}
# Topp et al. 2015's "clinically relevant" WHO-5 change: a named alternative, not a reliable change.
TOPP_2015_CITATION = (
    "Topp CW, Østergaard SD, Søndergaard S, Bech P. The WHO-5 Well-Being Index: a systematic "
    "review of the literature. Psychother Psychosom. 2015;84(3):167-176"
)
# The allowed values of the policy's text keys, the default first.
CHOICES: Mapping[str, tuple[str, ...]] = {
    "rc_convention": ("sourced", *RC_CONVENTIONS),
    "who5_change": ("reliable_change", "topp_2015"),
}


@dataclass(frozen=True)
class Policy:
    """The thresholds of DESIGN.md's rule terms (docs/policy.md describes each)."""

    # Flat: the shortest run of the latest administrations with >= k of them spanning >= N days.
    k: int = 4
    window_days: int = 28
    # A criterion with no data in this many weeks is unknown.
    lane_max_age_weeks: int = 8
    # Goals score (mean of the latest ratings) compared with this mark.
    goal_mark: float = 7.0
    # Goals reliably up: the mean has risen by at least this much.
    goal_rc_points: float = 3.0
    # Felt Change "I feel different in a way that holds" meets its mark at this value.
    felt_change_holds_mark: float = 7.0
    # Observers agree (corroborating Consolidating, never vetoing it) when the mean of the
    # latest round's Observed Change ratings in Deepening is at least this.
    observer_agrees_mark: float = 7.0
    # Stuckness low: "My life feels stuck" at or below this value.
    stuckness_low_max: float = 3.0
    # Consolidating: primary below cutoff for an unbroken run of >= weeks and >= admins.
    consolidating_weeks: int = 12
    consolidating_min_admins: int = 3
    # Consolidating: at least this many attended sessions since the Deepening decision.
    deepening_min_sessions: int = 8
    # MHC-SF "twice": the last two flourishing results at least this many days apart.
    mhcsf_min_days_apart: int = 28
    # Consolidating -> Ending: at least this many weeks in Consolidating.
    consolidating_to_ending_weeks: int = 8
    # Spike exit: a rise of >= RC points lasting this many consecutive administrations.
    spike_lasts: int = 3
    # Spike exit: at or above cutoff this many administrations in a row.
    spike_above_cutoff_in_a_row: int = 2
    # A review is every Nth session (and every phase decision).
    review_every: int = 8
    # A declined proposal is not repeated for this long when the decision has no review date.
    decline_review_weeks: int = 6
    # Not progressing: judged from this administration on.
    not_progressing_from: int = 8
    # Deterioration: compared with the best of this many administrations before the current.
    deterioration_lookback: int = 8
    # Possible rupture: any reflection item at or below this value.
    rupture_item_max: float = 6.0
    # Possible rupture: the reflection score this far below the median of the previous ones.
    rupture_drop: float = 2.0
    rupture_median_of: int = 5
    # The relative rupture rule applies from this reflection on (1-based).
    rupture_relative_from: int = 4
    # Follow-ups offered with a good-enough ending, in months.
    follow_up_months: tuple[int, ...] = (3, 6)
    # The growth lane's instruments, in the order the trace lists them.
    growth_instruments: tuple[str, ...] = ("swls", "who5", "mhcsf", "mlq", "flourishing")
    # Intake route: the +1 threshold from this administration on (never on two readings).
    intake_route_from: int = 3
    # Step back from the +1 threshold (and to Stabilizing from Consolidating): risk grade >= this.
    step_back_risk_grade: int = 2
    # Possible rupture: the therapist rates an item at least this far above the client's reflection.
    congruence_gap: float = 2.0
    # RC points: "sourced" (each instrument's cited clinical sample) or a named convention.
    rc_convention: str = "sourced"
    # WHO-5 growth: "reliable_change" (its RC points) or "topp_2015" (who5_topp_points).
    who5_change: str = "reliable_change"
    # Topp et al. 2015's "clinically relevant" WHO-5 change (only with who5_change "topp_2015").
    who5_topp_points: int = 10

    # The week-counted terms in days, so that both rule paths compare days with one number.
    @property
    def lane_max_age_days(self) -> int:
        return self.lane_max_age_weeks * 7

    @property
    def consolidating_days(self) -> int:
        return self.consolidating_weeks * 7

    @property
    def consolidating_to_ending_days(self) -> int:
        return self.consolidating_to_ending_weeks * 7

    @property
    def decline_review_days(self) -> int:
        return self.decline_review_weeks * 7


def policy_from_mapping(data: dict[str, Any], *, source: str = "policy") -> Policy:
    """Build a Policy from a mapping, refusing unknown keys and values of the wrong type."""
    known = {f.name: f for f in fields(Policy)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise PolicyError(
            f"{source}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}"
        )
    defaults = Policy()
    values: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(defaults, name)
        if isinstance(default, str):
            allowed = CHOICES[name]
            if not isinstance(value, str) or value not in allowed:
                raise PolicyError(f"{source}: key {name}: expected one of {', '.join(allowed)}")
            values[name] = value
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(
                isinstance(v, type(default[0])) and not isinstance(v, bool) for v in value
            ):
                kind = type(default[0]).__name__
                raise PolicyError(f"{source}: key {name}: expected a list of {kind}")
            values[name] = tuple(value)
        elif isinstance(default, int) and not isinstance(default, bool):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise PolicyError(f"{source}: key {name}: expected a whole number >= 0")
            values[name] = value
        else:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise PolicyError(f"{source}: key {name}: expected a number")
            values[name] = float(value)
    if values.get("k", defaults.k) < 2:
        raise PolicyError(f"{source}: key k: must be at least 2")
    return dataclasses.replace(defaults, **values)


def load_policy(path: Path) -> Policy:
    """Read a TOML policy file: top-level keys named as the Policy fields."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text") from exc
    return policy_from_mapping(data, source=str(path))
