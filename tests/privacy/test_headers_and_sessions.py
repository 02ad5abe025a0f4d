"""What the browser is told to protect (headers, cookies), how long a session lives, that forms need their
CSRF token, and that no page needs inline script or style (so the Content-Security-Policy can forbid them)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.accounts.actions import do_begin_totp_enrolment, do_confirm_totp
from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, World

pytestmark = pytest.mark.django_db


def csp(response: HttpResponse) -> dict[str, list[str]]:
    directives = [d.split() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def code_for(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


def is_login_redirect(response: HttpResponse) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next=")


# --- security headers -----------------------------------------------------------------------------------


@pytest.fixture
def staff_page(world: World, login) -> HttpResponse:
    return login(world.alice).get(reverse("cases:detail", args=[world.paula_case.pk]))


def test_a_staff_page_and_the_log_in_page_carry_the_security_headers(
    staff_page: HttpResponse, world: World
) -> None:
    login_page = Client().get(reverse("login"))
    not_found = Client().get("/no-such-page/")
    for response in (staff_page, login_page, not_found):
        policy = csp(response)
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
    assert staff_page.status_code == login_page.status_code == 200


def test_staff_pages_are_never_cached(staff_page: HttpResponse) -> None:
    cache_control = {part.strip() for part in staff_page["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private"} <= cache_control


def test_the_second_factor_page_is_never_cached(world: World, login) -> None:
    client = login(world.alice, second_factor=False)
    response = client.get(reverse("second_factor_setup"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_hsts_is_sent_over_https_when_configured(settings, client: Client) -> None:
    # careconductor.settings sets SECURE_HSTS_SECONDS only with CARECONDUCTOR_SECURE=1.
    settings.SECURE_HSTS_SECONDS = 31536000

    assert client.get(reverse("login"), secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get(reverse("login"))  # never over plain HTTP


def test_no_hsts_without_the_setting(client: Client) -> None:
    assert not getattr(settings, "SECURE_HSTS_SECONDS", 0)
    assert "Strict-Transport-Security" not in client.get(reverse("login"), secure=True)


# --- the session cookie -------------------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_same_site_lax_and_dies_with_the_browser(world: World, login) -> None:
    client = login(world.alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert (cookie["max-age"], cookie["expires"]) == ("", "")  # SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_the_session_cookie_is_secure_when_served_over_tls(settings, world: World, login) -> None:
    settings.SESSION_COOKIE_SECURE = True  # what CARECONDUCTOR_SECURE=1 sets
    client = login(world.alice)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True


# --- idle time-out and absolute lifetime ------------------------------------------------------------------


def test_a_session_ends_after_15_idle_minutes(world: World, login) -> None:
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    url = reverse("cases:list")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login(world.alice)
        assert client.get(url).status_code == 200

        # The database session store compares expire_date with django.utils.timezone.now(), which
        # time-machine moves.
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = client.get(url)

    assert is_login_redirect(response)
    assert "_auth_user_id" not in client.session


def test_activity_keeps_a_session_alive_past_15_minutes(world: World, login) -> None:
    url = reverse("cases:list")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login(world.alice)
        for _ in range(4):  # 56 minutes in all, never 15 idle
            traveller.shift(dt.timedelta(minutes=14))
            assert client.get(url).status_code == 200


def test_a_session_ends_12_hours_after_log_in_however_active(world: World, login) -> None:
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    url = reverse("cases:list")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login(world.alice)
        for step in range(1, 12 * 6 + 1):  # every 10 minutes up to 12 hours exactly
            traveller.shift(dt.timedelta(minutes=10))
            assert client.get(url).status_code == 200, f"logged out after {step * 10} minutes"

        traveller.shift(dt.timedelta(minutes=10))
        response = client.get(url)
        assert is_login_redirect(response)
        assert is_login_redirect(client.get(url))  # and the session is gone, not just this answer

    lifetime = AuditEvent.objects.filter(user=world.alice, action="logout", detail="session lifetime reached")
    assert lifetime.count() == 1
    assert AuditEvent.objects.filter(user=world.alice, action="logout").count() == 1, "one log-out, one event"


def test_a_new_log_in_starts_a_new_lifetime(world: World, login) -> None:
    url = reverse("cases:list")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = login(world.alice)
        for _ in range(11 * 6 + 5):  # active until 11 h 50 min
            traveller.shift(dt.timedelta(minutes=10))
            assert client.get(url).status_code == 200
        client.post(reverse("logout"))

        client = login(world.alice)
        for step in range(1, 4):  # on past 12 hours from the first log-in
            traveller.shift(dt.timedelta(minutes=10))
            assert client.get(url).status_code == 200, f"{step * 10} minutes after logging in again"


# --- CSRF ------------------------------------------------------------------------------------------------


def csrf_login(client: Client, user: User) -> str:
    """Log in through the pages, sending the CSRF token as a browser does; returns the token."""
    client.get(reverse("login"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    device = do_begin_totp_enrolment(user)
    do_confirm_totp(user, device, code_for(device))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value  # rotated at log-in
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=device.step), tick=False):
        response = client.post(
            reverse("second_factor"), {"token": code_for(device), "csrfmiddlewaretoken": token}
        )
    assert response.status_code == 302
    return token


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    token = csrf_login(client, world.alice)
    url = reverse("cases:transition", args=[world.paula_case.pk])
    changes = world.paula_case.status_changes.count()

    response = client.post(url, {"target": "screening"})

    assert response.status_code == 403
    case = Case.objects.get(pk=world.paula_case.pk)
    assert case.status == "referred"
    assert case.status_changes.count() == changes

    # The same request with the token goes through, so the refusal above was the CSRF check.
    response = client.post(url, {"target": "screening", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Case.objects.get(pk=world.paula_case.pk).status == "screening"


# --- no inline script or style ----------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)


def inline_code(body: str) -> str | None:
    for pattern in (INLINE_SCRIPT, STYLE_ATTRIBUTE, EVENT_HANDLER, STYLE_ELEMENT):
        if found := pattern.search(body):
            return body[found.start() : found.start() + 80]
    return None


def test_the_inline_code_check_finds_inline_code() -> None:
    assert inline_code('<p>x</p><script src="/static/a.js" defer></script>') is None
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<div style="color: red">')
    assert inline_code('<button onclick="go()">')
    assert inline_code("<style>p {}</style>")


def test_pages_have_no_inline_script_or_style(world: World, login) -> None:
    pages: list[tuple[str, HttpResponse, int]] = [("log-in", Client().get(reverse("login")), 200)]
    guesser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        paused = guesser.post(reverse("login"), {"username": "bob", "password": "wrong"})
    pages.append(("log-in paused", paused, 429))

    client = login(world.uma, second_factor=False)
    pages.append(("second-factor set-up", client.get(reverse("second_factor_setup")), 200))
    login(world.alice)  # gives her an authenticator
    client = login(world.alice, second_factor=False)
    pages.append(("second factor", client.get(reverse("second_factor")), 200))
    client = login(world.alice)
    pages.append(("recovery codes", client.post(reverse("recovery_codes")), 200))
    case_id, patient_id = world.paula_case.pk, world.paula.pk
    for name, url in {
        "patient list": reverse("patients:list"),
        "chart": reverse("patients:chart", args=[patient_id]),
        "new patient": reverse("patients:new"),
        "emergency access": reverse("patients:emergency_access"),
        "case list": reverse("cases:list"),
        "case detail": reverse("cases:detail", args=[case_id]),
    }.items():
        pages.append((name, client.get(url), 200))
    pages.append(
        ("refused form", client.post(reverse("cases:transition", args=[case_id]), {"target": "closed"}), 400)
    )
    client = login(world.sam)
    pages.append(("assignment", client.get(reverse("cases:assign", args=[case_id])), 200))
    pages.append(("caseloads", client.get(reverse("cases:caseloads")), 200))
    client = login(world.adam)
    pages.append(("security settings", client.get(reverse("security_settings")), 200))
    client = login(world.pia)
    for name in ("audit", "emergency_queue", "accounting"):
        pages.append((f"privacy {name}", client.get(reverse(f"privacy:{name}")), 200))
    pages.append(("refused", client.get(reverse("security_settings")), 403))
    pages.append(("not found", client.get(reverse("patients:chart", args=[patient_id + 1000])), 404))

    for name, response, status in pages:
        assert response.status_code == status, f"{name}: {response.status_code}"
        assert inline_code(response.content.decode()) is None, f"{name} has inline code the CSP forbids"
