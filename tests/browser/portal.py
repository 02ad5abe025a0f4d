"""Shared by the portal's browser tests: a patient with a portal log-in and realistic content, made through the
actions, and a phone-sized browser context logged in through the real log-in page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from careconductor.accounts.models import StaffProfile, User
from careconductor.careplans.actions import do_add_goal, do_create_plan, do_decide_version, do_publish
from careconductor.careplans.models import Goal
from careconductor.core import clock
from careconductor.engagement import actions
from careconductor.engagement.models import Message
from careconductor.patients.models import Patient

from ..personas import PASSWORD, World, build_world
from ..pictures import png

# An iPhone 12-14 sized screen, touch and all.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"width": 1366, "height": 768}
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
WALK = "Walk to church on Sundays"
PNG = png()  # a real picture: the upload decodes and re-encodes it


def portal_login(world: World, patient: Patient, username: str) -> User:
    """The patient's own log-in, made the way a patient makes it: from the case manager's invitation."""
    made = actions.do_invite_patient(world.alice, patient)
    login = actions.do_accept_invitation(
        made.secret, username=username, password=PASSWORD, birth_date=patient.birth_date
    )
    patient.refresh_from_db()
    return login


@dataclass
class PortalWorld:
    world: World
    paula_login: User
    goal: Goal
    thread: Message  # the care team's message to Paula, with an attachment, and her reply


def build_portal(*, content: bool = True) -> PortalWorld:
    """Paula (who prefers Spanish) with her portal log-in. With `content`: an approved plan with an active goal,
    a medication taken twice a day, a few readings (one glucose past the limit), a message thread with a
    picture attached, an education material."""
    from careconductor.education.actions import do_assign_material
    from careconductor.medications.actions import do_add_medication

    world = build_world()
    # The number the portal gives Paula to call (without it the portal falls back to 911).
    StaffProfile.objects.filter(user=world.alice).update(work_phone="555-0199")
    paula = world.paula
    login = portal_login(world, paula, "paula")
    if not content:
        return PortalWorld(world, login, None, None)  # type: ignore[arg-type]
    alice = world.alice
    plan = do_create_plan(alice, world.paula_case)
    goal = do_add_goal(
        alice,
        plan,
        patient_words=WALK,
        measure="other",
        measure_text="Sundays walked",
        target_text="Every Sunday in May",
        lifecycle="active",
    )
    version = do_publish(alice, plan, reason="First plan")
    do_decide_version(world.sam, version, approve=True)  # complex case management plans need the supervisor
    do_add_medication(
        alice,
        paula,
        name="Metformin",
        dose="500 mg tablet",
        instructions="with breakfast and supper",
        times=["08:00", "18:00"],
        start_date=clock.today(),
    )
    actions.do_report_blood_pressure(login, paula, systolic=Decimal(132), diastolic=Decimal(82))
    actions.do_report_reading(login, paula, measure="weight", value=Decimal("79.5"))
    actions.do_report_reading(login, paula, measure="glucose", value=Decimal(142))
    actions.do_report_reading(login, paula, measure="glucose", value=Decimal(320))  # past the limit
    first = actions.do_send_message(
        alice,
        paula,
        subject="Your new pill box",
        body="Hello Paula,\nhere is a picture of how to fill the pill box.",
        files=[SimpleUploadedFile("pill-box.png", PNG, content_type="image/png")],
    )
    actions.do_send_message(login, paula, subject="", body="Thank you, I filled it.", reply_to=first)
    do_assign_material(alice, paula, slug="hypertension-home-blood-pressure", reason="New meter")
    return PortalWorld(world, login, goal, first)


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page's own requests are done before the test reads the database."""
    page.wait_for_load_state("networkidle")


def phone_context(browser, language: str = "en", **options):  # type: ignore[no-untyped-def]
    """A phone-sized context. The accessibility test passes bypass_csp=True: the site's CSP (script-src 'self')
    rightly refuses the inline script Playwright injects axe-core with."""
    locale = {"es": "es-US", "en": "en-US"}[language]  # the phone's own words (file picker, date field)
    context = browser.new_context(**PHONE, locale=locale, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def portal_log_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Through the real log-in page (patients have no second factor unless they add one)."""
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/portal"))
    settle(page)
