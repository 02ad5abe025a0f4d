"""The letters' world: Paula (who reads Spanish) with a postal address, enrolled with Alice as her case manager,
three failed calls on three days at three times of day (so her case's unable-to-reach protocol waits for its
letter), a referral sent to a food pantry that shares her phone and the reason, a Part 2 referral to a treatment
programme, and a check-up with Dana with an interpreter booked; built once per module on a frozen Monday morning
(tests/shared.py)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine

from careconductor.accounts.models import Organization, StaffProfile
from careconductor.appointments.actions import do_book_appointment
from careconductor.appointments.models import Appointment
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.actions import ContactInput, do_log_contact
from careconductor.core import clock
from careconductor.patients.actions import PatientDetails, do_update_patient
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType
from careconductor.referrals.actions import do_create_referral, do_send_referral
from careconductor.referrals.choices import SharedItem
from careconductor.referrals.models import Referral

from ..personas import World, build_world
from ..shared import ModuleDb, reread

# A Monday morning in New York (the default TIME_ZONE), with no holiday near it.
NOW = dt.datetime(2027, 3, 1, 9, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
PANTRY = "Eastside Food Pantry"
PROGRAMME = "Hope Recovery Center"


@pytest.fixture(scope="module")
def frozen() -> Iterator[None]:
    """The module's clock stands at NOW; module scope, so the shared world is built on this morning too (the
    world and the letters' world ask for it first). The rules, templates and demo tests keep the suite's clock."""
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass(frozen=True)
class Letters:
    world: World
    referral: Referral
    part2: Referral
    appointment: Appointment


def build_letters(world: World) -> Letters:
    alice, paula, case = world.alice, world.paula, world.paula_case
    # No action edits these contact numbers yet: set them as an administrator's form would.
    Organization.objects.filter(pk=world.riverside.pk).update(phone="555-0100", after_hours_phone="555-0199")
    StaffProfile.objects.filter(user=alice).update(work_phone="555-0142")
    do_update_patient(
        alice,
        paula,
        PatientDetails(
            given_name="Paula",
            family_name="Reyes",
            birth_date=dt.date(1956, 3, 14),
            sex=paula.sex,
            preferred_language="es",
            interpreter_needed=True,
            phone="555-0100",
            address_line="12 Elm Street",
            city="Riverside",
            state="OR",
            postal_code="97901",
        ),
    )
    do_transition_case(alice, case, TransitionRequest(CaseStatus.SCREENING))
    do_record_consent(
        alice,
        paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today(),
    )
    do_transition_case(alice, case, TransitionRequest(CaseStatus.ACTIVE))
    for days_ago, hour in ((3, 9), (2, 14), (1, 18)):
        moment = NOW - dt.timedelta(days=days_ago)
        do_log_contact(
            alice,
            paula,
            ContactInput(
                contact_at=moment.replace(hour=hour, minute=0),
                mode="phone",
                direction="outbound",
                reached=False,
            ),
            case=case,
        )
    referral = do_create_referral(
        alice,
        paula,
        need="food",
        reason="Runs out of food at the end of the month",
        recipient_name=PANTRY,
        recipient_contact="40 Main Street, Riverside, OR 97901",
        shared=[SharedItem.CONTACT, SharedItem.REASON],
    )
    referral, _ = do_send_referral(alice, referral, record_consent={"method": ConsentMethod.VERBAL})
    # A substance use referral is a Part 2 record, sent under the patient's Part 2 consent naming the programme.
    part2 = do_create_referral(
        alice, paula, need="substance-use", reason="Wants to start treatment", recipient_name=PROGRAMME
    )
    part2, _ = do_send_referral(alice, part2, record_consent={"method": ConsentMethod.WRITTEN})
    appointment = do_book_appointment(
        alice,
        paula,
        starts_at=NOW + dt.timedelta(days=8, hours=5),  # Tuesday March 9 at 14:30
        duration=dt.timedelta(minutes=45),
        purpose="Check-up after the hospital",
        staff=world.dana,
        location="Riverside Clinic, 5 Oak Avenue",
        interpreter_booked=True,
        what_to_bring="Your medicines and your blood sugar notebook",
    )
    return Letters(world, referral, part2, appointment)


@pytest.fixture(scope="module")
def shared_world(frozen: None, module_db: ModuleDb) -> World | None:
    """The personas (tests/conftest.py's), built on the frozen morning."""
    return module_db.build(build_world) if module_db.enabled else None


@pytest.fixture(scope="module")
def shared_letters(frozen: None, module_db: ModuleDb, shared_world: World) -> Letters:
    return module_db.build(build_letters, shared_world)


@pytest.fixture
def letters(frozen: None, shared_letters: Letters, world: World) -> Letters:
    """The letters' world, read afresh for each test."""
    return Letters(
        world,
        reread(shared_letters.referral),
        reread(shared_letters.part2),
        reread(shared_letters.appointment),
    )
