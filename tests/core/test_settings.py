from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_commits_are_durable() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas apply to the embedded database only (this run is on PostgreSQL)")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


def _settings_import(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import careconductor.settings"],
        env={**os.environ, "CARECONDUCTOR_HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CARECONDUCTOR_DEBUG": "maybe"}, "CARECONDUCTOR_DEBUG must be 1 or 0, not 'maybe'"),
        ({"CARECONDUCTOR_SESSION_SECONDS": "15m"}, "CARECONDUCTOR_SESSION_SECONDS must be a whole number"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL must point at PostgreSQL"),
    ],
)
def test_bad_settings_fail_loudly_at_start(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = _settings_import(tmp_path, **env)
    assert result.returncode != 0 and message in result.stderr


def test_the_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    assert _settings_import(tmp_path).returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert _settings_import(tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == first and len(first) >= 50


def test_processes_starting_together_on_a_new_data_folder_share_one_secret_key(tmp_path: Path) -> None:
    """Parallel test workers, or a server and its worker, start on a new data folder: one is still writing the
    key (here slowed down by a second) when the other reads it. Both must end with the same, whole key."""
    slow = (
        "import secrets, time; made = secrets.token_urlsafe; "
        "secrets.token_urlsafe = lambda n: (time.sleep(1), made(n))[1]; "
    )
    read = "from careconductor import settings; print(settings.SECRET_KEY)"
    env = {**os.environ, "CARECONDUCTOR_HOME": str(tmp_path)}
    writer = subprocess.Popen([sys.executable, "-c", slow + read], env=env, stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    reader = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True, timeout=60)
    keys = {writer.communicate(timeout=60)[0].strip(), reader.stdout.strip()}
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert len(keys.pop()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []
