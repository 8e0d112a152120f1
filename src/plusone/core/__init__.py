"""The measurement core: every number a clinician relies on.

Pure Python and numpy. Nothing here imports Django, reads settings or asks the
clock: callers pass the clock, norms and thresholds in.
"""
