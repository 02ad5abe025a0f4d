"""A letter written out from its template and the chart: the values of its placeholders read from the patient,
the case, the case manager, the organisation and what the letter is about (a referral), in the letter's
language, and the letterhead. Reads only what the caller already fetched through access_* (plus the case
manager's profile and a service's place); decides nothing rules.py does not."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from careconductor.accounts.models import Organization, StaffProfile
from careconductor.appointments.models import Appointment
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.languages import language_name
from careconductor.patients.models import Patient
from careconductor.referrals.choices import SharedItem
from careconductor.referrals.models import Referral

from . import rules
from .library import LetterTemplate

SPANISH_LANGUAGE_NAMES = {
    "en": "inglés", "es": "español", "zh": "chino", "vi": "vietnamita", "ar": "árabe", "ht": "criollo haitiano",
    "pt": "portugués", "ru": "ruso", "ko": "coreano", "tl": "tagalo", "fr": "francés", "pl": "polaco",
}  # fmt: skip


@dataclass(frozen=True)
class Draft:
    kind: str
    language: str
    subject: str
    body: str
    letterhead: dict[str, str]
    template_source: str


def patient_address(patient: Patient) -> str:
    """The patient's postal address as lines ("" when none is on file)."""
    town = " ".join(
        p for p in (f"{patient.city}," if patient.city else "", patient.state, patient.postal_code) if p
    )
    return "\n".join(line for line in (patient.address_line, town.rstrip(",")) if line)


def referral_address(referral: Referral) -> str:
    """Where a referral letter goes: the service's first place, or the person's contact as written."""
    service = referral.service
    if service is None:
        return referral.recipient_contact
    place = service.locations.order_by("pk").first()
    if place is None:
        return service.email or service.provider.email
    town = " ".join(
        p for p in (f"{place.city}," if place.city else "", place.state_province, place.postal_code) if p
    )
    return "\n".join(line for line in (place.address_1, town.rstrip(",")) if line)


def _case_manager(case: Case | None) -> tuple[str, str]:
    manager = case.primary_case_manager if case is not None else None
    if manager is None:
        return "", ""
    phone = StaffProfile.objects.filter(user_id=manager.pk).values_list("work_phone", flat=True).first() or ""
    return manager.display_name(), phone


def _language_name(code: str, language: str) -> str:
    """A language's name in the letter's language ("español" in Spanish, "Spanish" in English)."""
    return SPANISH_LANGUAGE_NAMES.get(code, language_name(code)) if language == "es" else language_name(code)


def _language_words(patient: Patient, language: str) -> str:
    name = _language_name(patient.preferred_language, language)
    if patient.interpreter_needed:
        name += "; necesita intérprete" if language == "es" else "; needs an interpreter"
    return name


def values_for(
    language: str,
    *,
    patient: Patient,
    organization: Organization,
    case: Case | None,
    referral: Referral | None,
    appointment: Appointment | None = None,
    program: str = "",
) -> dict[str, str]:
    """Every placeholder's value in the letter's language ("" for what is not known or not shared). `program`:
    the programme of a letter that has no case yet (an invitation)."""
    first = patient.preferred_name or patient.given_name
    manager, manager_phone = _case_manager(case)
    values = {
        "patient_name": f"{first} {patient.family_name}",
        "patient_first_name": first,
        "organisation": organization.name,
        "organisation_phone": organization.phone,
        "after_hours_phone": organization.after_hours_phone,
        "case_manager": manager,
        "case_manager_phone": manager_phone,
        "program": rules.words_for(rules.PROGRAM_WORDS, language, case.program if case else program)
        if case or program
        else "",
    }
    if referral is not None:
        shared = set(referral.shared or [])
        proposed = clock.localdate(referral.proposed_at) if referral.proposed_at else None
        values |= {
            "service": referral.recipient,
            "referral_need": rules.words_for(rules.NEED_WORDS, language, referral.need)
            if referral.need
            else "",
            "referral_reason": referral.reason if SharedItem.REASON in shared else "",
            "referral_date": rules.long_date(proposed, language, weekday=True) if proposed else "",
            "patient_phone": patient.phone if SharedItem.CONTACT in shared else "",
            "patient_address": patient_address(patient).replace("\n", ", ")
            if SharedItem.CONTACT in shared
            else "",
            "patient_birth_date": rules.long_date(patient.birth_date, language)
            if SharedItem.BIRTH_DATE in shared
            else "",
            "patient_language": _language_words(patient, language) if SharedItem.LANGUAGE in shared else "",
        }
    if appointment is not None:
        values |= appointment_values(appointment, patient, language)
    return values


def appointment_values(appointment: Appointment, patient: Patient, language: str) -> dict[str, str]:
    """When, where, with whom and what for, in the letter's language (the time in the current zone: the
    organisation's on its pages); the interpreter and the ride only when booked."""
    starts = timezone.localtime(appointment.starts_at)
    ride = appointment.ride_referral
    interpreter = appointment.interpreter_language or patient.preferred_language
    return {
        "appointment_date": rules.long_date(starts.date(), language, weekday=True),
        "appointment_time": rules.clock_time(starts.time(), language),
        "appointment_place": rules.appointment_place(appointment.mode, appointment.location, language),
        "appointment_with": appointment.with_whom,
        "appointment_purpose": appointment.purpose,
        "what_to_bring": appointment.what_to_bring,
        "interpreter_language": _language_name(interpreter, language)
        if appointment.interpreter_booked
        else "",
        "ride_service": ride.recipient if ride is not None else "",
    }


def letterhead(organization: Organization, language: str) -> dict[str, str]:
    """The organisation's name and numbers, the date and the letterhead's words, as kept with the letter."""
    words = rules.LETTERHEAD_WORDS.get(language, rules.LETTERHEAD_WORDS["en"])
    return {
        "organisation": organization.name,
        "address": organization.address,
        "phone": organization.phone,
        "after_hours_phone": organization.after_hours_phone,
        "date": rules.long_date(clock.today(), language),
        **{f"word_{key}": value for key, value in words.items()},
    }


def draft(
    template: LetterTemplate,
    language: str,
    *,
    patient: Patient,
    organization: Organization,
    case: Case | None = None,
    referral: Referral | None = None,
    appointment: Appointment | None = None,
    program: str = "",
) -> Draft:
    chosen, text = template.text(language)
    values = values_for(
        chosen,
        patient=patient,
        organization=organization,
        case=case,
        referral=referral,
        appointment=appointment,
        program=program,
    )
    return Draft(
        kind=template.kind,
        language=chosen,
        subject=rules.fill(text.subject, values),
        body=rules.fill(text.body, values),
        letterhead=letterhead(organization, chosen),
        template_source=template.source,
    )
