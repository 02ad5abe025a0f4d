"""Privacy scenarios for the demo, made through the real actions so they carry real audit events:
an emergency access waiting for the privacy officer, disclosures for the accounting, a 42 CFR Part 2
record with a consent naming the care team's pharmacist and a Part 2 call with its follow-up, a psychotherapy note, and ordinary notes."""

from __future__ import annotations

import datetime as dt

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Organization, User
from careconductor.coordination.actions import ContactInput, FollowUp, do_log_contact
from careconductor.coordination.choices import ContactDirection, ContactMode, ContactParty
from careconductor.core import clock
from careconductor.patients.actions import do_add_care_team_member, do_add_condition, do_add_note
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_break_glass, do_record_consent, do_record_disclosure
from careconductor.privacy.choices import ConsentMethod, ConsentType, EmergencyReason, Sensitivity


def add_privacy_scenarios(org: Organization) -> int:
    """Returns how many scenario records were made (0 if the staff they need are missing, e.g. tiny demos)."""
    manager = User.objects.filter(organization=org, username="casemanager").first()
    pharmacist = User.objects.filter(
        organization=org, role=Role.CARE_TEAM, profile__discipline=Discipline.PHARMACIST
    ).first()
    colleague = (
        User.objects.filter(organization=org, role=Role.CASE_MANAGER)
        .exclude(profile__team=manager.profile.team if manager else None)
        .order_by("username")
        .first()
    )
    if manager is None or pharmacist is None or colleague is None:
        return 0
    mine = list(
        Patient.objects.filter(cases__primary_case_manager=manager, cases__status="active")
        .distinct()
        .order_by("pk")[:4]
    )
    if len(mine) < 4:
        return 0
    sud, therapy, disclosed, emergency = mine
    today = clock.today()
    made = 0

    # A substance-use record from a Part 2 programme; the patient lets the team's pharmacist see it.
    do_add_condition(
        manager,
        sud,
        icd10_code="F11.20",
        display="Opioid use disorder, in treatment",
        sensitivity=Sensitivity.PART2,
    )
    do_add_note(
        manager,
        sud,
        sensitivity=Sensitivity.PART2,
        text="Attends the opioid treatment programme daily; methadone 60 mg, stable for 8 weeks.",
    )
    if not sud.care_team.filter(user=pharmacist).exists():
        do_add_care_team_member(manager, sud, member=pharmacist, role="Clinical pharmacist")
    do_record_consent(
        manager,
        sud,
        consent_type=ConsentType.PART2,
        method=ConsentMethod.WRITTEN,
        given_on=today - dt.timedelta(days=20),
        recipient_user=pharmacist,
        scope_note="Medication review and interactions only",
    )
    made += 4

    do_add_note(
        manager,
        therapy,
        sensitivity=Sensitivity.PSYCHOTHERAPY,
        text="Counselling session: grief since her husband's death; agreed to try the bereavement group.",
    )
    for patient in mine:
        do_add_note(
            manager, patient, text="Phone check-in: taking medicines as planned; next call in two weeks."
        )
    made += 5

    do_record_disclosure(
        manager,
        disclosed,
        disclosed_on=today - dt.timedelta(days=41),
        recipient_name="County Department of Public Health",
        recipient_address="12 Civic Plaza",
        description="Tuberculosis test result",
        purpose="Required by state reporting law",
    )
    do_record_disclosure(
        manager,
        disclosed,
        disclosed_on=today - dt.timedelta(days=9),
        recipient_name="Harmon & Lee, attorneys",
        description="Care plan and contact log, March–June",
        purpose="Patient's written authorisation for a disability claim",
    )
    made += 2

    # A colleague from another team covering the after-hours line opened one of Maria's patients.
    do_break_glass(
        colleague,
        emergency,
        reason=EmergencyReason.COVERING,
        explanation="After-hours line: patient called with chest tightness, her case manager was off.",
    )
    return made + 1


def add_part2_call(org: Organization) -> int:
    """A call with the treatment programme is itself a Part 2 record, and so is the follow-up it leaves.
    Made after the coordination scenarios, which rewrite some patients' contact logs to stage the worklist."""
    manager = User.objects.filter(organization=org, username="casemanager").first()
    sud = Patient.objects.filter(organization=org, conditions__sensitivity=Sensitivity.PART2).first()
    if manager is None or sud is None:
        return 0
    do_log_contact(
        manager,
        sud,
        ContactInput(
            contact_at=clock.now() - dt.timedelta(days=3, hours=2),
            mode=ContactMode.PHONE,
            direction=ContactDirection.OUTBOUND,
            reached=True,
            minutes=15,
            party=ContactParty.PROVIDER,
            party_name="Harbor Street opioid treatment programme",
            next_steps="Ask the programme for the take-home dose schedule before the holiday.",
            sensitivity=Sensitivity.PART2,
        ),
        follow_up=FollowUp(
            title="Get the take-home dose schedule from the OTP", due_on=clock.today() + dt.timedelta(days=2)
        ),
    )
    return 2
