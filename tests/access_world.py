"""One of everything about Paula, for the access walk (tests/test_access_walk.py) and the sensitivity walk
(tests/privacy/test_sensitivity_walk.py): what each app keeps about her, made through the actions, and her record's
state, which a refused request must leave as it was."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from careconductor.accounts.choices import Role
from careconductor.appointments import actions as appointments
from careconductor.careplans import actions as careplans
from careconductor.careplans.choices import BarrierKind, InterventionKind, OwnerType, Proposer
from careconductor.careplans.models import CarePlan, Goal
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination import actions as coordination
from careconductor.core import clock
from careconductor.engagement import actions as engagement
from careconductor.engagement.models import (
    Message,
    PortalInvitation,
    ProxyGrant,
    Threshold,
)
from careconductor.letters.actions import LetterRequest, do_send_letter
from careconductor.medications import actions as medications
from careconductor.medications.models import DoseReport, Medication, Reconciliation, ReconciliationLine
from careconductor.patients.actions import do_add_care_team_member
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_break_glass, do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType, EmergencyReason
from careconductor.privacy.models import EmergencyAccess
from careconductor.referrals import actions as referrals
from careconductor.referrals.models import PartnerLink, ReferralEvent
from careconductor.transitions.actions import do_create_feed, do_receive

from .assessments.helpers import phq9_answers, record
from .personas import PASSWORD, World, make_staff
from .pictures import png
from .transitions.messages import adt


def _grant(world: World) -> EmergencyAccess:
    """An emergency access to Paula by a colleague outside the walk, so the review page has a real target, and
    one of everything about her (built once per module: tests/shared.py)."""
    ed = make_staff("ed", Role.CASE_MANAGER, world.riverside, team=world.north, capacity=60)
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today() - dt.timedelta(days=30),
    )
    # An item-9 PHQ-9, so the assessment, task and flag pages have real targets.
    record(world.alice, world.paula, "phq-9", phq9_answers(4, item9=1))
    _care_plan(world)
    _coordination(world)
    _medication(world)
    _engagement(world)
    _adt(world)
    _letter(world)
    _referral(world)
    _appointment(world)
    _prior_authorisation(world)
    return do_break_glass(
        ed, world.paula, reason=EmergencyReason.EMERGENCY_CARE, explanation="Called by the ED at night."
    )


UM_P2_SERVICE = "Methadone maintenance wm-p2-um"  # the sensitivity walk's marker for it


def take_in_prior_authorisation(
    world: World,
    *,
    code: str,
    description: str,
    diagnoses: tuple[str, ...],
    servicing: str = "Harbor Treatment Center",
    notes: str = "",
    files: tuple[Any, ...] = (),
) -> Any:
    """A prior-authorisation request for Paula, taken in by a UM reviewer outside the walks (Ursula, made on first
    use), so the walks' strangers have no events of hers."""
    from careconductor.accounts.models import User
    from careconductor.um import actions as um
    from careconductor.um.choices import Source
    from careconductor.um.rules import Urgency

    ursula = User.objects.filter(username="ursula").first() or make_staff(
        "ursula", Role.UM_REVIEWER, world.riverside
    )
    return um.do_receive_request(
        ursula,
        world.paula,
        um.NewRequest(
            source=Source.FAX if files else Source.PHONE,
            urgency=Urgency.STANDARD,
            requesting_provider="Harbor Treatment Center",
            servicing_provider=servicing,
            place_of_service="57",
            lines=(um.Line(code, 30, clock.today(), description=description),),
            diagnoses=diagnoses,
            clinical_notes=notes,
            files=list(files),
        ),
    )


def _prior_authorisation(world: World) -> None:
    """A prior-authorisation request for Paula's opioid treatment, pended (so it has a notice) and with its fax:
    a Part 2 record, which even UM reviewers (uma, mo) may not read without a consent naming them."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from reportlab.pdfgen.canvas import Canvas

    pdf = io.BytesIO()
    page = Canvas(pdf)
    page.drawString(72, 720, "Request for Reyes")
    page.save()
    request = take_in_prior_authorisation(
        world, code="H0020", description=UM_P2_SERVICE, diagnoses=("F11.20",), servicing="",  # pended at once
        files=(SimpleUploadedFile("fax.pdf", pdf.getvalue()),),
    )  # fmt: skip
    assert request.sensitivity == "part2" and request.notices.exists()


def _letter(world: World) -> None:
    """A welcome letter given to Paula by hand, so the letter's pages have a real target."""
    request = LetterRequest(kind="welcome", language="es", delivery="hand", case=world.paula_case)
    do_send_letter(world.alice, world.paula, request)


def _care_plan(world: World) -> None:
    """A published plan with one of everything, so every care-plan page has a real target."""
    plan = careplans.do_create_plan(world.alice, world.paula_case)
    problem = careplans.do_add_problem_by_hand(world.alice, plan, title="Food insecurity")
    goal = careplans.do_add_goal(
        world.alice,
        plan,
        problem_ids=[problem.pk],
        patient_words="I want enough food every week.",
        proposed_by=Proposer.PATIENT,
        measure="food",
        target_text="Screens negative",
    )
    careplans.do_add_step(world.alice, goal, text="Apply for SNAP")
    careplans.do_add_barrier(world.alice, goal, kind=BarrierKind.TRANSPORT, description="No car")
    careplans.do_add_intervention(
        world.alice,
        plan,
        goal=goal,
        kind=InterventionKind.BENEFITS,
        title="SNAP application",
        owner_type=OwnerType.PATIENT,
    )
    careplans.do_publish(world.alice, plan, reason="")


def _coordination(world: World) -> None:
    """A contact, minutes this month, an external care-team member and a pending closure, so the contact, time,
    care-team, closing and report pages have Paula in them to leak."""
    now = clock.now()
    for target in (CaseStatus.SCREENING, CaseStatus.ACTIVE):
        do_transition_case(world.alice, world.paula_case, TransitionRequest(target))
    world.paula_case.refresh_from_db()
    coordination.do_log_contact(
        world.alice,
        world.paula,
        coordination.ContactInput(
            contact_at=now - dt.timedelta(hours=1),
            mode="phone",
            direction="outbound",
            reached=True,
            minutes=25,
        ),
        case=world.paula_case,
    )
    coordination.do_log_time(
        world.alice, world.paula, on=clock.today(), activity="records", minutes=20, case=world.paula_case
    )
    do_add_care_team_member(
        world.alice, world.paula, name="Rosa Reyes", role="Daughter", category="caregiver", phone="555-0100"
    )
    coordination.do_request_closure(world.alice, world.paula_case, reason="goals_met", summary="Goals met.")


def _coordination_state(paula: Patient, case: Case) -> tuple:
    return (
        sorted(paula.contact_log.values_list("pk", "reached")),
        sorted(paula.time_entries.values_list("pk", "minutes")),
        sorted(paula.care_team.values_list("pk", "end_date", "is_lead")),
        sorted(case.closure_requests.values_list("pk", "status")),
        sorted(case.outreach_steps.values_list("pk", flat=True)),
        case.status,
    )


def _medication(world: World) -> None:
    """A medication with a dose reported and a reconciliation of it, so the medication pages have a real
    target."""
    medication = medications.do_add_medication(
        world.alice,
        world.paula,
        name="Metformin",
        dose="500 mg tablet",
        instructions="With breakfast and supper",
        times=["08:00", "18:00"],
        start_date=clock.today(),
    )
    medications.do_report_doses(
        world.alice, world.paula, day=clock.today(), answers={(medication.pk, "08:00"): True}
    )
    reconciliation = medications.do_start_reconciliation(world.alice, world.paula)
    medications.do_add_discharge_line(world.alice, reconciliation, name="Metformin", dose="1000 mg tablet")


def _medication_state(paula: Patient) -> tuple:
    return (
        sorted(Medication.objects.filter(patient=paula).values_list("pk", "version", "end_date")),
        sorted(DoseReport.objects.filter(patient=paula).values_list("pk", "taken")),
        sorted(Reconciliation.objects.filter(patient=paula).values_list("pk", "version")),
        sorted(ReconciliationLine.objects.filter(reconciliation__patient=paula).values_list("pk", "version")),
    )


def _engagement(world: World) -> None:
    """Paula in the portal: her own log-in, a proxy invited, a message with a photo and a reply, her own alert
    limit and a high reading, so every portal and engagement page has her to leak."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    made = engagement.do_invite_patient(world.alice, world.paula)
    login = engagement.do_accept_invitation(
        made.secret, username="paula", password=PASSWORD, birth_date=world.paula.birth_date
    )
    world.paula.refresh_from_db()
    engagement.do_grant_proxy(login, world.paula, name="Rosa Reyes", relationship="child")
    photo = SimpleUploadedFile("foot.png", png())
    message = engagement.do_send_message(login, world.paula, subject="Reyes foot", body="Look", files=[photo])
    engagement.do_send_message(world.alice, world.paula, subject="", body="Calling you", reply_to=message)
    engagement.do_set_threshold(
        world.alice, world.paula, measure="glucose", low=Decimal(80), high=Decimal(250)
    )
    engagement.do_report_blood_pressure(login, world.paula, systolic=Decimal(185), diastolic=Decimal(95))


def _adt(world: World) -> None:
    """A hospital's feed and an admission of Paula it sent, so the ADT message pages have her to leak."""
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    assert do_receive(adt("A01", "WALK1")).message.patient_id == world.paula.pk


def _referral(world: World) -> None:
    """A referral of Paula's to the starter directory's food pantry, sent with her consent, with a document, so
    the referral pages (and the partner's link and log-in) have her to leak."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from careconductor.demo.directory import STARTER
    from careconductor.directory.actions import do_import_hsds
    from careconductor.directory.models import Service

    do_import_hsds(world.adam, json.loads(STARTER.read_text(encoding="utf-8")))
    referral = referrals.do_create_referral(
        world.alice,
        world.paula,
        need="food",
        reason="Reyes runs out of food",
        service=Service.objects.get(name="Weekly food pantry"),
        shared=["attachments", "reason"],
    )
    import io

    from reportlab.pdfgen.canvas import Canvas

    pdf = io.BytesIO()
    page = Canvas(pdf)
    page.drawString(72, 720, "A letter about Reyes")
    page.save()
    letter = SimpleUploadedFile("reyes.pdf", pdf.getvalue())
    referrals.do_add_attachments(world.alice, referral, [letter])
    referrals.do_send_referral(
        world.alice, referral, record_consent={"method": "verbal", "given_on": clock.today()}
    )


def _appointment(world: World) -> None:
    """An appointment of Paula's with Dana tomorrow, so the appointment pages have her to leak."""
    appointments.do_book_appointment(
        world.alice,
        world.paula,
        starts_at=clock.now() + dt.timedelta(days=1),
        purpose="Walk visit",
        staff=world.dana,
        location="Riverside Clinic",
    )


def _referral_state(paula: Patient) -> tuple:
    return (
        sorted(paula.referrals.values_list("pk", "status", "needs_attention")),
        sorted(ReferralEvent.objects.filter(referral__patient=paula).values_list("pk", flat=True)),
        sorted(PartnerLink.objects.filter(referral__patient=paula).values_list("pk", "used_at")),
    )


def _engagement_state(paula: Patient) -> tuple:
    return (
        sorted(Message.objects.filter(patient=paula).values_list("pk", "read_at")),
        sorted(ProxyGrant.objects.filter(patient=paula).values_list("pk", "proxy", "revoked_at")),
        sorted(
            PortalInvitation.objects.filter(patient=paula).values_list("pk", "accepted_at", "withdrawn_at")
        ),
        sorted(Threshold.objects.filter(patient=paula).values_list("pk", "low", "high")),
        paula.readings.count(),
        paula.check_ins.count(),
        paula.portal_use.count(),
    )


def _plan_state(paula: Patient) -> list[tuple]:
    return sorted(
        CarePlan.objects.filter(patient=paula).values_list("pk", "status", "version", "current_version")
    ) + sorted(Goal.objects.filter(patient=paula).values_list("pk", "version", "achievement"))


def _paula_state(paula: Patient, case: Case) -> tuple:
    """Everything about Paula a refused request must leave as it was."""
    return (
        case.status_changes.count(),
        paula.conditions.count(),
        sorted(paula.consents.values_list("pk", "status")),
        sorted(paula.assessments.values_list("pk", "status", "version")),
        sorted(paula.tasks.values_list("pk", "status")),
        sorted(paula.flags.values_list("pk", "status")),
        paula.risk_scores.count(),
        _plan_state(paula),
        _coordination_state(paula, case),
        _medication_state(paula),
        _engagement_state(paula),
        _referral_state(paula),
        sorted(paula.appointments.values_list("pk", "status", "version", "patient_answer")),
    )


def _first_pk(model: type, world: World) -> int:
    row = model.objects.filter(patient=world.paula).order_by("pk").first()  # type: ignore[attr-defined]
    return row.pk if row else 0
