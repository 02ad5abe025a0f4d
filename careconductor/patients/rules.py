"""Pure checks on patient data at the edge."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from careconductor.core import clock

# Any letter first: ICD-10-CM uses U too (U07.1 COVID-19, U09.9 post-COVID condition).
ICD10_CM = re.compile(r"^[A-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")
MAX_AGE_YEARS = 120


def birth_date_errors(birth_date: dt.date, today: dt.date) -> str:
    if birth_date > today:
        return "The birth date is in the future."
    if birth_date < clock.years_before(today, MAX_AGE_YEARS):
        return f"The birth date is more than {MAX_AGE_YEARS} years ago."
    return ""


def is_icd10_cm(code: str) -> bool:
    """Shape check for an ICD-10-CM code such as E11.9 or I50.22 (not a lookup in the full code set)."""
    return bool(ICD10_CM.match(code.strip().upper()))


def fold(text: str) -> str:
    """Lower case without accents or punctuation: "Sánchez-Ruiz, José" → "sanchez ruiz jose"."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare.casefold()).split())


def search_key(*names: str) -> str:
    """The words a name search matches, each with a space before it, so `contains(" " + word)` finds the
    start of any word: " sanchez ruiz jose "."""
    return f" {fold(' '.join(names))} "


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)
