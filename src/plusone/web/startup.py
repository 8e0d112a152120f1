"""What a serving process does once it has loaded the app: settle its memory.

``settle()`` runs a full collection, then moves every object alive at that moment
(Django, the URLconf, the instruments, numpy) into the collector's permanent
generation (``gc.freeze``). Those objects live as long as the process, yet every
full collection walked all of them: on a 300-client caseload, that walk was the
slow tail of the page (p95 135 ms against a median of 53 ms; docs/benchmarks.md).
Frozen, they are left alone; objects made while serving are collected as before.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect, then freeze what survives; safe to call more than once."""
    gc.collect()
    gc.freeze()
