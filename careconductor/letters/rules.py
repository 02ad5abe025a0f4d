"""Pure decisions about letters: which placeholders each kind of letter may use, filling them in (a line whose
value is missing is left out rather than printed with a hole), dates and programme names in the letter's language,
which language a letter is written in, and when a letter is a disclosure. No ORM, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from careconductor.referrals.rules import needs_sharing_consent

from .choices import LetterKind, RecipientKind

# Every letter may name these.
COMMON = frozenset(
    {
        "patient_name",  # "Paula Jones" (the name she goes by, then her family name)
        "patient_first_name",
        "organisation",
        "organisation_phone",
        "after_hours_phone",
        "case_manager",
        "case_manager_phone",
        "program",
    }
)
# What a referral letter may say about the patient beyond her name and need: only what the referral shares
# (minimum necessary); a placeholder of what is not shared is empty, so its line is left out.
REFERRAL = frozenset(
    {
        "service",
        "referral_need",
        "referral_reason",
        "referral_date",
        "patient_phone",
        "patient_address",
        "patient_birth_date",
        "patient_language",
    }
)
APPOINTMENT = frozenset(
    {
        "appointment_date",
        "appointment_time",
        "appointment_place",
        "appointment_with",
        "appointment_purpose",
        "what_to_bring",
        "interpreter_language",  # only when an interpreter is booked
        "ride_service",  # only when a ride is booked: who drives
    }
)
PLACEHOLDERS: dict[str, frozenset[str]] = {
    LetterKind.WELCOME: COMMON,
    LetterKind.UNABLE_TO_REACH: COMMON,
    LetterKind.CLOSING: COMMON,
    LetterKind.REFERRAL: COMMON | REFERRAL,
    LetterKind.APPOINTMENT: COMMON | APPOINTMENT,
    LetterKind.INVITATION: COMMON,
}

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_BRACE = re.compile(r"[{}]")


def placeholder_problems(text: str, kind: str) -> list[str]:
    """What is wrong with the placeholders of a template's text: names the kind does not know, and braces that
    are not around a placeholder's name (a typo such as "{patient_name" would otherwise print as it is)."""
    allowed = PLACEHOLDERS.get(kind, COMMON)
    problems = [
        f"{{{name}}} is not a placeholder of this letter (known: {', '.join(sorted(allowed))})"
        for name in dict.fromkeys(PLACEHOLDER.findall(text))
        if name not in allowed
    ]
    if _BRACE.search(PLACEHOLDER.sub("", text)):
        problems.append("has a { or } that is not around a placeholder's name, e.g. {patient_name}")
    return problems


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each {placeholder} replaced by its value. A line with a placeholder whose value is empty
    or unknown is left out whole ("Call us at {organisation_phone}." when there is no phone), and the blank
    lines left behind are closed up to one between paragraphs."""
    kept: list[str] = []
    for line in text.splitlines():
        names = PLACEHOLDER.findall(line)
        if any(not values.get(name, "").strip() for name in names):
            continue
        kept.append(PLACEHOLDER.sub(lambda m: values[m.group(1)].strip(), line).rstrip())
    joined = "\n".join(kept).strip()
    return re.sub(r"\n{3,}", "\n\n", joined)


def paragraphs(body: str) -> list[list[str]]:
    """The body as paragraphs (split at blank lines), each a list of its lines: how the page and the PDF lay
    it out, so they never differ."""
    return [block.splitlines() for block in re.split(r"\n\s*\n", body.strip()) if block.strip()]


MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ),
    "es": (
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
        "noviembre", "diciembre",
    ),
}  # fmt: skip
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


def long_date(day: dt.date, language: str, *, weekday: bool = False) -> str:
    """'December 6, 2026' in English, '6 de diciembre de 2026' in Spanish, with the day of the week if asked."""
    if language == "es":
        words = f"{day.day} de {MONTHS['es'][day.month - 1]} de {day.year}"
        return f"{WEEKDAYS['es'][day.weekday()]} {words}" if weekday else words
    words = f"{MONTHS['en'][day.month - 1]} {day.day}, {day.year}"
    return f"{WEEKDAYS['en'][day.weekday()]}, {words}" if weekday else words


def clock_time(moment: dt.time, language: str) -> str:
    """'2:30 PM' in English, '14:30' in Spanish."""
    if language == "es":
        return f"{moment.hour}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


# The programmes in words a patient reads (cases.choices.Program).
PROGRAM_WORDS = {
    "en": {
        "complex_cm": "our care management program",
        "ccm": "our chronic care program",
        "tcm": "our program for help after a hospital stay",
        "behavioural": "our behavioral health program",
    },
    "es": {
        "complex_cm": "nuestro programa de apoyo para su cuidado",
        "ccm": "nuestro programa de cuidado para enfermedades de largo plazo",
        "tcm": "nuestro programa de ayuda después del hospital",
        "behavioural": "nuestro programa de salud mental",
    },
}
# The needs of a referral (directory.choices.Need) in plain words.
NEED_WORDS = {
    "en": {
        "food": "food",
        "housing": "housing",
        "transport": "rides",
        "utilities": "paying for power, gas or water",
        "safety": "staying safe",
        "financial": "money",
        "isolation": "feeling alone",
        "behavioural-health": "mental health",
        "substance-use": "alcohol or drug use",
        "pharmacy": "medicines",
        "home-health": "help at home",
    },
    "es": {
        "food": "comida",
        "housing": "vivienda",
        "transport": "transporte",
        "utilities": "pagar la luz, el gas o el agua",
        "safety": "estar seguro",
        "financial": "dinero",
        "isolation": "sentirse solo",
        "behavioural-health": "salud mental",
        "substance-use": "uso de alcohol o drogas",
        "pharmacy": "medicinas",
        "home-health": "ayuda en casa",
    },
}
# How the patient joins an appointment (appointments.choices.Mode), for "Where:".
MODE_WORDS = {
    "en": {"phone": "By phone", "video": "By video"},
    "es": {"phone": "Por teléfono", "video": "Por video"},
}


def appointment_place(mode: str, location: str, language: str) -> str:
    """Where: the address for a visit in person; "By phone" or "By video", with the number or link, otherwise."""
    if mode in ("phone", "video"):
        words = words_for(MODE_WORDS, language, mode)
        return f"{words}: {location}" if location.strip() else words
    return location.strip()


# The letterhead's own words.
LETTERHEAD_WORDS = {
    "en": {"phone": "Phone", "after_hours": "Nights and weekends", "to": "To", "subject": "About"},
    "es": {"phone": "Teléfono", "after_hours": "Noches y fines de semana", "to": "Para", "subject": "Asunto"},
}


def words_for(table: Mapping[str, Mapping[str, str]], language: str, key: str) -> str:
    """A word of one of the tables above in the letter's language, else in English, else the key itself."""
    return table.get(language, table["en"]).get(key) or table["en"].get(key, key)


def letter_language(wanted: str, available: Iterable[str]) -> str:
    """The letter is written in the language asked for (the patient's, by default) when its template has it,
    otherwise in English."""
    return wanted if wanted in set(available) else "en"


def default_language(kind: str, patient_language: str) -> str:
    """A letter to the patient is in the patient's language; a referral letter goes to the organisation, in
    English unless staff choose otherwise."""
    return "en" if kind == LetterKind.REFERRAL else (patient_language or "en")


def is_disclosure(recipient_kind: str) -> bool:
    """A letter to anyone but the patient tells them about the patient: it goes in the accounting of
    disclosures (45 CFR 164.528) with the date, the recipient, what it said and why."""
    return recipient_kind == RecipientKind.THIRD_PARTY


def third_party_may_hear_of_referral(
    sensitivity: str, recipient_hipaa_covered: bool, has_consent: bool
) -> bool:
    """A letter to someone else about a referral says what the referral shares: it goes only where the referral
    itself may go. A Part 2 referral always needs the patient's consent, one to an organisation that is not a
    HIPAA covered entity too (referrals.rules.needs_sharing_consent); the referral records it when it is sent."""
    needs_consent = bool(sensitivity) or needs_sharing_consent(recipient_hipaa_covered)
    return has_consent or not needs_consent


def records_outreach_step(kind: str, next_step: str) -> bool:
    """An unable-to-reach letter, sent when the case's protocol is waiting for its letter step, is that step
    (coordination's OutreachStep.LETTER): the protocol moves on to the caregiver. Sent at any other time it is
    only a letter."""
    return kind == LetterKind.UNABLE_TO_REACH and next_step == "letter"
