"""Set-up for the CLI tests.

- Hypothesis profiles as in tests/core: "ci" (the default) and "deep"; choose
  with HYPOTHESIS_PROFILE=deep.
- ``ends_within``: a guard that turns a hang inside one hypothesis example into
  an ordinary failing example.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from hypothesis import settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True
)
settings.register_profile("deep", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@contextmanager
def _ends_within(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the body after ``seconds``, then re-arm pytest-timeout's alarm.

    pytest-timeout fires once per test; hypothesis would then shrink the hanging
    example with no alarm left, and hang again.
    """

    def expire(*_: object) -> None:
        raise TimeoutError(f"did not end within {seconds} s")

    outer = signal.signal(signal.SIGALRM, expire)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer)
        if outer_left:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


@pytest.fixture(scope="session")
def ends_within() -> Callable[[float], AbstractContextManager[None]]:
    return _ends_within
