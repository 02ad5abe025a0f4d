"""Patients who may be the person being registered (the registration page's warning, the FHIR create's 409).

The rule is written once, in `may_be`: born that day, or with day and month swapped (a common typing slip),
and with the same family name or given name, accents and case aside ("Jose Sanchez" finds José Sánchez), a
given name's usual short form ("Lupe" finds Guadalupe, nicknames.py), or the same phone number. The database
is asked only for the organisation's records born on those days (its (organisation, birth date) index: a
handful of rows), and the names are compared here.

A transaction Bundle registering hundreds of patients fetches the records born on all their days at once
(`candidates_fetched`), and keeps that set up to date as the Bundle saves patients, so each of its
Patient entries asks no query of its own and gets the same answer as it would alone."""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models.signals import post_save

from careconductor.accounts.models import User

from .models import Patient
from .nicknames import same_name
from .rules import digits, fold

MAX_FOUND = 10


def birth_days(birth_date: dt.date) -> set[dt.date]:
    """The day given, and the day with day and month swapped when that is a date too."""
    days = {birth_date}
    if birth_date.day <= 12 and birth_date.day != birth_date.month:
        days.add(birth_date.replace(month=birth_date.day, day=birth_date.month))
    return days


@dataclass(frozen=True)
class Wanted:
    """The person being registered, as the rule compares them."""

    days: frozenset[dt.date]
    words: frozenset[str]  # " word " as it appears in Patient.search_names
    phone: str  # digits, or "" when too short to compare

    @classmethod
    def of(cls, given_name: str, family_name: str, birth_date: dt.date, phone: str = "") -> Wanted:
        names = same_name(given_name) | same_name(fold(given_name).partition(" ")[0])
        if fold(family_name):
            names |= {fold(family_name)}
        number = digits(phone)
        return cls(
            frozenset(birth_days(birth_date)),
            frozenset(f" {n} " for n in names),
            number if len(number) >= 7 else "",
        )


class Record(NamedTuple):
    """What the rule reads of a patient's record."""

    pk: int
    organization_id: int
    birth_date: dt.date
    merged_into_id: int | None
    search_names: str
    phone_digits: str

    @classmethod
    def of(cls, patient: Patient) -> Record:
        return cls(*(getattr(patient, name) for name in cls._fields))


def may_be(record: Record, wanted: Wanted) -> bool:
    """Whether a record of the organisation may be the person wanted (see the module's docstring)."""
    if record.birth_date not in wanted.days or record.merged_into_id is not None:
        return False
    if wanted.phone and record.phone_digits == wanted.phone:
        return True
    return any(word in record.search_names for word in wanted.words)


def possible_duplicates(
    user: User, given_name: str, family_name: str, birth_date: dt.date, phone: str = ""
) -> list[Patient]:
    """Patients in the user's organisation who may be this person (`may_be`), at most ten, oldest record
    first, with their identifiers. Records merged into another are left out: their person is the record they
    were merged into."""
    if user.org_id is None:
        return []
    wanted = Wanted.of(given_name, family_name, birth_date, phone)
    fetched = _fetched.get()
    if fetched is not None and fetched.organization_id == user.org_id and wanted.days <= fetched.days:
        records: Iterable[Record] = (r for day in wanted.days for r in fetched.born.get(day, {}).values())
    else:
        records = _born_on(user.org_id, wanted.days)
    keys = sorted(r.pk for r in records if may_be(r, wanted))[:MAX_FOUND]
    if not keys:
        return []
    # Read afresh with their identifiers (a candidate is rare, and is shown to the user).
    return list(Patient.objects.filter(pk__in=keys).order_by("pk").prefetch_related("identifiers"))


def _born_on(organization_id: int, days: Iterable[dt.date], chunk: int = 500) -> list[Record]:
    """The records of the organisation born on these days, not merged into another."""
    ordered = sorted(days)
    return [
        Record(*values)
        for start in range(0, len(ordered), chunk)
        for values in Patient.objects.filter(
            organization_id=organization_id,
            birth_date__in=ordered[start : start + chunk],
            merged_into__isnull=True,
        )
        .order_by()
        .values_list(*Record._fields)
    ]


@dataclass
class _Fetched:
    organization_id: int
    days: frozenset[dt.date]
    born: dict[dt.date, dict[int, Record]] = field(default_factory=dict)  # day -> pk -> record
    day_of: dict[int, dt.date] = field(default_factory=dict)

    def put(self, record: Record) -> None:
        if (day := self.day_of.pop(record.pk, None)) is not None:
            self.born[day].pop(record.pk, None)
        if record.organization_id == self.organization_id and record.birth_date in self.days:
            self.born.setdefault(record.birth_date, {})[record.pk] = record
            self.day_of[record.pk] = record.birth_date


_fetched: contextvars.ContextVar[_Fetched | None] = contextvars.ContextVar(
    "duplicate_candidates", default=None
)


@contextmanager
def candidates_fetched(user: User, birth_dates: Iterable[dt.date]) -> Iterator[None]:
    """Inside, `possible_duplicates` for the user's organisation and these birth dates (and their swapped
    days) asks no query: the records born on them are fetched now, in one query, and the patients saved
    inside are added, changed or dropped as they are saved."""
    if user.org_id is None:
        yield
        return
    days = frozenset(day for born in birth_dates for day in birth_days(born))
    fetched = _Fetched(user.org_id, days)
    for record in _born_on(user.org_id, days) if days else []:
        fetched.put(record)
    token = _fetched.set(fetched)
    try:
        yield
    finally:
        _fetched.reset(token)


def _patient_saved(sender: Any, instance: Patient, **kwargs: Any) -> None:
    fetched = _fetched.get()
    if fetched is not None:
        fetched.put(Record.of(instance))


post_save.connect(_patient_saved, sender=Patient, weak=False, dispatch_uid="patients-duplicate-candidates")
