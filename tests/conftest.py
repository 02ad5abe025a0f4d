from __future__ import annotations

import collections
import datetime as dt
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.accounts.models import User
from careconductor.demo.generator import build_demo

from .fhir.second_validator import stop_second_validator
from .personas import PASSWORD, World, build_world
from .shared import FAST_HASHERS, ModuleDb, is_transactional, module_transaction, reread


@pytest.fixture(scope="session")
def _anchor_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit-anchors")


@pytest.fixture(autouse=True)
def _fast_test_settings(request: pytest.FixtureRequest, settings, _anchor_folder: Path) -> None:
    """Plain static storage (no collectstatic needed) and, unless a test is about password hashing
    (marked `real_hasher`), a fast hasher: Argon2 costs ~100 ms per hash by design. And an audit anchor file
    of the test's own (`audit verify` appends to it): the database is rolled back after each test, the file
    would not be, and the next test's chain would look cut back."""
    settings.AUDIT_ANCHOR_FILE = _anchor_folder / f"{uuid.uuid4().hex}.log"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = FAST_HASHERS
    else:
        # New passwords get Argon2; the module's shared people (made with the fast hasher) can still log in.
        settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, *FAST_HASHERS]


@pytest.fixture(scope="module")
def module_db(request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker) -> Iterator[ModuleDb]:
    """One transaction around the module's tests, for data built once per module (tests/shared.py)."""
    mine = [item for item in request.session.items if getattr(item, "module", None) is request.module]
    with module_transaction(django_db_blocker, enabled=not any(map(is_transactional, mine))) as shared:
        yield shared


@pytest.fixture(scope="module")
def shared_world(module_db: ModuleDb) -> World | None:
    return module_db.build(build_world) if module_db.enabled else None


# The demo organisation the demo tests read (tests/demo/, where it is built once for the package).
DEMO_PATIENTS = 200


@pytest.fixture(scope="module")
def shared_demo(module_db: ModuleDb) -> str:
    """Outside tests/demo/ (whose conftest builds it once for all its modules): once per module."""
    out = io.StringIO()
    module_db.build(build_demo, patients=DEMO_PATIENTS, seed=7, out=out)
    return out.getvalue()


@pytest.fixture
def demo(shared_demo: str, db: None) -> str:
    """What `careconductor demo` printed; its organisation is in the database (seed 7, DEMO_PATIENTS patients)."""
    return shared_demo


@pytest.fixture
def world(shared_world: World | None, db: None) -> World:
    """The personas (tests/personas.py): built once per module, read afresh for each test."""
    return reread(shared_world) if shared_world is not None else build_world()


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """pytest-django's test database, and on SQLite a copy of it as it is just after the migrations (before any
    test writes to it), which `migrated_sqlite` hands out."""
    from django.db import connection

    copy = tmp_path_factory.mktemp("migrated") / "careconductor.sqlite3"
    if connection.vendor == "sqlite":
        with django_db_blocker.unblock(), sqlite3.connect(copy) as target:
            connection.ensure_connection()
            connection.connection.backup(target)
            _record_migrations(target)
    return copy


def _record_migrations(target: sqlite3.Connection) -> None:
    """With --nomigrations (the SQLite pass: tests/core/test_first_run.py migrates an empty folder itself) the
    tables are made from the models and no migration is recorded: record them all in the copy, so the product
    started on it finds its database migrated, as it would after `careconductor migrate`."""
    from django.db.migrations.loader import MigrationLoader

    target.execute(
        'CREATE TABLE IF NOT EXISTS "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
        '"app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL)'
    )
    if target.execute('SELECT COUNT(*) FROM "django_migrations"').fetchone()[0]:
        return
    with override_settings(MIGRATION_MODULES={}):  # --nomigrations hides them from the loader
        nodes = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    target.executemany(
        'INSERT INTO "django_migrations" ("app", "name", "applied") VALUES (?, ?, datetime(\'now\'))',
        sorted(nodes),
    )


@pytest.fixture(scope="session")
def migrated_sqlite(django_db_setup: Path) -> Path:
    """A data folder's SQLite database after `careconductor migrate`. Migrating an empty one costs ~17 s here, so
    tests that start the product on a data folder of their own, and are not about the first migration
    (tests/core/test_first_run.py is), begin from a copy of it (`migrated_data_folder`): the test database's
    copy on SQLite, else (PostgreSQL pass) one migrated once per test process."""
    if django_db_setup.exists():
        return django_db_setup
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    subprocess.run(
        [sys.executable, "-m", "careconductor", "migrate", "-v", "0"],
        env={**env, "CARECONDUCTOR_HOME": str(django_db_setup.parent)},
        check=True,
        timeout=300,
    )
    return django_db_setup


@pytest.fixture
def migrated_data_folder(tmp_path: Path, migrated_sqlite: Path) -> Path:
    """An empty data folder (tmp_path) holding a copy of the migrated database."""
    shutil.copy(migrated_sqlite, tmp_path / migrated_sqlite.name)
    return tmp_path


def pass_second_factor(client: Client, user: User) -> None:
    """Answer the second-factor page with a real code from a (test-made) authenticator."""
    # A fresh device each time: django-otp refuses a code already used, and two log-ins in one test
    # may fall in the same 30-second step.
    TOTPDevice.objects.filter(user=user, name="Test phone").delete()
    device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    response = client.post(reverse("second_factor"), {"token": current_code(device)})
    assert response.status_code == 302, response.content.decode()[:500]


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def login(client: Client):  # type: ignore[no-untyped-def]
    """login(user) logs the test client in through the log-in page (so django-axes and the audit see it)
    and, for roles that need one, the second-factor page. Returns the client."""

    def _login(user: User, *, second_factor: bool = True) -> Client:
        return log_in(client, user, second_factor=second_factor)

    return _login


def log_in(client: Client, user: User, *, second_factor: bool = True) -> Client:
    """The `login` fixture's work, for data built once per module too."""
    client.logout()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, f"log-in failed for {user.username}"
    user.refresh_from_db()
    if second_factor and user.mfa_required:
        pass_second_factor(client, user)
    return client


# The guard against tests that only pass on the day they were written: with this set, the whole run (and every
# world built in it) happens that many days ahead of the real date. scripts/test sets it for the PostgreSQL pass.
CLOCK_SHIFT = "CARECONDUCTOR_TEST_CLOCK_SHIFT_DAYS"


def clock_shift() -> int:
    return int(os.environ.get(CLOCK_SHIFT) or 0)


def pytest_configure(config: pytest.Config) -> None:
    if clock_shift():
        # tick=True: time goes on from there; a test's own time_machine.travel nests inside this one.
        traveller = time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=clock_shift()), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


# scripts/test runs the tests that touch no database (pure rules, readers, tables) once, in the pass with the
# moved clock, where a test that only passes on the day it was written fails, and the rest on both databases:
# "database" keeps only the tests that touch one (or run the product on its own data folder), "pure" the others.
ONLY = "CARECONDUCTOR_TEST_ONLY"
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}
DATABASE_MARKERS = ("django_db", "own_sqlite", "browser", "postgres")


def touches_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return bool(DATABASE_FIXTURES & names) or any(item.get_closest_marker(m) for m in DATABASE_MARKERS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    only = os.environ.get(ONLY)
    if not only:
        return
    if only not in ("database", "pure"):
        raise pytest.UsageError(f"{ONLY} must be 'database' or 'pure', not {only!r}")
    keep = [item for item in items if touches_database(item) == (only == "database")]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


def pytest_sessionfinish(session: pytest.Session) -> None:
    # The second FHIR validator's node process, if this process started one (tests/fhir/second_validator.py).
    stop_second_validator()


def pytest_report_header() -> str:
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    shifted = f", clock moved {clock_shift()} days ahead ({dt.date.today()})" if clock_shift() else ""
    return f"careconductor database: {engine}{shifted}"


# What each test module costs (set-up, test and tear-down of all its tests, summed over the workers), printed
# at the end of a run beside pytest's slowest tests: a module of many cheap tests is easy to miss there.
MODULE_SECONDS: collections.Counter[str] = collections.Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    MODULE_SECONDS[report.nodeid.split("::", 1)[0]] += report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not MODULE_SECONDS:
        return
    terminalreporter.section("costliest 20 test modules (seconds, all workers)")
    for module, seconds in MODULE_SECONDS.most_common(20):
        terminalreporter.write_line(f"{seconds:8.1f}  {module}")
    terminalreporter.write_line(f"{sum(MODULE_SECONDS.values()):8.1f}  all {len(MODULE_SECONDS)} modules")
    packages: collections.Counter[str] = collections.Counter()
    for module, seconds in MODULE_SECONDS.items():
        packages[module.rsplit("/", 1)[0]] += seconds
    terminalreporter.section("test packages (seconds, all workers)")
    terminalreporter.write_line(
        "  ".join(f"{name.removeprefix('tests/') or 'tests'} {s:.0f}" for name, s in packages.most_common())
    )


@pytest.fixture
def worker_now() -> Iterator[None]:
    """Tasks queued in the test run at once, in the test's process (huey's immediate mode), as the worker would."""
    from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]

    HUEY.immediate = True
    yield
    HUEY.immediate = False
