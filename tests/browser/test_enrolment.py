"""A case manager's first morning with a new referral: log in, find the patient, open the chart, and move
the case through screening and consent to enrolment."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.cases.models import Case

from ..conftest import current_code
from ..personas import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_case_manager_enrols_a_patient_in_the_browser(live_server, page, screenshot) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    # Riverside requires a second factor for case managers: Alice's phone shows the current code.
    device = TOTPDevice.objects.create(user=world.alice, name="Alice's phone", confirmed=True)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Patients").click()

    page.get_by_label("Name or identifier").fill("Reyes")
    page.get_by_role("link", name="Reyes, Paula").click()
    header = page.locator(".chart-header")
    assert "Paula Reyes" in header.inner_text()
    assert "Interpreter" in header.inner_text()
    screenshot("chart")

    page.get_by_role("link", name="Complex case management").first.click()
    page.locator("summary", has_text="Start screening").click()
    page.get_by_role("button", name="Start screening").click()
    assert "The case is now screening." in page.locator(".flash").inner_text()

    # Enrolling without consent is refused in plain words, and nothing changes.
    page.locator("summary", has_text="Enrol").click()
    page.get_by_role("button", name="Enrol").click()
    assert "Record the patient's consent to case management before enrolling." in page.content().replace(
        "&#x27;", "'"
    )
    assert Case.objects.get(pk=world.paula_case.pk).status == "screening"

    page.locator("summary", has_text="Record consent").click()
    page.get_by_label("How consent was given").select_option("verbal")
    page.get_by_role("button", name="Record consent").click()
    page.locator("summary", has_text="Enrol").click()
    page.get_by_role("button", name="Enrol").click()
    assert "The case is now active." in page.locator(".flash").inner_text()
    timeline = page.locator(".timeline").inner_text()
    assert "Screening → Active" in timeline
    screenshot("case-enrolled")
    assert Case.objects.get(pk=world.paula_case.pk).status == "active"
