from __future__ import annotations

import os
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.accounts.models import User

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
        client.logout()
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, f"log-in failed for {user.username}"
        user.refresh_from_db()
        if second_factor and user.mfa_required:
            pass_second_factor(client, user)
        return client

    return _login


def pytest_report_header() -> str:
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    return f"careconductor database: {engine}"
