"""A prior authorisation from the phone call to the overturned appeal, in Chromium (issue 21). Uma, the UM nurse,
takes a standard request for an oxygen concentrator by phone: she finds Paula by her member ID and birth date,
types the service, and the request starts on the 7-day clock. She takes it into review, answers the example
home-oxygen criteria (saturation not low enough: not met) and sends it to a physician. Mo, the medical director,
finds it on his worklist under "For a physician", denies it with the specific reason, and the letters are written:
Paula's in Spanish, which the PDF link serves. Paula calls to appeal with a new test; Uma files it; Mo is not
offered the appeal's decision (he made the first); Meg, the other medical director, overturns it and Paula's
letter is written.

Screenshots (test-artifacts/screenshots/um-journey-*): the intake form, the request on its clock, Mo's decision,
the overturned appeal on a phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from careconductor.accounts.choices import Discipline, Role
from careconductor.core import clock
from careconductor.patients.actions import do_add_coverage
from careconductor.patients.choices import CoverageKind
from careconductor.um.models import AuthRequest

from ..personas import World, make_staff
from .portal import PHONE
from .test_morning import at, log_in, overflow, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _mid_morning() -> Iterator[None]:
    with time_machine.travel(at(clock.today(), 9), tick=True):
        yield


def test_a_phone_request_is_reviewed_and_denied_with_its_reason(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, world: World
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    do_add_coverage(
        world.alice, world.paula, kind=CoverageKind.MEDICARE_ADVANTAGE, payer="Riverside Health Plan",
        plan_name="Riverside Advantage", member_id="RH-1001", start_date=clock.today() - dt.timedelta(days=200),
    )  # fmt: skip
    context, page = log_in(browser, base, world.uma, LAPTOP)
    page.get_by_role("link", name="Prior authorisations").click()
    page.get_by_role("link", name="Take in a request").click()
    page.get_by_label("Member ID").fill("RH-1001")
    page.get_by_label("Member's birth date").fill("1956-03-14")
    page.get_by_label("Urgency").select_option("standard")
    page.get_by_label("Requesting provider").fill("Dr Priya Raman")
    page.get_by_label("Servicing provider or facility").fill("Valley Home Medical")
    page.get_by_label("Place of service").fill("12")
    page.locator("#id_code_1").fill("E1390")
    page.locator("#id_description_1").fill("Oxygen concentrator")
    page.locator("#id_units_1").fill("1")
    page.locator("#id_start_1").fill((clock.today() + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Diagnoses (ICD-10-CM)").fill("J44.1")
    page.get_by_label("Clinical notes").fill("COPD; saturation 90 % at rest on room air.")
    screenshot("um-journey-1-intake", on=page)
    page.get_by_role("button", name="Take in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Received")
    expect(page.locator(".um-clock")).to_contain_text("Standard: due")
    request = AuthRequest.objects.get()
    assert request.due_at - request.received_at >= dt.timedelta(days=7) - dt.timedelta(hours=1)

    page.get_by_role("button", name="Take into review").click()
    page.locator("input[name='low-saturation'][value='no']").check()
    page.get_by_role("button", name="Save the answers").click()
    expect(page.get_by_text("The criteria are not met: a physician decides.")).to_be_visible()
    page.locator("form[action$='/physician/'] textarea").fill("Saturation 90 %: criteria not met.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("With a physician")
    screenshot("um-journey-2-request", on=page)
    settle(page)
    context.close()

    context, page = log_in(browser, base, world.mo, LAPTOP)
    page.goto(f"{base}/um/?show=physician")
    page.get_by_role("link", name=request.reference).click()
    page.get_by_label("Deny").check()
    page.get_by_role("button", name="Decide and write the letters").click()
    expect(page.locator("#id_reason_error")).to_contain_text("specific reason")  # beside the field
    page.get_by_label("Deny").check()
    page.get_by_label("Specific reason (partial approval or denial)").select_option("criteria-not-met")
    page.get_by_label("In your words").fill("Oxygen at home helps when saturation at rest is 88 % or lower.")
    page.get_by_role("button", name="Decide and write the letters").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Denied")
    letter = page.get_by_role("link", name=f"Su solicitud {request.reference} fue no aprobada")
    expect(letter).to_be_visible()
    pdf = page.request.get(base + letter.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    screenshot("um-journey-3-denied", on=page)
    settle(page)
    context.close()

    context, page = log_in(browser, base, world.uma, LAPTOP)
    page.goto(f"{base}/um/{request.pk}/")
    page.get_by_label("What the appeal says").fill("A new test on room air shows 86 % at rest.")
    page.get_by_role("button", name="File the appeal").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Under appeal")
    settle(page)
    context.close()

    context, page = log_in(browser, base, world.mo, LAPTOP)
    page.goto(f"{base}/um/{request.pk}/")
    expect(
        page.get_by_text("A physician other than the one who decided first decides the appeal.")
    ).to_be_visible()
    settle(page)
    context.close()

    meg = make_staff("meg", Role.MEDICAL_DIRECTOR, world.riverside, discipline=Discipline.PHYSICIAN)
    context, page = log_in(browser, base, meg, PHONE["viewport"])
    page.goto(f"{base}/um/?show=physician")
    page.get_by_role("link", name=request.reference).click()
    page.get_by_label("Overturn: approve the service").check()
    page.get_by_label("Reasons").fill("The new test meets the criteria.")
    page.get_by_role("button", name="Decide the appeal").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Approved on appeal")
    expect(page.get_by_role("link", name=f"Su apelación de la solicitud {request.reference}")).to_be_visible()
    assert overflow(page)["page"] == 0
    screenshot("um-journey-4-appeal-phone", on=page)
    settle(page)
    context.close()
    request.refresh_from_db()
    assert request.auth_number and request.appeal.reviewer == meg
