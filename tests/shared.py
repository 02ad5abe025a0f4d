"""Data built once per test module and shared, read-only, by its tests (Django's `setUpTestData`, for pytest).

`module_db` (a module-scoped fixture in conftest.py) opens one transaction around a module's tests; module-scoped
fixtures build their data inside it with `shared.build(...)`, and each test runs in its own savepoint inside it
(pytest-django's `db`), rolled back at the test's end, so no test sees another's changes. The whole transaction
is rolled back when the module ends.

A test must never keep a Python object from the shared data: fixtures hand each test objects read afresh from
the database (`reread`), so a test that changes an object in memory cannot leak that change into the next.

Modules with transactional tests (`transactional_db`, `live_server`: the browser journeys, the worker tests)
flush the database after each test, so nothing built once can live there: `module_db.enabled` is False and
fixtures build per test as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from django.db import models, transaction
from django.test.utils import override_settings

T = TypeVar("T")

# Argon2 costs ~100 ms a hash by design; data built for tests uses the fast hasher the tests use (conftest).
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def is_transactional(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    if "transactional_db" in names or "live_server" in names or "django_db_reset_sequences" in names:
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))


class ModuleDb:
    """The module's shared transaction; `build(fn)` runs fn inside it with the database unblocked."""

    def __init__(self, blocker: Any, enabled: bool) -> None:
        self.blocker = blocker
        self.enabled = enabled

    def build(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        assert self.enabled, "module-scoped data in a module with transactional tests"
        with self.blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            return fn(*args, **kwargs)


@contextmanager
def module_transaction(blocker: Any, enabled: bool) -> Iterator[ModuleDb]:
    if not enabled:
        yield ModuleDb(blocker, enabled=False)
        return
    with blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield ModuleDb(blocker, enabled=True)
    finally:
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def reread(value: T) -> T:
    """The same value with every model instance in it read afresh from the database (dataclasses, dicts, lists
    and tuples are walked)."""
    result: Any
    if isinstance(value, models.Model):
        result = type(value)._default_manager.get(pk=value.pk)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        result = dataclasses.replace(
            value,  # type: ignore[type-var]
            **{f.name: reread(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init},
        )
    elif isinstance(value, dict):
        result = {key: reread(item) for key, item in value.items()}
    elif isinstance(value, list | tuple):
        result = type(value)(reread(item) for item in value)
    else:
        result = value
    return result  # type: ignore[no-any-return]
