"""``plusone worker``: run the background task worker (django-tasks database backend), and
beside it check risk-flag escalation every few minutes (DESIGN.md, Risk: at least every
15 minutes) and run ``plusone daily`` once a day.

It sits in measures, above notify, because the daily run re-judges the episode
summaries, which are measures' own (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
)
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from plusone.measures.invitations import enqueue_due
from plusone.measures.management.commands.daily import run_daily
from plusone.notify.escalation import escalate_flags

log = logging.getLogger(__name__)

# When the database goes away (a failover, a restart) the worker waits this long, doubling
# up to the most, and tries again; it never exits for it.
RETRY_FIRST_SECONDS = 1.0
RETRY_MOST_SECONDS = 30.0

# DESIGN.md: escalation is checked at least every 15 minutes; the worker checks every 5.
ESCALATION_EVERY_SECONDS = 300.0
MAX_ESCALATION_EVERY_SECONDS = 900.0


def check_escalation() -> int:
    """One escalation run on this thread's own connection; returns how many escalated.

    Logs counts only (no client, no grade): a failure is logged and the next run
    tries again, so one bad run never stops the loop.
    """

    close_old_connections()
    try:
        run = escalate_flags(now=timezone.now())
    except Exception:
        log.exception("escalation run failed; the next run tries again")
        return 0
    finally:
        connection.close()
    if run.escalated or run.no_recipient:
        log.info(
            "escalation: %d escalated, %d with nobody left to tell",
            len(run.escalated),
            len(run.no_recipient),
        )
    return len(run.escalated)


def check_reminders() -> int:
    """One ``plusone remind`` run on this thread's own connection; returns how many tasks it
    enqueued. Logs counts only; a failure is logged and the next run tries again."""

    close_old_connections()
    try:
        run = enqueue_due(now=timezone.now())
    except Exception:
        log.exception("reminder run failed; the next run tries again")
        return 0
    finally:
        connection.close()
    if run.invitations or run.reminders or run.follow_ups:
        log.info(
            "reminders: %d invitations, %d reminders, %d follow-ups queued",
            run.invitations,
            run.reminders,
            run.follow_ups,
        )
    return run.invitations + run.reminders + run.follow_ups


def run_daily_once(last: dt.date | None) -> dt.date:
    """Run ``plusone daily`` when the day has changed since ``last``; return today.

    Logs counts only; a failure is logged and retried at the next check.
    """

    today = timezone.localdate()
    if last == today:
        return today
    close_old_connections()
    try:
        result = run_daily()
    except Exception:
        log.exception("the daily job failed; the next check tries again")
        return last or today - dt.timedelta(days=1)
    finally:
        connection.close()
    log.info("daily: %s summaries re-judged in %s s", result["summaries"], result["seconds"])
    return today


def escalation_loop(stop: threading.Event, every: float) -> None:
    """Run :func:`check_escalation` and :func:`check_reminders` now and then every ``every``
    seconds until ``stop``, and the daily job once each day."""
    last_daily: dt.date | None = None
    while not stop.is_set():
        check_escalation()
        check_reminders()
        last_daily = run_daily_once(last_daily)
        stop.wait(every)


class GracefulWorker(Worker):
    """django-tasks-db's worker, stopping only between tasks on SIGTERM or SIGINT.

    Its own handler raises SystemExit when no task is running, which can land between
    claiming a task and running it and leave the task "running" for ever. Here the first
    signal only asks the loop to stop: the current task finishes, an idle poll ends
    within ``interval`` seconds, and the process exits 0. A second signal still stops at
    once (the task is then marked failed, never left running).
    """

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            super().shutdown(signum, frame)
            return
        log.info("stopping after the current task (signal %d)", signum)
        self.running = False


def _close_all() -> None:
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # a connection the server cut cannot close cleanly: drop it
            conn.connection = None


def run_through_outages(worker: Worker) -> None:
    """``worker.run()``, again after each time the database goes away, until a signal stops
    it. The wait doubles from :data:`RETRY_FIRST_SECONDS` to :data:`RETRY_MOST_SECONDS`,
    and starts again from the first once a run has lasted longer than the most; a stop
    signal during the wait ends it at once. A task the outage interrupted is left as
    django-tasks leaves it (failed, or running if even that write could not be made)."""
    delay = RETRY_FIRST_SECONDS
    while worker.running:
        started = time.monotonic()
        try:
            worker.run()
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() - started > RETRY_MOST_SECONDS:
                delay = RETRY_FIRST_SECONDS
            log.warning(
                "the database is unavailable; the worker tries again in %.0f s",
                delay,
                exc_info=True,
            )
            _close_all()
            deadline = time.monotonic() + delay
            while worker.running and time.monotonic() < deadline:
                time.sleep(0.1)
            delay = min(delay * 2, RETRY_MOST_SECONDS)


class Command(BaseCommand):
    help = "Run the background task worker (sends notifications) and check escalation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument(
            "--escalate-every",
            type=float,
            default=ESCALATION_EVERY_SECONDS,
            help="seconds between escalation checks (at most 900; 0 turns them off, "
            "for a deploy whose timer runs `plusone escalate-flags` instead)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = float(options["escalate_every"])
        if every > MAX_ESCALATION_EVERY_SECONDS:
            every = MAX_ESCALATION_EVERY_SECONDS
        stop = threading.Event()
        checker = None
        if every > 0 and not options["batch"]:
            checker = threading.Thread(
                target=escalation_loop, args=(stop, every), name="escalation", daemon=True
            )
            checker.start()
        # No autoreloader, whatever DEBUG says: under it a second process reran this command
        # (a second escalation thread) and a stop had two processes to reach.
        worker = GracefulWorker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=float(options["interval"]),
            batch=bool(options["batch"]),
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        try:
            worker.configure_signals()
            # From here a SIGTERM stops the worker between tasks (before, it simply ends it).
            log.info("worker started: SIGTERM stops it after the task in hand")
            run_through_outages(worker)
        finally:
            stop.set()
            if checker is not None:
                checker.join(timeout=30)
