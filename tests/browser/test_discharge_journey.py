"""A discharge nobody typed, in Chromium (issue 19): St. Mary's interface engine sends an ADT^A03 over MLLP for
Thanh Nguyen, a clinic patient with no case, after fifteen days in hospital from an emergency admission (LACE
10). CareConductor refers him to transitional care at intake; Sam, the supervisor, finds the referral with its
reason among the unassigned cases and gives it to Alice; Alice enrols him, calls him from the worklist's
"Transitional care" row, reconciles his medicines against the discharge list (an omission and a dose mismatch,
each a task for the care team's pharmacist, who finds both on his worklist), and once Dr Dana has seen him in
person the discharge has left the "Transitional care" band.

The world (the organisation, the feed, the patient, his care team and the medication list the clinic keeps) is
made through the actions; the clock stands at 10:00 today (ticking), the stay ended yesterday. Screenshots
(test-artifacts/screenshots/discharge-journey-*): the referral, the reconciliation and the worklist at a
laptop's size, the reconciliation and the worklist at a phone's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import User
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.coordination.models import Contact, Task
from careconductor.core import clock
from careconductor.medications.actions import do_add_medication
from careconductor.medications.models import Reconciliation
from careconductor.patients.actions import PatientDetails, do_add_care_team_member, do_create_patient
from careconductor.patients.choices import Sex
from careconductor.patients.models import Encounter, Patient
from careconductor.transitions.actions import do_create_feed
from careconductor.transitions.choices import Outcome
from careconductor.transitions.models import AdtMessage
from careconductor.transitions.tasks import discharge_work
from tests.transitions.listening import listener_thread

from ..personas import World, make_staff
from ..transitions.messages import adt
from ..transitions.test_listener import run, send_all
from .portal import PHONE
from .test_morning import at, band, log_in, overflow, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}
HOSPITAL = "St. Mary's Hospital"  # the feed's name
NGUYEN = {"mrn": "H777", "family": "Nguyen", "given": "Thanh", "birth": "19480203", "sex": "M"}
OMISSION = "Medication reconciliation: omission, Metformin"
DOSE_MISMATCH = "Medication reconciliation: dose mismatch, Lisinopril"


@pytest.fixture(autouse=True)
def _mid_morning() -> Iterator[None]:
    """10:00 today, ticking: the day cannot turn during the journey, and yesterday's discharge is past."""
    with time_machine.travel(at(clock.today(), 10), tick=True):
        yield


@dataclass
class Ward:
    world: World
    patient: Patient
    phil: User  # the clinic's pharmacist, on the patient's care team
    discharged: dt.datetime


def hl7(moment: dt.datetime) -> str:
    """A local time as HL7 sends it (no offset: the sender's local time)."""
    return f"{moment:%Y%m%d%H%M%S}"


@pytest.fixture
def ward(world: World) -> Ward:
    """Thanh Nguyen, registered at the clinic without a case: Dr Dana and Phil the pharmacist on his care team,
    and the list of medicines he takes."""
    adam = world.adam
    phil = make_staff("phil", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    patient = do_create_patient(
        adam,
        PatientDetails(
            given_name="Thanh",
            family_name="Nguyen",
            birth_date=dt.date(1948, 2, 3),
            sex=Sex.MALE,
            phone="555-0177",
        ),
    )
    do_add_care_team_member(adam, patient, member=world.dana, role="Primary care physician")
    do_add_care_team_member(adam, patient, member=phil, role="Clinic pharmacist")
    started = clock.today() - dt.timedelta(days=120)
    for name, dose, times in (
        ("Metformin", "500 mg tablet", ["08:00", "18:00"]),
        ("Lisinopril", "10 mg tablet", ["08:00"]),
        ("Atorvastatin", "40 mg tablet", ["21:00"]),
    ):
        do_add_medication(
            adam, patient, name=name, dose=dose, instructions="", times=times, start_date=started
        )
    yesterday = clock.today() - dt.timedelta(days=1)
    return Ward(world, patient, phil, at(yesterday, 11))


@pytest.fixture
def listening(ward: Ward) -> Iterator[int]:
    """St. Mary's feed, and the MLLP listener running (tests/transitions/listening.py); its port."""
    do_create_feed(ward.world.adam, name=HOSPITAL, sending_facility="STMARYS")
    with listener_thread() as port:
        yield port


def a03(ward: Ward) -> str:
    """The discharge home (PV1-36 01) of an emergency admission (PV1-4 E) fifteen days before: LACE's L is 7
    and its A is 3, so LACE is 10 with no comorbidity or ED visit on record."""
    admitted = at(ward.discharged.date() - dt.timedelta(days=15), 8)
    pv1 = {4: "E", 19: "V9001", 36: "01", 44: hl7(admitted), 45: hl7(ward.discharged)}
    return adt("A03", "DJ-0001", pv1=pv1, **NGUYEN)


def test_a_discharge_over_mllp_becomes_transitional_care_done(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, ward: Ward, listening: int
) -> None:
    from playwright.sync_api import expect

    world, patient, base = ward.world, ward.patient, live_server.url
    day = ward.discharged.date()
    notes: dict[str, object] = {}

    # --- The hospital's interface engine: one A03 over MLLP, acknowledged AA -----------------------------------
    [ack] = run(send_all(listening, [a03(ward)]))
    assert ack.split("\r")[1].split("|")[:3] == ["MSA", "AA", "DJ-0001"], ack
    message = AdtMessage.objects.get(control_id="DJ-0001")
    assert message.outcome == Outcome.APPLIED, message.reason
    # The listener acknowledges first and queues the discharge's work; the worker does it (here, at once).
    assert "discharge work queued" in message.effect, message.effect
    discharge_work.call_local(message.pk)
    message.refresh_from_db()
    assert "LACE 10" in message.effect and "referred to transitional care" in message.effect, message.effect
    stay = Encounter.objects.get(patient=patient, source="hl7v2")
    assert stay.end == ward.discharged
    case = Case.objects.get(patient=patient)
    assert (case.program, case.status, case.referral_source, case.primary_case_manager) == (
        Program.TCM,
        CaseStatus.REFERRED,
        ReferralSource.INTERFACE,
        None,
    )
    reason = f"Discharged from {HOSPITAL} on {day:%b} {day.day}, {day.year}, LACE 10"
    assert case.referral_reason == reason

    # --- Sam, the supervisor: the referral among the unassigned cases, with its reason; to Alice --------------
    sam_context, page = log_in(browser, base, world.sam, LAPTOP)
    page.get_by_role("link", name="Cases", exact=True).first.click()
    filters = page.get_by_role("form", name="Filter cases")
    filters.get_by_label("Case manager").select_option(label="Unassigned")
    filters.get_by_label("Programme").select_option(label="Transitional care")
    filters.get_by_role("button", name="Filter").click()
    row = page.locator("table tbody tr", has_text="Nguyen, Thanh")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Referred")
    expect(row).to_contain_text("Unassigned")
    row.get_by_role("link", name="Nguyen, Thanh").click()
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text(reason)
    expect(facts).to_contain_text("Another system (FHIR or HL7 interface)")
    # LACE 10 suggests tier 3 (a visit within 7 days): Sam confirms it before choosing who carries the case.
    expect(page.locator("#acuity-suggestion")).to_contain_text("LACE 10 → at least tier 3")
    settle(page)
    screenshot("discharge-journey-1-laptop-intake-referral", on=page)
    page.get_by_role("button", name="Confirm tier 3").click()
    expect(page.locator("dl.facts").first).to_contain_text("Tier 3")
    page.get_by_role("link", name="Assign", exact=True).click()
    page.get_by_label("Case manager").select_option(label="Alice Tester")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash")).to_contain_text("Alice Tester is now the case manager.")
    settle(page)
    sam_context.close()
    assert Case.objects.get(pk=case.pk).primary_case_manager == world.alice

    # --- Alice: her new case, screened, consented and enrolled ------------------------------------------------
    laptop, page = log_in(browser, base, world.alice, LAPTOP)
    page.get_by_role("link", name="Cases", exact=True).first.click()
    page.locator("table tbody tr", has_text="Nguyen, Thanh").get_by_role("link", name="Nguyen, Thanh").click()
    expect(page.locator("dl.facts").first).to_contain_text(reason)
    page.locator("summary", has_text="Start screening").click()
    page.get_by_role("button", name="Start screening").click()
    expect(page.locator(".flash")).to_contain_text("The case is now screening.")
    page.locator("summary", has_text="Record consent").click()
    page.get_by_label("How consent was given").select_option("verbal")
    page.get_by_role("button", name="Record consent").click()
    page.locator("summary", has_text="Enrol").click()
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator(".flash")).to_contain_text("The case is now active.")
    settle(page)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACTIVE

    # --- The worklist's Transitional care row: the 2-business-day call, logged from the row -------------------
    page.goto(f"{base}/worklist/")
    tcm = band(page, "Transitional care").locator("tbody.patient-group", has_text="Nguyen, Thanh")
    tcm_row = tcm.locator('tr[data-kind="transition"]')
    expect(tcm_row).to_have_count(1)
    expect(tcm_row).to_contain_text(
        re.compile(rf"Discharged from {re.escape(HOSPITAL)} {day:%b} {day.day}: interactive contact due by")
    )
    settle(page)
    screenshot("discharge-journey-2-laptop-worklist-discharge", on=page)
    tcm_row.get_by_role("link", name="Log contact").click()
    expect(page.get_by_role("heading", level=2, name="Contacts with Thanh Nguyen")).to_be_visible()
    expect(page.get_by_label("How")).to_have_value("phone")
    page.get_by_role("radio", name="Yes, we spoke").check()
    page.get_by_label("Minutes").fill("20")
    page.get_by_label("What the patient said, in their words").fill(
        "Home since yesterday, tired. The hospital gave me a new list and a water pill."
    )
    page.get_by_role("button", name="Save contact").click()
    expect(page).to_have_url(re.compile(r"/worklist/$"))
    # Still in the band: the visit is due (and, when the row asks for it, the reconciliation).
    expect(tcm_row).to_contain_text(re.compile(r"follow-up visit due by|medicines not reconciled"))
    settle(page)

    # --- The reconciliation: his list beside the discharge list ---------------------------------------------
    page.locator("section.worklist").get_by_role("link", name="Nguyen, Thanh").first.click()
    # After a discharge the chart's alerts lead to the reconciliation.
    expect(page.locator(".alerts")).to_contain_text("Discharged yesterday")
    page.locator(".alerts").get_by_role("link", name="Reconcile medicines").click()
    expect(page.get_by_label("For the discharge from")).to_have_value(str(stay.pk))
    page.get_by_role("button", name="Start the reconciliation").click()
    expect(page.locator(".flash")).to_contain_text("Reconciliation started")
    lines = page.locator("table.reconciliation tbody tr")
    expect(lines).to_have_count(3)  # one line per medicine on his list

    adding = page.locator("#discharge")
    for name, dose in (
        ("Lisinopril", "20 mg tablet"),
        ("Atorvastatin", "40 mg tablet"),
        ("Furosemide", "40 mg tablet"),
    ):
        adding.get_by_label("Medication on the discharge list").fill(name)
        adding.get_by_label("Dose on the discharge list").fill(dose)
        adding.get_by_role("button", name="Add to the discharge list").click()
        expect(page.locator(".flash")).to_contain_text(f"{name} from the discharge list is on the page.")
    expect(lines).to_have_count(4)  # Furosemide is new

    def line(name: str):  # type: ignore[no-untyped-def]
        return page.locator("table.reconciliation tbody tr", has=page.locator("th", has_text=name))

    discrepancy = {
        "Metformin": "Omission",
        "Lisinopril": "Dose mismatch",
        "Atorvastatin": "none",
        "Furosemide": "none",
    }
    for name, found in discrepancy.items():
        expect(line(name).locator("td").nth(3)).to_have_text(found)
    expect(line("Metformin").locator("td").nth(1)).to_have_text("not on it")  # the discharge list omits it

    # What he takes (Metformin: he was not asked, so its omission stays an omission), then each decision.
    line("Lisinopril").locator("summary", has_text="Ask").click()
    line("Lisinopril").get_by_label("Does the patient take it?").select_option(label="Takes it")
    line("Lisinopril").get_by_role("button", name="Save for Lisinopril").click()
    expect(page.locator(".flash")).to_contain_text("Saved what the patient says about Lisinopril.")
    decisions = {
        "Metformin": ("Continue", "", "", "Not on the discharge list: the pharmacist asks the hospitalist."),
        "Lisinopril": ("Change dose", "20 mg tablet", "", "Raised in hospital for blood pressure."),
        "Atorvastatin": ("Continue", "", "", ""),
        "Furosemide": ("New", "", "08:00", "Started in hospital for fluid."),
    }
    for name, (decision, new_dose, times, note) in decisions.items():
        row = line(name)
        row.locator("summary", has_text="Decide").click()
        row.get_by_label("Decision").select_option(label=decision)
        if new_dose:
            row.get_by_label("New dose").fill(new_dose)
        if times:
            row.get_by_label("Daily dose times").fill(times)
        if note:
            row.get_by_label("Note").fill(note)
        row.get_by_role("button", name=f"Decide on {name}").click()
        expect(page.locator(".flash")).to_contain_text(f"Decided on {name}.")
    expect(page.locator("#complete")).to_contain_text("Every line is decided.")
    for name, found in discrepancy.items():  # the decisions change no discrepancy
        expect(line(name).locator("td").nth(3)).to_have_text(found)
    settle(page)
    notes["reconciliation overflow (laptop)"] = overflow(page)
    screenshot("discharge-journey-3-laptop-reconciliation", on=page)
    reconciliation_url = page.url.split("#")[0]

    phone = browser.new_context(**PHONE, storage_state=laptop.storage_state())  # her phone, same session
    small = phone.new_page()
    small.set_default_timeout(10_000)
    small.goto(reconciliation_url)
    expect(small.locator("table.reconciliation tbody tr")).to_have_count(4)
    settle(small)
    notes["reconciliation overflow (phone)"] = overflow(small)
    screenshot("discharge-journey-4-phone-reconciliation", on=small)

    # Completed with who took part: one task per discrepancy, for the pharmacist, naming the line.
    page.locator("#complete").get_by_label("Who took part").fill("Thanh Nguyen (by phone), Alice Tester RN")
    page.get_by_role("button", name="Complete the reconciliation").click()
    expect(page.locator(".flash")).to_contain_text("Reconciliation completed")
    expect(page.locator("#reconciliation-facts")).to_contain_text(
        "with Thanh Nguyen (by phone), Alice Tester RN"
    )
    for name in ("Metformin", "Lisinopril"):
        expect(line(name).get_by_role("link", name="Task for Phil Tester")).to_have_count(1)
    for name in ("Atorvastatin", "Furosemide"):
        expect(line(name).get_by_role("link")).to_have_count(0)
    settle(page)
    reconciliation = Reconciliation.objects.get(patient=patient)
    assert reconciliation.completed and reconciliation.encounter_id == stay.pk
    tasks = Task.objects.filter(patient=patient).order_by("title")
    assert [(t.title, t.owner_id) for t in tasks] == [
        (DOSE_MISMATCH, ward.phil.pk),
        (OMISSION, ward.phil.pk),
    ]

    # The reconciliation alone does not finish transitional care: the visit is still due.
    page.goto(f"{base}/worklist/")
    expect(tcm_row).to_contain_text("follow-up visit due by")
    settle(page)

    # Phil, the pharmacist, finds both on his worklist.
    phil_context, phil_page = log_in(browser, base, ward.phil, LAPTOP)
    phil_page.goto(f"{base}/worklist/")
    his = phil_page.locator("section.worklist tbody.patient-group", has_text="Nguyen, Thanh")
    expect(his.locator("tr", has_text=OMISSION)).to_have_count(1)
    expect(his.locator("tr", has_text=DOSE_MISMATCH)).to_have_count(1)
    settle(phil_page)
    screenshot("discharge-journey-5-laptop-pharmacist-worklist", on=phil_page)
    phil_context.close()

    # --- Dr Dana sees him in the clinic: the follow-up visit ------------------------------------------------
    dana_context, dana = log_in(browser, base, world.dana, LAPTOP)
    dana.goto(f"{base}/patients/{patient.pk}/contacts/")
    expect(dana.get_by_role("heading", level=2, name="Contacts with Thanh Nguyen")).to_be_visible()
    dana.get_by_label("How").select_option(label="In person")
    dana.get_by_role("radio", name="Yes, we spoke").check()
    dana.get_by_label("Minutes").fill("30")
    dana.get_by_role("button", name="Save contact").click()
    expect(dana.locator(".flash")).to_contain_text("Contact with Thanh Nguyen logged")
    settle(dana)
    dana_context.close()
    assert list(Contact.objects.filter(patient=patient).order_by("pk").values_list("mode", "staff")) == [
        ("phone", world.alice.pk),
        ("in_person", world.dana.pk),
    ]

    # --- The TCM row is done: out of the Transitional care band, in its 30-day period ------------------------
    page.goto(f"{base}/worklist/")
    expect(
        band(page, "Transitional care").locator("tbody.patient-group", has_text="Nguyen, Thanh")
    ).to_have_count(0)
    period = page.locator(
        'section.worklist tr[data-kind="transition"]', has_text="in the 30-day transitional period"
    )
    expect(period).to_have_count(1)
    expect(period).to_contain_text(f"Discharged from {HOSPITAL} {day:%b} {day.day}")
    settle(page)
    notes["worklist overflow (laptop)"] = overflow(page)
    screenshot("discharge-journey-6-laptop-worklist-done", on=page)
    small.goto(f"{base}/worklist/")
    expect(
        band(small, "Transitional care").locator("tbody.patient-group", has_text="Nguyen, Thanh")
    ).to_have_count(0)
    settle(small)
    notes["worklist overflow (phone)"] = overflow(small)
    screenshot("discharge-journey-7-phone-worklist-done", on=small)
    phone.close()
    print(f"\n{notes}")
    settle(page)
    laptop.close()
