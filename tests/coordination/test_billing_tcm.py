"""TCM in the monthly time report, the pure rules (clinical.md §7, TCM): a Friday discharge before a Monday
holiday, the contact in 2 business days, the visit in 7 or 14 days, the medicines reconciled by the visit, the
30-day period and the community dispositions. The report from the database is tests/coordination/test_billing.py."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from careconductor.cases.choices import Program
from careconductor.coordination import billing_rules
from careconductor.coordination.billing_rules import (
    Discharge,
    LineStatus,
    MinuteEntry,
    MonthFacts,
    bill_month,
)
from careconductor.coordination.rules import transition_clock
from careconductor.patients.choices import DischargeDisposition, EncounterClass

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
FEB = dt.date(2025, 2, 1)
LATER = dt.date(2025, 6, 1)  # "today" for months long finished


# --- TCM: Friday discharge, Monday holiday (clinical.md §7, TCM) ----------------------------------------------
FRIDAY = dt.date(2025, 1, 17)
MLK_DAY = dt.date(2025, 1, 20)  # Monday, a public holiday: the contact is due Wednesday, not Tuesday


def discharge(
    contact: dt.date | None,
    visit: dt.date | None,
    *,
    high: bool | None = True,
    holidays: frozenset[dt.date] = frozenset({MLK_DAY}),
    disposition: str = DischargeDisposition.HOME,
    on: dt.date = FRIDAY,
    reconciled: dt.date | str | None = "at the visit",
) -> Discharge:
    """A discharge on `on` with its first contact and visit; the medicines reconciled on the visit's day unless
    `reconciled` says otherwise (a day, or None for never)."""
    reconciled_on = visit if reconciled == "at the visit" else reconciled
    assert reconciled_on is None or isinstance(reconciled_on, dt.date)
    clock = transition_clock(
        on,
        high_complexity=bool(high),
        holidays=holidays,
        interactive_contacts=[contact] if contact else [],
        visits=[visit] if visit else [],
        reconciliations=[reconciled_on] if reconciled_on else [],
    )
    return Discharge(clock, EncounterClass.INPATIENT, disposition, high)


def tcm(d: Discharge, today: dt.date = LATER) -> billing_rules.CodeLine:
    lines = bill_month(MonthFacts(FEB, discharges=(d,)), today).lines
    assert len(lines) == 1
    return lines[0]


def test_the_clock_of_a_friday_discharge_before_a_monday_holiday() -> None:
    clock = discharge(None, None).clock
    assert clock.contact_due == dt.date(2025, 1, 22)  # Fri → (Sat, Sun, holiday) Tue, Wed
    assert clock.period_end == dt.date(2025, 2, 15)  # the discharge day and 29 more: reported in February
    assert discharge(None, None, holidays=frozenset()).clock.contact_due == dt.date(2025, 1, 21)


@pytest.mark.parametrize(
    ("contact", "visit", "high", "code", "status"),
    [
        (dt.date(2025, 1, 22), dt.date(2025, 1, 24), True, "99496", LineStatus.BILLABLE),
        (dt.date(2025, 1, 17), dt.date(2025, 1, 24), True, "99496", LineStatus.BILLABLE),
        (dt.date(2025, 1, 22), dt.date(2025, 1, 25), True, "99495", LineStatus.BILLABLE),  # day 8
        (dt.date(2025, 1, 22), dt.date(2025, 1, 31), True, "99495", LineStatus.BILLABLE),  # day 14
        (dt.date(2025, 1, 22), dt.date(2025, 1, 24), False, "99495", LineStatus.BILLABLE),
        (dt.date(2025, 1, 22), dt.date(2025, 1, 31), False, "99495", LineStatus.BILLABLE),
        (dt.date(2025, 1, 23), dt.date(2025, 1, 24), True, "", LineStatus.NOT_BILLABLE),  # contact late
        (dt.date(2025, 1, 22), dt.date(2025, 2, 1), False, "", LineStatus.NOT_BILLABLE),  # visit day 15
        (None, dt.date(2025, 1, 24), True, "", LineStatus.NOT_BILLABLE),
        (dt.date(2025, 1, 22), None, True, "", LineStatus.NOT_BILLABLE),
    ],
)
def test_tcm_deadlines_met_or_missed(
    contact: dt.date | None, visit: dt.date | None, high: bool, code: str, status: LineStatus
) -> None:
    line = tcm(discharge(contact, visit, high=high))
    assert (line.code, line.status, line.units) == (code, status, 1 if code else 0)
    assert line.bill_from == dt.date(2025, 2, 15) and line.minutes == 0


def test_tcm_says_which_deadline_was_missed() -> None:
    assert tcm(discharge(dt.date(2025, 1, 23), dt.date(2025, 1, 24))).note == (
        "contact missed: due Jan 22, done Jan 23"
    )
    assert tcm(discharge(None, None)).note == "contact missed: none by Jan 22; visit missed: none by Jan 31"
    # Without the holiday, Wednesday is a day late.
    late = tcm(discharge(dt.date(2025, 1, 22), dt.date(2025, 1, 24), holidays=frozenset()))
    assert (late.status, late.note) == (LineStatus.NOT_BILLABLE, "contact missed: due Jan 21, done Jan 22")
    met = tcm(discharge(dt.date(2025, 1, 22), dt.date(2025, 1, 24)))
    assert met.note == "contact Jan 22; visit Jan 24; medicines reconciled Jan 24; bill from 2025-02-15"


def test_tcm_with_the_decision_making_not_recorded_shows_99495_and_says_99496_may_apply() -> None:
    line = tcm(discharge(dt.date(2025, 1, 22), dt.date(2025, 1, 24), high=None))
    assert line.code == "99495" and "99496 if the visit's decision making" in line.note


def test_tcm_period_in_progress() -> None:
    met = discharge(dt.date(2025, 1, 22), dt.date(2025, 1, 24))
    line = tcm(met, today=dt.date(2025, 2, 10))
    assert (line.code, line.status) == ("99496", LineStatus.IN_PROGRESS)
    assert "period ends Feb 15" in line.note
    assert tcm(met, today=dt.date(2025, 2, 15)).status == LineStatus.BILLABLE  # the earliest billing date
    waiting = tcm(discharge(None, None), today=dt.date(2025, 1, 21))
    assert (waiting.code, waiting.status) == ("", LineStatus.IN_PROGRESS)
    assert waiting.note == "contact due by Jan 22; visit due by Jan 24; medicines to reconcile by the visit"
    visit_due = tcm(
        discharge(dt.date(2025, 1, 21), None, reconciled=dt.date(2025, 1, 21)), today=dt.date(2025, 1, 27)
    )
    assert (visit_due.status, visit_due.note) == (LineStatus.IN_PROGRESS, "visit due by Jan 31")


@pytest.mark.parametrize(
    ("reconciled", "today", "status", "note"),
    [
        (dt.date(2025, 1, 20), LATER, LineStatus.BILLABLE, "medicines reconciled Jan 20"),
        (None, LATER, LineStatus.NOT_BILLABLE, "medicines not reconciled by the visit on Jan 24"),
        (
            dt.date(2025, 1, 27),
            LATER,
            LineStatus.NOT_BILLABLE,
            "medicines not reconciled by the visit on Jan 24",
        ),
        (
            dt.date(2025, 1, 16),
            LATER,
            LineStatus.NOT_BILLABLE,
            "not reconciled by the visit",
        ),  # before discharge
        (None, dt.date(2025, 1, 24), LineStatus.IN_PROGRESS, "medicines to reconcile today, the visit's day"),
    ],
)
def test_tcm_needs_the_medicines_reconciled_by_the_visit(
    reconciled: dt.date | None, today: dt.date, status: LineStatus, note: str
) -> None:
    # clinical.md §7, TCM: medication reconciliation by the face-to-face date.
    line = tcm(discharge(dt.date(2025, 1, 22), dt.date(2025, 1, 24), reconciled=reconciled), today=today)
    assert line.status == status and note in line.note


def test_a_period_ending_next_month_is_reported_then() -> None:
    later = discharge(None, None, on=dt.date(2025, 2, 20))
    result = bill_month(MonthFacts(FEB, discharges=(later,)), dt.date(2025, 2, 25))
    assert result.lines == ()
    assert result.notes == (
        "TCM after the discharge on Feb 20: its period ends Mar 21 and is reported in March 2025",
    )


@pytest.mark.parametrize(
    ("disposition", "billable"),
    [
        (DischargeDisposition.HOME, True),
        (DischargeDisposition.HOME_HEALTH, True),
        (DischargeDisposition.AMA, True),
        (DischargeDisposition.SNF, False),
        (DischargeDisposition.REHAB, False),
        (DischargeDisposition.HOSPICE, False),
        (DischargeDisposition.EXPIRED, False),
        ("", False),
    ],
)
def test_tcm_needs_a_discharge_to_the_community(disposition: str, billable: bool) -> None:
    line = tcm(discharge(dt.date(2025, 1, 22), dt.date(2025, 1, 24), disposition=disposition))
    assert (line.status == LineStatus.BILLABLE) is billable


def test_ccm_and_tcm_in_the_same_month() -> None:
    d = discharge(dt.date(2025, 1, 22), dt.date(2025, 1, 24))
    result = bill_month(
        MonthFacts(FEB, (MinuteEntry(20, Program.CCM), MinuteEntry(30, Program.TCM)), 2, True, False, (d,)),
        LATER,
    )
    assert [line.code for line in result.billable] == ["99490", "99496"]
