"""A duplicate pair for the administrator to merge (issue 17 §3), made through the real actions so it carries
real audit events: Guadalupe Ortiz, referred for chronic care management, and "Lupe Ortiz", the same woman
registered earlier from a hospital discharge under her nickname, with the same birth date and phone, her old
hospital MRN and her daughter as a contact. Log in as `admin`, Set-up → Merge records, search "Ortiz"."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails, do_add_contact, do_add_coverage
from careconductor.patients.choices import IDENTIFIER_SYSTEMS, ContactRelationship, CoverageKind, Sex
from careconductor.patients.models import Patient

BORN = dt.date(1954, 7, 12)
PHONE = "(503) 555-0142"


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def add_merge_scenario(org: Organization, out: Out) -> tuple[Patient, Patient] | None:
    """Returns (the record to keep, the duplicate), or None when the organisation has no administrator."""
    admin = User.objects.filter(organization=org, role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return None
    details = {"family_name": "Ortiz", "birth_date": BORN, "sex": Sex.FEMALE, "phone": PHONE}
    hospital_mrn, label = IDENTIFIER_SYSTEMS["hospital-mrn"]
    lupe = do_register_and_refer(
        admin,
        PatientDetails(given_name="Lupe", preferred_language="es", **details),  # type: ignore[arg-type]
        program=Program.TCM,
        referral_source=ReferralSource.HOSPITAL,
        referral_reason="Discharged after a fall; registered from the hospital's papers",
        extra_identifiers=[(hospital_mrn, "SH-448812", label)],
    )
    do_add_contact(
        admin, lupe, name="Marisol Ortiz", relationship=ContactRelationship.CHILD, phone="(503) 555-0187",
        is_caregiver=True, is_emergency_contact=True,
    )  # fmt: skip
    guadalupe = do_register_and_refer(
        admin,
        PatientDetails(
            given_name="Guadalupe",
            preferred_name="Lupe",
            preferred_language="es",
            interpreter_needed=True,
            address_line="1420 SE Division St",
            city="Portland",
            state="OR",
            postal_code="97202",
            **details,  # type: ignore[arg-type]
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes and heart failure, two chronic conditions",
    )
    do_add_coverage(
        admin, guadalupe, kind=CoverageKind.MEDICAID, payer="Oregon Health Plan", member_id="OHP-2210934",
        start_date=dt.date(2019, 1, 1),
    )  # fmt: skip
    out.write(
        "Duplicate records to merge: Guadalupe Ortiz and Lupe Ortiz (same birth date and phone; Lupe's record has "
        "an old hospital MRN). Log in as admin: Set-up → Merge records, search Ortiz.\n"
    )
    return guadalupe, lupe
