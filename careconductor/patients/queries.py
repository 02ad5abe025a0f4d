"""Permission-checked reads of patients. Every read of a chart is audited here."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core.errors import NotVisible, RecordMoved
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .models import Patient, PatientIdentifier
from .nicknames import same_name
from .rules import digits, fold


def access_patient(user: User, patient_id: int) -> Patient:
    """The patient if the user may see them (the read is audited); NotVisible otherwise, as if missing. A record
    merged into another (patients/merge.py) raises RecordMoved with the record it was merged into, if the user
    may see that one: the page answers with a redirect to the same page of the kept record."""
    patient = policy.visible_patients(user).filter(pk=patient_id).prefetch_related("identifiers").first()
    if patient is None or patient.merged_into_id is not None:
        kept = (
            Patient.objects.filter(pk=patient_id, organization_id=user.org_id, merged_into__isnull=False)
            .values_list("merged_into_id", flat=True)
            .first()
            if user.is_authenticated
            else None
        )
        if kept is None or not policy.visible_patients(user).filter(pk=kept).exists():
            raise NotVisible
        raise RecordMoved(kept)
    audit.record(user, AuditAction.READ, patient=patient, obj=patient)
    return patient


PHONE_DIGITS = 4  # a word of at least this many digits also searches phone numbers


def search_patients(user: User, text: str = "", birth_date: dt.date | None = None) -> QuerySet[Patient]:
    """Visible patients matching each word: the start of any of their names, without accents or case
    ("sanchez" finds Sánchez; "Rivera, Marisol" finds Marisol Rivera), a name it is the short or long form of
    ("lupe" finds Guadalupe, "robert" finds Bob; nicknames.py), an identifier value (an old MRN too), or part
    of their phone number ("555-0100", "5550100"); and/or a birth date. Records merged into another are left
    out: the search finds the record they were merged into, which holds their identifiers."""
    qs = policy.visible_patients(user).filter(merged_into__isnull=True)
    phone = digits(text)
    if len(phone) >= PHONE_DIGITS and not re.search(r"[^\d\s()+.\-]", text):
        # The whole text is a phone number, however it is written.
        return qs.filter(
            Q(phone_digits__contains=phone)
            | Q(pk__in=PatientIdentifier.objects.filter(value=text.strip()).values("patient_id"))
        ).order_by("family_name", "given_name", "pk")
    for word in re.split(r"[\s,]+", text.strip()):
        if not word:
            continue
        folded = fold(word)
        if not folded:
            continue
        # The identifier match is a subquery, not a join, so no DISTINCT over the whole list is needed.
        match = Q(search_names__contains=f" {folded}") | Q(
            pk__in=PatientIdentifier.objects.filter(value=word).values("patient_id")
        )
        for name in sorted(same_name(folded) - {folded}):
            match |= Q(search_names__contains=f" {name} ")
        qs = qs.filter(match)
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


def access_merge_pair(user: User, kept_id: int, duplicate_id: int) -> tuple[Patient, Patient]:
    """The two records an administrator is about to merge (patients/merge.py), reads audited; NotVisible for
    anyone else, or when either is not a record of the administrator's organisation."""
    if user.role != Role.ADMIN:
        raise NotVisible
    found = {
        p.pk: p
        for p in policy.visible_patients(user)
        .filter(pk__in=[kept_id, duplicate_id])
        .select_related("merged_into")
        .prefetch_related("identifiers")
    }
    if kept_id not in found or duplicate_id not in found:
        raise NotVisible
    audit.record_reads(user, list(found.values()), object_type="PatientMerge")
    return found[kept_id], found[duplicate_id]
