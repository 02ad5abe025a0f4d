"""30-day readmissions (issue 19): an admission (inpatient or observation) within 30 days of a discharge from an
earlier one. Pure: no ORM, no I/O (transitions.work reads the stays and raises the flag)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from careconductor.patients.choices import DischargeDisposition

READMISSION_DAYS = 30
RULE = "readmission-30d"  # the chart's and worklist's alert (coordination Flag.rule)
RULE_LABEL = "Readmitted within 30 days of a discharge"


@dataclass(frozen=True)
class Stay:
    """An inpatient or observation stay, its days in the organisation's time zone."""

    admitted: dt.date
    discharged: dt.date | None
    facility: str = ""
    disposition: str = ""


def index_discharge(admission: Stay, earlier: Iterable[Stay]) -> Stay | None:
    """The discharge `admission` is a 30-day readmission after, or None: of the stays that ended on or before the
    admission day, no more than READMISSION_DAYS days before it, the latest. A stay that ended in a transfer to
    another hospital is not an index discharge (the admission is the transfer), nor one that ended in death.
    Days are calendar days (the discharge day is day 0): admitted on the 30th day after is a readmission, on the
    31st not."""
    candidates = [
        stay
        for stay in earlier
        if stay.discharged is not None
        and 0 <= (admission.admitted - stay.discharged).days <= READMISSION_DAYS
        and stay.disposition not in (DischargeDisposition.OTHER_FACILITY, DischargeDisposition.EXPIRED)
    ]
    return max(candidates, key=lambda s: (s.discharged, s.admitted), default=None)


def flag_text(admission: Stay, index: Stay) -> str:
    """The alert, naming both stays: 'Readmitted to St. Mary's on Dec 20, 12 days after discharge from General
    Hospital on Dec 8'."""
    assert index.discharged is not None
    days = (admission.admitted - index.discharged).days
    after = "the day of" if days == 0 else f"{days} day{'' if days == 1 else 's'} after"
    to = f" to {admission.facility}" if admission.facility else ""
    since = f" from {index.facility}" if index.facility else ""
    return (
        f"Readmitted{to} on {_day(admission.admitted)}, {after} discharge{since} on {_day(index.discharged)}"
    )


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}"
