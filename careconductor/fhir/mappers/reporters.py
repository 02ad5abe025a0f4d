"""Who reported, sent or raised something from the portal side, as a FHIR Reference: the patient's own log-in is
the Patient; a proxy (someone the patient let use the portal for them) has no record on this server, so is named
only, typed RelatedPerson where the element allows it; anyone else is a member of staff, a Practitioner."""

from __future__ import annotations

from typing import Any

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.patients.models import Patient

from .common import compact, ref


def person(user: User, patient: Patient, *, proxy_type: str | None = "RelatedPerson") -> dict[str, Any]:
    """The reference for `user` acting on `patient`'s record. `proxy_type` None: for elements that do not allow
    RelatedPerson (Flag.author), a proxy is a display only."""
    if user.role != Role.PATIENT:
        return ref("Practitioner", user.pk, user.display_name())
    if patient.portal_user_id == user.pk:
        return ref("Patient", patient.pk, patient.full_name)
    return compact({"type": proxy_type, "display": user.display_name()})
