"""A duplicate pair for the administrator to merge (issue 17 §3), made through the real actions so it carries
real audit events: two of the generated patients become Guadalupe Ortiz, with her case, and "Lupe Ortiz", the
same woman registered earlier under her nickname, with the same birth date and phone, her old hospital MRN and
her daughter as a contact. Two generated patients are reused, not two added, so the demo keeps its patient count
and its MRNs. Log in as `admin`, Set-up → Merge records, search "Ortiz"."""

from __future__ import annotations

import dataclasses
from typing import Protocol

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, User
from careconductor.patients.actions import (
    PatientDetails,
    do_add_contact,
    do_set_identifiers,
    do_update_patient,
)
from careconductor.patients.choices import IDENTIFIER_SYSTEMS, MRN_SYSTEM, ContactRelationship, Sex
from careconductor.patients.merge import review
from careconductor.patients.models import Patient

PHONE = "(503) 555-0142"
LOOKED_AT = 40  # the last generated women considered for the pair


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def add_merge_scenario(org: Organization, out: Out) -> tuple[Patient, Patient] | None:
    """Returns (the record to keep, the duplicate), or None when no pair can be made (no administrator, or no
    two generated women the merge would accept)."""
    admin = User.objects.filter(organization=org, role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return None
    pair = _pair(admin, org)
    if pair is None:
        return None
    kept, duplicate = pair
    fields = [f.name for f in dataclasses.fields(PatientDetails)]
    details = PatientDetails(**{name: getattr(kept, name) for name in fields})
    do_update_patient(
        admin,
        kept,
        dataclasses.replace(
            details, given_name="Guadalupe", family_name="Ortiz", preferred_name="", phone=PHONE
        ),
    )
    do_update_patient(
        admin,
        duplicate,
        dataclasses.replace(
            PatientDetails(**{name: getattr(duplicate, name) for name in fields}),
            given_name="Lupe",
            family_name="Ortiz",
            preferred_name="",
            birth_date=kept.birth_date,
            phone=PHONE,
        ),
    )
    system, label = IDENTIFIER_SYSTEMS["hospital-mrn"]
    others = [(i.system, i.value, i.label) for i in duplicate.identifiers.exclude(system=MRN_SYSTEM)]
    do_set_identifiers(admin, duplicate, [*others, (system, "SH-448812", label)])
    do_add_contact(
        admin, duplicate, name="Marisol Ortiz", relationship=ContactRelationship.CHILD, phone="(503) 555-0187",
        is_caregiver=True, is_emergency_contact=True,
    )  # fmt: skip
    out.write(
        "Duplicate records to merge: Guadalupe Ortiz and Lupe Ortiz (same birth date and phone; Lupe's record has "
        "an old hospital MRN). Log in as admin: Set-up → Merge records, search Ortiz.\n"
    )
    return kept, duplicate


def _pair(admin: User, org: Organization) -> tuple[Patient, Patient] | None:
    """The first two of the last generated women, without portal log-ins, that the merge would accept (no open
    cases in one programme, nothing a person has only once on both)."""
    women = list(
        Patient.objects.filter(
            organization=org, sex=Sex.FEMALE, portal_user__isnull=True, merged_into__isnull=True
        ).order_by("-pk")[:LOOKED_AT]
    )
    for i, kept in enumerate(women):
        for duplicate in women[i + 1 :]:
            if not review(admin, kept, duplicate, reason="demo").refusals:
                return kept, duplicate
    return None
