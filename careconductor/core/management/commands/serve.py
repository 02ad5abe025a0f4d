from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def should_embed_worker(conf: Any) -> bool:
    """Whether `serve` runs the background worker itself: only when the queue is the SQLite file in the data
    folder. A Redis queue is shared by several machines, and each running the periodic jobs would repeat
    them; there the operator runs one `careconductor worker`."""
    huey = getattr(conf, "HUEY", None)
    if not isinstance(huey, dict) or huey.get("immediate"):
        return False
    return str(huey.get("huey_class", "")).rsplit(".", 1)[-1] == "SqliteHuey"


def start_worker() -> subprocess.Popen[bytes]:
    """`careconductor worker` as a child process. Not threads in this process: gunicorn's master forks its
    workers from here (again whenever one is replaced), and forking a process that runs other threads can
    copy a held lock into the child; and the huey consumer wants the main thread for its signals.

    The child gets its own session so Ctrl+C in the terminal reaches only serve, which then stops it with one
    SIGINT (a graceful stop: running tasks finish). If serve dies without stopping it, the worker notices
    that its parent is gone and stops itself."""
    return subprocess.Popen(
        [sys.executable, "-m", "careconductor", "worker", "--parent-pid", str(os.getpid())],
        start_new_session=True,
    )


def start_adt_listener(listen: str) -> subprocess.Popen[bytes]:
    """`careconductor adt listen` as a child process, for CARECONDUCTOR_ADT_LISTEN ("2575" or "0.0.0.0:2575");
    stopped with serve like the worker."""
    host, _, port = listen.rpartition(":")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "careconductor",
            "adt",
            "listen",
            "--host",
            host or "127.0.0.1",
            "--port",
            port,
        ],
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGINT (a graceful stop), sent again each second: one that arrives while the child is still starting,
    before it has set up its signal handling, is lost (serve stopped soon after it started waited the whole
    30 s). A child that has not stopped within `timeout` is killed."""
    deadline = time.monotonic() + timeout
    while worker.poll() is None:
        if time.monotonic() >= deadline:
            worker.kill()
            break
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=1)
        except subprocess.TimeoutExpired:
            continue
    worker.wait()


class Command(BaseCommand):
    help = "Apply migrations, collect static files and serve CareConductor with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CARECONDUCTOR_WORKERS", "2")),
            help="gunicorn worker processes (default 2, or CARECONDUCTOR_WORKERS)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker (run `careconductor worker` yourself)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from gunicorn.app.base import BaseApplication

        from careconductor.wsgi import application

        bind = f"{opts['host']}:{opts['port']}"
        options = {
            "bind": bind,
            "workers": opts["workers"],
            "threads": 4,
            "worker_class": "gthread",
            "accesslog": "-",
            "timeout": 60,
            "control_socket_disable": True,
        }

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if key in self.cfg.settings:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        db = settings.DATABASES["default"]
        where = (
            db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"PostgreSQL {db.get('HOST')}/{db['NAME']}"
        )
        self.stdout.write(f"CareConductor is running at http://{bind}/  (data: {where}; Ctrl+C stops it)")
        worker = None
        if opts["no_worker"]:
            self.stdout.write("Background worker: not started (--no-worker); run `careconductor worker`.")
        elif should_embed_worker(settings):
            worker = start_worker()
            self.stdout.write(f"Background worker: running (pid {worker.pid}, queue in the data folder).")
        else:
            self.stdout.write(
                "Background worker: the queue is on Redis; run `careconductor worker` on one machine."
            )
        adt = None
        if listen := os.environ.get("CARECONDUCTOR_ADT_LISTEN", ""):
            adt = start_adt_listener(listen)
            self.stdout.write(f"HL7 v2 ADT listener: MLLP on {listen} (pid {adt.pid}).")
        serve_pid = os.getpid()
        try:
            Server().run()
        finally:
            # gunicorn's workers are forked inside run() and leave through this block too: only serve itself
            # stops its children.
            if os.getpid() == serve_pid:
                for child in (worker, adt):
                    if child is not None:
                        stop_worker(child)
