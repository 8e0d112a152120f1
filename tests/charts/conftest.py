"""Hypothesis profiles for the chart tests, the same as tests/core's ("ci" or "deep").

Both conftests register identical profiles, so the order they load in does not matter.
"""

import os

from hypothesis import settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True
)
settings.register_profile("deep", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
