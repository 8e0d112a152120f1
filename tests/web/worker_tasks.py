"""A task that takes a while, for the worker's stop test (imported by the worker process)."""

import time

from django_tasks import task


@task()
def pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
