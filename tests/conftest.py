from __future__ import annotations

import os

import pytest
from django.test import Client

from .personas import PASSWORD, World, build_world


@pytest.fixture(autouse=True)
def _fast_test_settings(request: pytest.FixtureRequest, settings) -> None:
    """Plain static storage (no collectstatic needed) and, unless a test is about password hashing
    (marked `real_hasher`), a fast hasher: Argon2 costs ~100 ms per hash by design."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if request.node.get_closest_marker("real_hasher") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def login(client: Client):
    """login(user) logs the test client in as that user and returns the client."""

    def _login(user) -> Client:
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login


def pytest_report_header() -> str:
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    return f"careconductor database: {engine}"
