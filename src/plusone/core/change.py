"""Reliable and clinically significant change (Jacobson & Truax 1991)."""

from __future__ import annotations

import math

# Two-sided 95 % normal critical value; "reliable" means |RCI| strictly above it.
Z_CRIT = 1.959964


def standard_error(sd: float, reliability: float) -> float:
    """SE of measurement: SD * sqrt(1 - r)."""
    if sd <= 0:
        raise ValueError(f"sd must be positive, got {sd}")
    if not 0 <= reliability < 1:
        raise ValueError(f"reliability must be in [0, 1), got {reliability}")
    return sd * math.sqrt(1.0 - reliability)


def s_diff(sd: float, reliability: float) -> float:
    """Standard error of a difference between two scores: sqrt(2) * SE."""
    return math.sqrt(2.0) * standard_error(sd, reliability)


def rc_points(sd: float, reliability: float) -> int:
    """The smallest whole-number change that is reliable (|RCI| > 1.959964)."""
    threshold = Z_CRIT * s_diff(sd, reliability)
    return math.floor(threshold) + 1
