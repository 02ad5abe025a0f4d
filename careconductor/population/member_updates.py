"""A member a source sends again with changed details (issue 22): the import updates the member rather than
counting them unchanged. What the source says wins for who the person is (names, birth date, sex, language, date
of death); contact details (phone, e-mail, address) are taken from the source only for members no case has reached
(staff keep an enrolled patient's contact details as the patient tells them) or where nothing is on file. Saved
through the model, so the FHIR API keeps the new version and the search keys follow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from careconductor.cases.models import Case
from careconductor.patients.models import Patient

from .fhir_rows import MemberRow

IDENTITY = ("given_name", "family_name", "birth_date", "sex", "preferred_language", "deceased_date")
CONTACT = ("phone", "email", "address_line", "city", "state", "postal_code")
CHUNK = 900


def member_changes(members: dict[str, int], rows: Iterable[MemberRow]) -> dict[int, dict[str, Any]]:
    """For the rows of members this source sent before: patient id → the fields to change, and their new values."""
    sent = {members[r.key]: r for r in rows if r.key in members}
    ids = sorted(sent)
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with_case = set(Case.objects.filter(patient_id__in=chunk).values_list("patient_id", flat=True))
        for stored in Patient.objects.filter(pk__in=chunk).values("pk", *IDENTITY, *CONTACT):
            row = sent[stored["pk"]]
            fields = IDENTITY + (CONTACT if stored["pk"] not in with_case else ())
            diff = {
                f: getattr(row, f)
                for f in fields
                if getattr(row, f) != stored[f] and getattr(row, f) not in ("", None)
            }
            diff |= {f: getattr(row, f) for f in CONTACT if not stored[f] and getattr(row, f)}
            if diff:
                found[stored["pk"]] = diff
    return found


def apply_changes(changes: dict[int, dict[str, Any]]) -> None:
    for patient in Patient.objects.filter(pk__in=list(changes)):
        for name, value in changes[patient.pk].items():
            setattr(patient, name, value)
        patient.save(update_fields=list(changes[patient.pk]))
