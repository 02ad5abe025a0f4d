"""A case manager sets up an authenticator at first log-in, keeps the recovery codes, and logs in with a
code next time; a wrong code is refused beside the field."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code_for(secret_text: str) -> str:
    key = base64.b32decode(secret_text.replace(" ", "") + "=" * (-len(secret_text.replace(" ", "")) % 8))
    totp = TOTP(key, 30, 0, 6, 0)
    return f"{totp.token():06d}"


def _log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_case_manager_enrols_an_authenticator_and_logs_in_with_a_code(
    live_server, page, screenshot
) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    _log_in(page, live_server.url)
    page.wait_for_url("**/account/second-factor/setup/**")
    assert page.locator(".qr svg").count() == 1
    screenshot("second-factor-setup")
    secret = page.locator("code.key").inner_text()

    page.get_by_role("textbox", name="Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    assert "That code does not match" in page.locator(".error").inner_text()
    page.wait_for_timeout(1100)  # django-otp refuses every code for a second after a wrong one

    page.get_by_role("textbox", name="Code").fill(_code_for(secret))
    page.get_by_role("button", name="Confirm").click()
    # all_inner_texts() does not wait: wait for the next page first (a loaded CI machine answered late).
    expect(page.locator("ul.codes code")).to_have_count(10)
    codes = page.locator("ul.codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot("recovery-codes")
    page.get_by_role("link", name="I have saved them, continue").click()
    assert "My worklist" in page.locator("h1").inner_text()  # a case manager lands on the worklist

    # Next day: log out, log in again, and use a recovery code (the phone is at home).
    page.get_by_role("button", name="Log out").click()
    _log_in(page, live_server.url)
    page.wait_for_url("**/account/second-factor/**")
    page.get_by_role("textbox", name="Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login/" not in url and "second-factor" not in url)
    assert "My worklist" in page.locator("h1").inner_text()  # a case manager lands on the worklist
    assert TOTPDevice.objects.filter(user=world.bob, confirmed=True).count() == 1
    details = list(AuditEvent.objects.filter(user=world.bob).values_list("action", "detail"))
    assert ("login", "second factor: recovery code") in details
