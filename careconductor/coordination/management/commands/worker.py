"""`careconductor worker`: the huey consumer that sends notifications and runs the periodic jobs.

Run exactly one with periodic jobs on per queue. `careconductor serve` starts one itself when the queue is the
SQLite file in the data folder; with Redis, run it on one machine (more machines: add --no-periodic there).
Ctrl+C (SIGINT) stops it after the running tasks finish; SIGTERM interrupts them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _default_workers() -> int:
    huey = getattr(settings, "HUEY", None)
    consumer = huey.get("consumer") if isinstance(huey, dict) else None
    return int(consumer.get("workers", 2)) if isinstance(consumer, dict) else 2


def stop_when_orphaned(parent_pid: int, interval: float = 1.0) -> threading.Thread:
    """Stop this process gracefully (as Ctrl+C would) once `parent_pid` is gone, so a worker started by
    `serve` does not outlive it even when serve is killed outright."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def _log_to_stderr() -> None:
    """What the worker does, at INFO, once: huey's own set-up would add a handler and still pass every line on
    to the root logger, printing it twice."""
    for name in ("huey", "careconductor"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(
                logging.Formatter("[%(asctime)s] %(levelname)s %(name)s %(threadName)s: %(message)s")
            )
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


class Command(BaseCommand):
    help = "Run the background worker (notifications, escalation of overdue tasks, the morning summary)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=_default_workers(),
            help="worker threads (default %(default)s)",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="do not schedule the periodic jobs (for a second worker on the same Redis queue)",
        )
        parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        _log_to_stderr()
        if opts["parent_pid"]:
            stop_when_orphaned(opts["parent_pid"])
        call_command(
            "run_huey",
            workers=opts["workers"],
            worker_type="thread",
            periodic=not opts["no_periodic"],
        )
