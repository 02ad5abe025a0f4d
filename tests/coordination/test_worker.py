"""Notifications through a real queue and a real worker: the queue on Redis (a consumer in this process, a
task queued by another process), the `careconductor worker` process, and `serve` running one worker beside
gunicorn."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core import mail
from django.db import transaction
from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]
from huey.storage import RedisStorage  # type: ignore[import-untyped]

from careconductor.coordination import notify, tasks
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.models import Notification
from careconductor.core.management.commands.serve import should_embed_worker

from ..personas import World

K = NotificationKind


def _redis_database() -> int:
    """A Redis database of this test process's own (these tests empty it): 15 counts down by the xdist worker's
    number, from the base scripts/test gives each pass (11 for the PostgreSQL pass)."""
    base = int(os.environ.get("CARECONDUCTOR_TEST_REDIS_DB") or 15)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    return base - worker


REDIS_URL = f"redis://127.0.0.1:6379/{_redis_database()}"
pytestmark = pytest.mark.usefixtures("queue_in_memory_and_sms_kept")


# --- The queue on Redis -----------------------------------------------------------------------------------
@pytest.fixture
def redis_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    """The app's huey instance with its queue on the real Redis (a database of its own, emptied before and
    after)."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    HUEY.immediate = False
    monkeypatch.setattr(HUEY, "storage", RedisStorage(HUEY.name, url=REDIS_URL))
    yield client
    HUEY.storage.close()
    client.flushdb()
    client.close()


@pytest.mark.django_db(transaction=True)
def test_a_notification_goes_through_redis_to_a_running_consumer(
    reachable: World, redis_queue: redis.Redis
) -> None:
    with transaction.atomic():
        [n] = notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "New task", patient=reachable.paula)
        assert HUEY.pending_count() == 0  # queued only when the change commits
    assert HUEY.pending_count() == 1
    assert list(redis_queue.scan_iter("huey.redis.*"))
    consumer = HUEY.create_consumer(workers=1, periodic=False, worker_type="thread", max_delay=0.2)
    consumer._set_signal_handlers = lambda: None  # leave pytest's Ctrl+C alone
    consumer.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not Notification.objects.get(pk=n.pk).email_sent_at:
            time.sleep(0.1)
    finally:
        consumer.stop(graceful=True)
    n.refresh_from_db()
    assert n.email_sent_at is not None and HUEY.pending_count() == 0
    [email] = mail.outbox
    assert email.to == ["alice@riverside.example"] and "(P. R.)" in str(email.body)


@pytest.mark.django_db
def test_a_task_queued_by_another_process_on_redis_runs_here(
    reachable: World, redis_queue: redis.Redis, tmp_path: Path
) -> None:
    """Two machines sharing a Redis: the settings with CARECONDUCTOR_REDIS_URL queue there, and a worker
    elsewhere picks the task up."""
    [n] = notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "New task")
    code = (
        "import django; django.setup();"
        "from huey.contrib.djhuey import HUEY; from careconductor.coordination.delivery import deliver;"
        f"deliver({n.pk}, ['email'], 'A task was assigned to you.');"
        "print(type(HUEY).__name__, HUEY.name, HUEY.pending_count())"
    )
    env = {
        **os.environ,
        "CARECONDUCTOR_HOME": str(tmp_path),
        "CARECONDUCTOR_REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "careconductor.settings",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["RedisHuey", "careconductor", "1"], out.stderr[-2000:]
    assert not (tmp_path / "tasks.sqlite3").exists()
    task = HUEY.dequeue()
    assert task.name == "deliver" and task.args == (n.pk, ["email"], "A task was assigned to you.")
    tasks.deliver.call_local(*task.args)  # what the worker's execute() runs, in this test's transaction
    n.refresh_from_db()
    assert n.email_sent_at is not None and len(mail.outbox) == 1


# --- The worker process and serve ---------------------------------------------------------------------------
def _wait_for(log: Path, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text() if log.exists() else ""
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not seen within {timeout} s:\n{log.read_text() if log.exists() else ''}")


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "CARECONDUCTOR_HOME": str(home), "HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("CARECONDUCTOR_REDIS_URL", None)
    return env


@pytest.mark.own_sqlite
def test_the_worker_command_starts_with_the_tasks_and_stops_on_ctrl_c(migrated_data_folder: Path) -> None:
    home = migrated_data_folder  # migrated already: these tests are about the worker, not the first run
    log = home / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "careconductor", "worker", "--workers", "1", "--no-periodic"],
            env=_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = _wait_for(log, "careconductor.coordination.tasks.morning_summary")
        assert "Huey consumer started with 1 thread" in started
        assert "careconductor.coordination.tasks.escalate_overdue" in started
        assert "careconductor.coordination.delivery.deliver" in started  # known through tasks.py
        assert (home / "tasks.sqlite3").exists()  # the embedded queue, in the data folder
        time.sleep(1)  # huey sets its signal handlers just after logging the list
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Consumer exiting" in log.read_text()


@pytest.mark.own_sqlite
def test_a_worker_whose_parent_dies_stops_by_itself(migrated_data_folder: Path) -> None:
    home = migrated_data_folder  # migrated already: these tests are about the worker, not the first run
    log = home / "worker.log"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys;"
            f"out = open({str(log)!r}, 'w');"
            "subprocess.Popen([sys.executable, '-m', 'careconductor', 'worker', '--workers', '1', '--no-periodic',"
            " '--parent-pid', str(os.getpid())], stdout=out, stderr=out).wait()",
        ],
        env=_env(home),
    )
    try:
        _wait_for(log, "Huey consumer started")
        parent.kill()  # as `kill -9` of serve would
        parent.wait()
        _wait_for(log, "Consumer exiting", timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_serve_embeds_the_worker_only_for_the_queue_in_the_data_folder() -> None:
    class Conf:
        HUEY: dict[str, object] = {"huey_class": "huey.SqliteHuey", "filename": "/x/tasks.sqlite3"}

    assert should_embed_worker(Conf)
    Conf.HUEY = {"huey_class": "huey.RedisHuey", "url": "redis://127.0.0.1:6379/0"}
    assert not should_embed_worker(Conf)
    Conf.HUEY = {"huey_class": "huey.SqliteHuey", "immediate": True}
    assert not should_embed_worker(Conf)
    assert not should_embed_worker(object())


@pytest.mark.own_sqlite
def test_serve_runs_one_worker_and_stops_it_with_itself(migrated_data_folder: Path) -> None:
    home = migrated_data_folder  # migrated already: these tests are about the worker, not the first run
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = home / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "careconductor", "serve", "--port", str(port), "--workers", "2"],
            env=_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = _wait_for(log, "Huey consumer started")
        _wait_for(log, "Booting worker with pid")
        match = re.search(r"Background worker: running \(pid (\d+)", started)
        assert match, started
        time.sleep(1)  # both gunicorn workers up: neither may start a consumer of its own
        assert log.read_text().count("Huey consumer started") == 1
        proc.terminate()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Consumer exiting" in log.read_text()
