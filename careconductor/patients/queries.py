"""Permission-checked reads of patients. Every read of a chart is audited here."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from careconductor.accounts.models import User
from careconductor.core.errors import NotVisible
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .models import Patient, PatientIdentifier


def access_patient(user: User, patient_id: int) -> Patient:
    """The patient if the user may see them (the read is audited); NotVisible otherwise, as if missing."""
    patient = policy.visible_patients(user).filter(pk=patient_id).prefetch_related("identifiers").first()
    if patient is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=patient, obj=patient)
    return patient


def search_patients(user: User, text: str = "", birth_date: dt.date | None = None) -> QuerySet[Patient]:
    """Visible patients matching a name (any part), an identifier value, and/or a birth date."""
    qs = policy.visible_patients(user)
    for word in text.split():
        # The identifier match is a subquery, not a join, so no DISTINCT over the whole list is needed.
        qs = qs.filter(
            Q(given_name__istartswith=word)
            | Q(family_name__istartswith=word)
            | Q(preferred_name__istartswith=word)
            | Q(pk__in=PatientIdentifier.objects.filter(value=word).values("patient_id"))
        )
    if birth_date:
        qs = qs.filter(birth_date=birth_date)
    return qs.order_by("family_name", "given_name", "pk")


def find_for_emergency(
    user: User, mrn: str = "", name: str = "", birth_date: dt.date | None = None
) -> list[Patient]:
    """Exact matches only (an MRN, or a full name with a birth date) in the user's organisation, so emergency
    access can find one patient but never browse. Each match shown is audited."""
    qs = Patient.objects.filter(organization_id=user.org_id).prefetch_related("identifiers")
    if mrn.strip():
        qs = qs.filter(identifiers__value=mrn.strip())
    elif name.strip() and birth_date is not None:
        given, _, family = name.strip().rpartition(" ")
        if not given:
            return []
        qs = qs.filter(given_name__iexact=given, family_name__iexact=family, birth_date=birth_date)
    else:
        return []
    found = list(qs.distinct()[:5])
    audit.record_reads(user, found, object_type="EmergencySearch")
    return found
