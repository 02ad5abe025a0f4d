"""Pure checks on patient data at the edge."""

from __future__ import annotations

import datetime as dt
import re

ICD10_CM = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def birth_date_errors(birth_date: dt.date, today: dt.date) -> str:
    if birth_date > today:
        return "The birth date is in the future."
    if today.year - birth_date.year > 120:
        return "The birth date is more than 120 years ago."
    return ""


def is_icd10_cm(code: str) -> bool:
    """Shape check for an ICD-10-CM code such as E11.9 or I50.22 (not a lookup in the full code set)."""
    return bool(ICD10_CM.match(code.strip().upper()))
