"""A case manager's morning, in Chromium, at a laptop's size and again at a tablet's: open the worklist, call the
top patient, log the contact (first with the error beside the Minutes field, nothing saved), and see the row
move out of "Contacts due".

The caseload is built through the actions, a month back in time (time-machine) for the enrolments, then with
contacts dated 9 and 7 days ago: one tier-4 patient overdue, one due today, one not due for weeks, an urgent task
and a discharge home on the last business day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer, do_transition_case
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.actions import ContactInput, do_create_task, do_log_contact
from careconductor.coordination.choices import (
    ContactDirection,
    ContactMode,
    MedsTaken,
    TaskPriority,
    TeachBack,
)
from careconductor.coordination.models import Contact
from careconductor.coordination.rules import is_business_day
from careconductor.core import clock
from careconductor.patients.actions import PatientDetails, do_add_encounter
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType

from ..conftest import current_code
from ..personas import PASSWORD, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}  # a tablet, portrait
SIZES = [pytest.param("laptop", LAPTOP, id="laptop"), pytest.param("tablet", TABLET, id="tablet")]
BANDS = ["Urgent", "Contacts due", "Transitional care", "Reassessments and plan reviews", "Other work"]

HER_WORDS = "My sugars were better this week, but I ran out of the blue inhaler on Friday."
TAUGHT = "How to use the spacer with the inhaler, and when to call about breathing"
NEXT = "Pharmacy refill today; call again next week"


# --- Helpers shared with test_coordination_screens.py ---------------------------------------------------------
def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local (settings.TIME_ZONE) moment."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page's own requests are done (each page asks for the notification badge once loaded)
    before the test reads the database: SQLite's shared in-memory test database refuses a read while the live
    server's thread is writing ("database table is locked")."""
    page.wait_for_load_state("networkidle")


def log_in(browser, base: str, user: User, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    """A new browser context of `viewport`'s size logged in as `user` (password, then the authenticator's code);
    returns the context and its page, wherever the log-in landed."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login/")
    settle(page)
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    device = TOTPDevice.objects.create(user=user, name=f"{user.username}'s device", confirmed=True)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login/" not in url and "second-factor" not in url)
    settle(page)
    return context, page


def enrol(user: User, case: Case) -> Case:
    """Screening, the enrolment consent, active: the case's cadence starts now."""
    do_transition_case(user, case, TransitionRequest(CaseStatus.SCREENING))
    do_record_consent(
        user,
        case.patient,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today(),
    )
    return do_transition_case(user, case, TransitionRequest(CaseStatus.ACTIVE))


def patient_of(
    manager: User,
    given: str,
    family: str,
    *,
    tier: int,
    program: Program = Program.CCM,
    phone: str = "",
    best_time: str = "",
) -> Case:
    """A patient registered and referred by `manager` (who so carries the case), enrolled now."""
    patient = do_register_and_refer(
        manager,
        PatientDetails(
            given_name=given,
            family_name=family,
            birth_date=dt.date(1949, 4, 2),
            sex=Sex.FEMALE,
            phone=phone,
            preferred_contact_times=best_time,
        ),
        program=program,
        referral_source=ReferralSource.HOSPITAL,
        referral_reason="Heart failure and diabetes, two admissions this year",
        acuity_tier=tier,
    )
    return enrol(manager, Case.objects.get(patient=patient))


def reached(user: User, patient: Patient, when: dt.datetime, minutes: int = 15) -> Contact:
    """A reached phone call, logged through the action."""
    data = ContactInput(
        contact_at=when,
        mode=ContactMode.PHONE,
        direction=ContactDirection.OUTBOUND,
        reached=True,
        minutes=minutes,
    )
    return do_log_contact(user, patient, data, case=Case.objects.filter(patient=patient).first())


def last_business_day(today: dt.date) -> dt.date:
    day = today - dt.timedelta(days=1)
    while not is_business_day(day, frozenset()):
        day -= dt.timedelta(days=1)
    return day


def overflow(page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """How far the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate(
        "() => ({page: document.documentElement.scrollWidth - window.innerWidth,"
        " tables: Math.max(0, ...[...document.querySelectorAll('table')].map("
        "t => t.scrollWidth - t.parentElement.clientWidth)), width: window.innerWidth})"
    )


# --- The morning ----------------------------------------------------------------------------------------------
@dataclass
class Morning:
    world: World
    overdue: Patient  # tier 4, last reached 9 days ago: overdue by 2 days
    due_today: Patient  # tier 4, last reached 7 days ago
    later: Patient  # tier 1, reached 2 days ago: not due for weeks
    urgent: Patient  # an urgent task due today
    home: Patient  # discharged home on the last business day


def build_morning() -> Morning:
    now = clock.now()
    today = clock.today()
    with time_machine.travel(now - dt.timedelta(days=30), tick=True):
        world = build_world()
        alice = world.alice
        overdue = patient_of(alice, "Olive", "Ashworth", tier=4, phone="555-0141", best_time="mornings")
        due_today = patient_of(alice, "Dora", "Bramley", tier=4, phone="555-0142")
        later = patient_of(alice, "Walt", "Carrow", tier=1, phone="555-0143")
        urgent = patient_of(alice, "Uma", "Denholm", tier=2, phone="555-0144")
        home = patient_of(alice, "Hal", "Everett", tier=3, phone="555-0145", best_time="after 5 pm")
    reached(alice, overdue.patient, at(today - dt.timedelta(days=9), 10))
    reached(alice, due_today.patient, at(today - dt.timedelta(days=7), 11))
    reached(alice, later.patient, at(today - dt.timedelta(days=2), 9))
    reached(alice, urgent.patient, at(today - dt.timedelta(days=3), 9))
    discharged_on = last_business_day(today)
    reached(alice, home.patient, at(discharged_on - dt.timedelta(days=6), 9))  # before the admission
    do_add_encounter(
        alice,
        home.patient,
        encounter_class="IMP",
        facility="St Mary's",
        start=at(discharged_on - dt.timedelta(days=4), 14),
        end=at(discharged_on, 11),
        discharge_disposition="home",
    )
    do_create_task(
        alice,
        urgent.patient,
        owner=alice,
        title="Call about the insulin refill",
        due_at=at(today, 17),
        priority=TaskPriority.URGENT,
        case_id=urgent.pk,
    )
    return Morning(world, overdue.patient, due_today.patient, later.patient, urgent.patient, home.patient)


def band(page, label: str):  # type: ignore[no-untyped-def]
    """The worklist's section for one group."""
    return page.locator("section.worklist").filter(
        has=page.get_by_role("heading", level=2, name=re.compile(rf"^{re.escape(label)}\b"))
    )


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_a_morning_call_the_top_patient_and_see_the_row_move(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, size: str, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    m = build_morning()
    base = live_server.url
    context, page = log_in(browser, base, m.world.alice, viewport)
    notes: dict[str, Any] = {}

    # The home page sends a case manager to the worklist.
    expect(page).to_have_url(re.compile(r"/worklist/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("My worklist")
    headings = [
        re.sub(r"\s*\(\d+ patients?(, \d+ items)?\)$", "", t.strip())
        for t in page.locator("section.worklist h2").all_inner_texts()
    ]
    assert headings == BANDS, headings

    urgent_rows = band(page, "Urgent").locator("tbody tr")
    expect(urgent_rows.first).to_contain_text("Denholm, Uma")
    expect(urgent_rows.first).to_contain_text("Urgent task, due")
    expect(band(page, "Transitional care").locator("tbody tr").first).to_contain_text("Everett, Hal")
    expect(band(page, "Transitional care").locator("tbody tr").first).to_contain_text(
        "Discharged from St Mary's"
    )

    # One group per patient: the name once, then their rows (the contact first, their reassessments after it).
    contacts = band(page, "Contacts due").locator("tbody.patient-group")
    expect(contacts).to_have_count(2)
    top = contacts.first
    expect(top.locator("th", has_text="Ashworth, Olive")).to_have_count(1)
    expect(top.locator("tr").first).to_have_attribute("data-kind", "contact")
    expect(top).to_contain_text("Ashworth, Olive")
    expect(top).to_contain_text(
        re.compile(r"Contact overdue by 2 d \(last reached \w{3} \d+; every 7 days\) by phone")
    )
    expect(top).to_contain_text("Phone 555-0141, best mornings")
    expect(contacts.nth(1)).to_contain_text("Bramley, Dora")
    expect(contacts.nth(1)).to_contain_text("Contact due today")
    # Not due for weeks: no contact row (only the reassessments every active case has).
    expect(page.locator('tr[data-kind="contact"]', has_text="Carrow, Walt")).to_have_count(0)
    notes["worklist overflow"] = overflow(page)
    screenshot(f"morning-{size}-1-worklist-before", on=page)

    # The top row's one button.
    top.get_by_role("link", name="Log contact").click()
    expect(page).to_have_url(re.compile(rf"/patients/{m.overdue.pk}/contacts/\?case=\d+&next=/worklist/"))
    expect(page.get_by_role("heading", level=2, name="Contacts with Olive Ashworth")).to_be_visible()
    settle(page)
    before = Contact.objects.filter(patient=m.overdue).count()

    # Reached, but no minutes: refused, the error beside Minutes, nothing saved.
    page.get_by_role("radio", name="Yes, we spoke").check()
    expect(page.get_by_label("Minutes")).to_have_value("0")
    page.get_by_role("button", name="Save contact").click()
    minutes_field = page.locator(".field", has=page.locator("#id_minutes"))
    expect(minutes_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(minutes_field.locator(".error")).to_have_text(
        "Give the minutes spent: they count toward the monthly care-management time."
    )
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.get_by_role("radio", name="Yes, we spoke")).to_be_checked()  # kept
    settle(page)
    assert Contact.objects.filter(patient=m.overdue).count() == before
    box = minutes_field.locator(".error").bounding_box()
    notes["error in view on arrival"] = bool(box and box["y"] + box["height"] <= viewport["height"])
    screenshot(f"morning-{size}-2-form-error", on=page)

    # Properly, by keyboard where it matters: the radio by Space, the fields by their labels, save by Enter.
    page.get_by_role("radio", name="Yes, we spoke").focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Yes, we spoke")).to_be_checked()
    minutes = page.get_by_label("Minutes")
    minutes.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("18")
    page.get_by_label("What the patient said, in their words").fill(HER_WORDS)
    page.get_by_label("Medicines").select_option(label=MedsTaken.SOME.label)
    page.get_by_label("Education given").fill(TAUGHT)
    page.get_by_label("Teach-back").select_option(label=TeachBack.CONFIRMED.label)
    page.get_by_label("Next steps").fill(NEXT)
    # Tab order follows the form's columns: the patient's words, then the medicines.
    page.get_by_label("What the patient said, in their words").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Medicines")).to_be_focused()
    screenshot(f"morning-{size}-2b-form-filled", on=page)
    page.get_by_role("button", name="Save contact").focus()
    page.keyboard.press("Enter")

    # Back on the worklist: the row has left "Contacts due" (the next call in 7 days).
    expect(page).to_have_url(re.compile(r"/worklist/$"))
    # The message names the patient and the new due day: one interval (7 days, tier 4) from today.
    next_due = clock.today() + dt.timedelta(days=7)
    expect(page.locator(".flash")).to_have_text(
        f"Contact with Olive Ashworth logged; next contact due {next_due:%a %b} {next_due.day}."
    )
    contacts = band(page, "Contacts due").locator("tbody.patient-group")
    expect(contacts).to_have_count(1)
    expect(contacts.first).to_contain_text("Bramley, Dora")
    expect(band(page, "Contacts due")).not_to_contain_text("Ashworth")
    # Her most pressing row is now a reassessment: her group, with the contact next week, sits there.
    group = band(page, "Reassessments and plan reviews").locator(
        "tbody.patient-group", has_text="Ashworth, Olive"
    )
    expect(group).to_have_count(1)
    moved = group.locator('tr[data-kind="contact"]')
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text(re.compile(r"Next contact due \w{3} \d+ \(every 7 days\) by phone"))
    expect(moved).not_to_have_class(re.compile(r"\boverdue\b"))
    notes["worklist-after overflow"] = overflow(page)
    screenshot(f"morning-{size}-3-worklist-after", on=page)

    settle(page)
    contact = Contact.objects.filter(patient=m.overdue).latest("contact_at")
    assert (contact.reached, contact.minutes, contact.mode, contact.staff_id) == (
        True,
        18,
        "phone",
        m.world.alice.pk,
    )
    assert (
        contact.patient_words,
        contact.meds_taken,
        contact.education,
        contact.teach_back,
        contact.next_steps,
    ) == (
        HER_WORDS,
        MedsTaken.SOME,
        TAUGHT,
        TeachBack.CONFIRMED,
        NEXT,
    )
    assert contact.case is not None and contact.case.patient_id == m.overdue.pk
    print(f"\n[{size}] {notes}")
    settle(page)  # the badge request of the last page writes the session
    context.close()
