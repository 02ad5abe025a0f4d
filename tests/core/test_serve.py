"""The product as an operator runs it: `careconductor serve` under gunicorn, and /healthz."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


@pytest.mark.django_db
def test_healthz_reports_the_database(client) -> None:
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in ("sqlite", "postgresql")


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # A real PostgreSQL address where nothing listens: the check must say so, not crash.
    port = _free_port()
    code = (
        "import django, json; django.setup();"
        "from django.test import Client; r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    env = {
        **os.environ,
        "CARECONDUCTOR_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "careconductor.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/none?connect_timeout=2",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    status, body = out.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"status": "error", "database": "unreachable"}


@pytest.fixture
def served(migrated_data_folder: Path) -> Iterator[str]:
    """`careconductor serve` on a data folder holding a migrated database and nothing else (serve still runs
    migrate, with nothing to apply; the first migration of an empty folder is test_first_run.py's, ~25 s here)."""
    tmp_path = migrated_data_folder
    port = _free_port()
    env = {**os.environ, "CARECONDUCTOR_HOME": str(tmp_path), "HOME": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "careconductor", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            proc.kill()
            pytest.fail("serve did not answer within 60 s:\n" + (proc.stdout.read() if proc.stdout else ""))
        yield base
    finally:
        # serve stops its embedded worker gracefully (up to 30 s for a running task; stop_worker repeats the
        # signal, since one sent while the worker still starts is lost). Stopping is test_worker.py's subject;
        # here it only must not linger.
        proc.terminate()
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.own_sqlite
def test_serve_serves_pages_and_static_files_with_gunicorn(served: str, tmp_path: Path) -> None:
    status, body, _ = _get(served + "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "database": "sqlite"}
    status, body, _ = _get(served + "/login/")
    assert status == 200 and b"Log in" in body
    css = body.decode().split('rel="stylesheet" href="')[1].split('"')[0]
    assert css.startswith("/static/css/app.") and css.endswith(".css"), css  # hashed name from the manifest
    status, body, headers = _get(served + css)
    assert status == 200 and b"--brand" in body
    assert "max-age" in headers.get("Cache-Control", "")
    # The data folder holds the database (WAL mode) and a private secret key.
    key = tmp_path / "secret_key"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    db = tmp_path / "careconductor.sqlite3"
    mode = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sqlite3; print(sqlite3.connect({str(db)!r}).execute('pragma journal_mode').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert mode == "wal"
    # Unknown paths are refused with a 404, not a 500.
    assert _get(served + "/patients/not-a-number/")[0] == 404
    assert _get(served + "/nothing-here")[0] == 404


# A child that misses the first SIGINT (as `careconductor worker` does while it still starts, before the huey
# consumer sets its handler): it ignores SIGINT for a moment, then stops on the next one.
LATE_LISTENER = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(1.5)
signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
time.sleep(60)
"""


def test_stopping_serve_stops_a_worker_that_missed_the_first_signal() -> None:
    from careconductor.core.management.commands.serve import stop_worker

    child = subprocess.Popen([sys.executable, "-c", LATE_LISTENER], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    started = time.monotonic()
    stop_worker(child, timeout=20)  # type: ignore[arg-type]
    assert child.returncode == 0  # stopped by a later SIGINT, not killed
    assert time.monotonic() - started < 10
