"""The rest of one of each kind of record about Paula for the API walk (test_api_access_walk.add_paula_records):
her prior authorisation, referral, appointment, medications, portal reports and care plan, made through the
actions by the people who would make them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from careconductor.assessments.models import Finding
from careconductor.careplans.actions import (
    do_add_goal,
    do_add_intervention,
    do_add_problem_from_finding,
    do_create_plan,
    do_decide_version,
    do_publish,
)
from careconductor.careplans.choices import InterventionKind, OwnerType, Proposer, VersionStatus
from careconductor.core import clock
from careconductor.medications import actions as medications
from careconductor.medications.choices import OrderSource
from careconductor.patients.models import Encounter
from tests.personas import PASSWORD, World
from tests.pictures import png


def add_paula_prior_authorisation(world: World) -> None:
    """A prior-authorisation request for her opioid treatment (a ClaimResponse): Part 2, so even the UM reviewer
    among the strangers (uma) reads it only with a consent naming her."""
    from ..access_world import take_in_prior_authorisation

    take_in_prior_authorisation(
        world,
        code="H0020",
        description="Methadone maintenance",
        diagnoses=("F11.20",),
        notes="Stable on 60 mg.",
    )


def add_paula_referral(world: World) -> None:
    """A referral for Paula to a clinic (a HIPAA covered entity, so no sharing consent), sent: a ServiceRequest
    and its referral-management Task (Task/referral-N)."""
    from careconductor.referrals.actions import do_create_referral, do_send_referral

    referral = do_create_referral(
        world.alice,
        world.paula,
        need="behavioural-health",
        reason="Low mood since the spring",
        recipient_name="Dr Ines Castro",
        recipient_hipaa_covered=True,
    )
    do_send_referral(world.alice, referral)


def add_paula_appointment(world: World) -> None:
    from careconductor.appointments.actions import do_book_appointment

    do_book_appointment(
        world.alice,
        world.paula,
        starts_at=clock.now() + dt.timedelta(days=2),
        purpose="Follow-up visit",
        staff=world.dana,
        location="Riverside Clinic",
    )


def add_paula_medications(world: World, stay: Encounter) -> None:
    """Her medication list (a MedicationStatement), her stay's discharge list (a MedicationRequest) and the
    reconciliation of the two, in progress (a List)."""
    alice, paula = world.alice, world.paula
    medications.do_add_medication(
        alice,
        paula,
        name="Metformin",
        dose="500 mg tablet",
        instructions="With breakfast",
        times=["08:00"],
        start_date=clock.today() - dt.timedelta(days=30),
    )
    medications.do_record_discharge_medication(
        alice,
        paula,
        encounter=stay,
        name="Metformin",
        dose="1000 mg tablet",
        rxnorm="860975",
        source=OrderSource.FHIR,
    )
    medications.do_start_reconciliation(alice, paula, encounter=stay)


def add_paula_portal_records(world: World) -> None:
    """Paula in the portal: her own log-in reports a blood pressure past the limit (an Observation and a Flag)
    and how she feels (a check-in), writes to the team (a Communication), and gets education (a
    DocumentReference)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from careconductor.education.actions import do_assign_material, do_record_delivery
    from careconductor.engagement import actions as engagement

    made = engagement.do_invite_patient(world.alice, world.paula)
    login = engagement.do_accept_invitation(
        made.secret, username="paula", password=PASSWORD, birth_date=world.paula.birth_date
    )
    world.paula.refresh_from_db()
    engagement.do_report_blood_pressure(login, world.paula, systolic=Decimal(184), diastolic=Decimal(96))
    engagement.do_report_wellbeing(login, world.paula, mood=2, symptoms=["tired"])
    photo = SimpleUploadedFile("foot.png", png())
    engagement.do_send_message(login, world.paula, subject="My foot", body="See the photo", files=[photo])
    assignment = do_assign_material(world.alice, world.paula, slug="heart-failure-daily-weights")
    do_record_delivery(world.alice, assignment, format_used="teach-back", teach_back="confirmed")


def add_paula_care_plan(world: World) -> None:
    """A care plan in force for the depression the PHQ-9 found: a health concern (Condition), a goal (Goal) and
    an intervention (a Task for Alice), approved by Sam where the programme needs it."""
    alice = world.alice
    plan = do_create_plan(alice, world.paula_case, title="Feeling better")
    finding = Finding.objects.get(patient=world.paula, domain="depression", status="active")
    problem = do_add_problem_from_finding(alice, plan, finding)
    goal = do_add_goal(
        alice,
        plan,
        problem_ids=[problem.pk],
        patient_words="I want to enjoy my grandchildren again",
        proposed_by=Proposer.PATIENT,
        measure="phq9",
        target_value=Decimal(5),
    )
    do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.COUNSELLING,
        title="Weekly call about mood",
        owner_type=OwnerType.STAFF,
        owner=alice,
        goal=goal,
    )
    version = do_publish(alice, plan, reason="First version")
    if version.status == VersionStatus.PENDING:
        do_decide_version(world.sam, version, approve=True)
