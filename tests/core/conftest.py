"""Hypothesis profiles for the core tests: "ci" (default) and "deep" (long local runs).

Choose with HYPOTHESIS_PROFILE=deep. Run pytest with --hypothesis-show-statistics to
print how many cases ran.
"""

import os

from hypothesis import settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True
)
settings.register_profile("deep", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
