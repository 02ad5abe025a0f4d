"""Commands on an empty data folder prepare the database first; on an older database they name the command to
run in one line, never a traceback (issue 17 §2: `careconductor createuser` on a fresh install failed with
"no such table: accounts_organization")."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_sqlite


def _careconductor(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the data folder's own SQLite
    return subprocess.run(
        [sys.executable, "-m", "careconductor", *args],
        env={**env, "CARECONDUCTOR_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_command_on_an_empty_data_folder_migrates_first_and_an_old_database_is_named(
    tmp_path: Path,
) -> None:
    first = _careconductor(tmp_path, "createuser", "ada", "--role", "admin", "--password", "Correct-horse-9")
    assert first.returncode == 0, first.stderr
    assert "Preparing a new database" in first.stderr
    assert "Created ada (Administrator)" in first.stdout

    with sqlite3.connect(tmp_path / "careconductor.sqlite3") as database:
        order = [app for (app,) in database.execute("SELECT app FROM django_migrations ORDER BY id")]
    # The libraries' migrations first, while few models are there to re-render (core/management/commands/migrate.py).
    assert max(i for i, app in enumerate(order) if app == "oauth2_provider") < order.index("patients")

    # A database of an older version, as the command sees it: the migrations after coordination 0005 are not
    # recorded as applied. (Migrating back for real costs a minute of CI and tests Django, not this check.)
    with sqlite3.connect(tmp_path / "careconductor.sqlite3") as database:
        forgotten = database.execute(
            "DELETE FROM django_migrations WHERE app = 'coordination' AND name > '0005'"
        ).rowcount
    assert forgotten > 0
    behind = _careconductor(tmp_path, "createuser", "bea", "--role", "admin", "--password", "Correct-horse-9")
    assert behind.returncode == 1
    assert re.fullmatch(
        rf"The database is {forgotten} migration\(s\) behind this version: run `careconductor migrate` first\.",
        behind.stderr.strip(),
    ), behind.stderr
    assert "Traceback" not in behind.stderr + behind.stdout
