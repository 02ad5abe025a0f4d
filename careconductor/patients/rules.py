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


# --- merging two records of one person (patients/merge.py) --------------------------------------------------

# Contact details the kept record takes from the duplicate when it has none of its own.
FILLED_FROM_DUPLICATE = ("preferred_name", "phone", "email", "address_line", "city", "state", "postal_code")


def blanks_to_fill(kept: dict[str, str], duplicate: dict[str, str]) -> dict[str, str]:
    """The kept record's empty contact details that the duplicate has: its own details always win."""
    return {
        name: duplicate[name].strip()
        for name in FILLED_FROM_DUPLICATE
        if not kept.get(name, "").strip() and duplicate.get(name, "").strip()
    }


def merge_refusal(
    *,
    same_record: bool,
    same_organization: bool,
    kept_merged: bool,
    duplicate_merged: bool,
    reason: str,
    both_open: list[str],
) -> dict[str, str]:
    """Why two records cannot be merged as asked, field by field; empty when they can. `both_open` names the
    programmes in which each record has an open case: one person has one open case per programme, so one of
    the two must be closed (or the duplicate's case moved on) first; the merge never closes a case itself."""
    if same_record:
        return {"duplicate": "Choose two different records: this is the record you keep."}
    if not same_organization:
        return {"duplicate": "Both records must belong to your organisation."}
    errors: dict[str, str] = {}
    if kept_merged:
        errors["kept"] = "This record was merged into another one already: keep that one instead."
    if duplicate_merged:
        errors["duplicate"] = "This record was merged into another one already."
    if not reason.strip():
        errors["reason"] = "Say why these are the same person (e.g. same birth date, phone and old MRN)."
    if both_open:
        errors[""] = (
            f"Both records have an open {', '.join(both_open)} case. Close the duplicate's case first "
            "(or the kept record's), then merge: one person has one open case per programme."
        )
    return errors
