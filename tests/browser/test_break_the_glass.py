"""A case manager covering the after-hours line opens a patient she does not work with, stating why; the
privacy officer finds it on the review queue and in the audit trail, marked as emergency access."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.privacy.models import AuditEvent, EmergencyAccess

from ..conftest import current_code
from ..personas import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, user) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login/" not in url and "second-factor" not in url)


def test_break_the_glass_and_the_privacy_officer_reviews_it(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    bob_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = bob_ctx.new_page()
    page.set_default_timeout(10_000)
    _log_in(page, live_server.url, world.bob)

    # Bob cannot find Paula in his patient list...
    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Name or identifier").fill("Reyes")
    page.wait_for_timeout(500)
    assert "Reyes, Paula" not in page.locator("#patient-rows").inner_text()
    # ...so he uses emergency access with her MRN.
    page.get_by_role("link", name="Emergency access").click()
    page.get_by_label("MRN").fill(world.paula.mrn)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Open the record in an emergency").click()
    assert "Explain in a sentence" in page.content() or "This field is required." in page.content()
    page.get_by_label("Reason").select_option("patient_called")
    page.get_by_label("Why you need this record now").fill(
        "Paula called the after-hours line, short of breath."
    )
    page.get_by_label("I understand this access is recorded").check()
    screenshot("break-the-glass-request", page)
    page.get_by_role("button", name="Open the record in an emergency").click()
    assert "Emergency access until" in page.locator(".banner-emergency").inner_text()
    assert "Paula Reyes" in page.locator(".chart-header").inner_text()
    screenshot("break-the-glass-chart", page)
    bob_ctx.close()

    pia_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = pia_ctx.new_page()
    page.set_default_timeout(10_000)
    _log_in(page, live_server.url, world.pia)
    page.get_by_role("link", name="Privacy").click()
    queue = page.locator("main").inner_text()
    assert "Bob Tester" in queue and "Paula Reyes" in queue and "after-hours line" in queue
    screenshot("privacy-review-queue", page)
    page.get_by_role("link", name="audit event").first.click()
    assert "Emergency" in page.locator("table").inner_text()
    page.get_by_role("link", name="Emergency access review").click()
    page.get_by_label("Appropriate", exact=True).check()
    page.get_by_role("button", name="Record review").click()
    assert "Review recorded." in page.locator(".flash").inner_text()
    pia_ctx.close()

    grant = EmergencyAccess.objects.get()
    assert grant.reviewed_by == world.pia and grant.review_outcome == "appropriate"
    assert AuditEvent.objects.filter(
        user=world.bob, patient=world.paula, purpose="ETREAT", action="read"
    ).exists()
