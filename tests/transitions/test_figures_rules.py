"""Readmission figures (issue 19), the pure rules as tables: what a discharge counts for (clinical.md §7 TCM:
contact within 2 business days, visit within 7 / 14 calendar days, medicines reconciled by the face-to-face
date; the 30-day readmission rule of transitions.readmissions) and the table by programme and month."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.core.periods import last_full_months
from careconductor.transitions.figures_rules import (
    NOT_ENROLLED,
    Discharge,
    outcomes,
    share,
    table,
)

day = dt.date.fromisoformat
FRIDAY = day("2027-03-05")  # discharge day: contact due Tuesday 9 March


def discharge(key: int = 1, patient: int = 1, **kw: object) -> Discharge:
    values: dict[str, object] = {"admitted": FRIDAY - dt.timedelta(days=3), "discharged": FRIDAY}
    values.update(kw)
    return Discharge(key=key, patient=patient, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "contacts, holidays, days, met",
    [
        ((), (), None, False),
        ((FRIDAY,), (), 0, True),  # the discharge day counts
        ((day("2027-03-09"),), (), 4, True),  # Tuesday: the 2nd business day
        ((day("2027-03-10"),), (), 5, False),  # Wednesday: late
        ((day("2027-03-10"),), (day("2027-03-08"),), 5, True),  # Monday a holiday: due Wednesday
        ((day("2027-03-04"),), (), None, False),  # before the discharge: not a follow-up
        ((day("2027-04-04"),), (), None, False),  # after the 30-day period (discharge + 29)
        ((day("2027-04-03"),), (), 29, False),  # the last day of the period: counted, late
        ((day("2027-03-12"), day("2027-03-08")), (), 3, True),  # the first one
    ],
)
def test_days_to_first_contact_and_the_two_business_day_rule(
    contacts: tuple[dt.date, ...], holidays: tuple[dt.date, ...], days: int | None, met: bool
) -> None:
    [o] = outcomes([discharge(contacts=contacts)], [], frozenset(holidays))
    assert (o.days_to_contact, o.contact_in_2_business_days) == (days, met)


@pytest.mark.parametrize(
    "visits, reconciled, in7, in14, by_visit",
    [
        ((), (), False, False, False),
        ((day("2027-03-12"),), (), True, True, False),  # day 7
        ((day("2027-03-13"),), (), False, True, False),  # day 8
        ((day("2027-03-19"),), (), False, True, False),  # day 14
        ((day("2027-03-20"),), (), False, False, False),  # day 15
        ((day("2027-03-12"),), (day("2027-03-12"),), True, True, True),  # reconciled the visit's day
        ((day("2027-03-12"),), (day("2027-03-06"),), True, True, True),
        ((day("2027-03-12"),), (day("2027-03-13"),), True, True, False),  # after the visit
        ((day("2027-03-12"),), (day("2027-03-01"),), True, True, False),  # before the discharge
        ((), (day("2027-03-06"),), False, False, False),  # no visit: not counted (see table)
    ],
)
def test_visits_in_7_and_14_days_and_reconciliation_by_the_visit(
    visits: tuple[dt.date, ...], reconciled: tuple[dt.date, ...], in7: bool, in14: bool, by_visit: bool
) -> None:
    [o] = outcomes([discharge(visits=visits, reconciled=reconciled)], [], frozenset())
    assert (o.visit_in_7, o.visit_in_14, o.reconciled_by_visit) == (in7, in14, by_visit)


@pytest.mark.parametrize(
    "disposition, admitted_again, index, readmitted",
    [
        ("home", None, True, False),
        ("home", "2027-03-20", True, True),
        ("home", "2027-04-04", True, True),  # the 30th day after
        ("home", "2027-04-05", True, False),  # the 31st
        ("snf", "2027-03-20", True, True),
        ("other_facility", "2027-03-05", False, False),  # a transfer is not an index discharge
        ("expired", None, False, False),
    ],
)
def test_index_discharges_and_30_day_readmissions(
    disposition: str, admitted_again: str | None, index: bool, readmitted: bool
) -> None:
    first = discharge(disposition=disposition)
    stays = [first]
    admissions = [(1, 1, first.admitted)]
    if admitted_again:
        stays.append(discharge(2, admitted=day(admitted_again), discharged=day(admitted_again)))
        admissions.append((2, 1, day(admitted_again)))
    o = outcomes(stays, admissions, frozenset())[0]
    assert (o.index, o.readmitted) == (index, readmitted)


def test_a_readmission_counts_against_the_latest_discharge_only() -> None:
    stays = [
        discharge(1, admitted=day("2027-03-01"), discharged=day("2027-03-03")),
        discharge(2, admitted=day("2027-03-10"), discharged=day("2027-03-12")),
        discharge(3, admitted=day("2027-03-20"), discharged=day("2027-03-22")),
    ]
    admissions = [(s.key, 1, s.admitted) for s in stays]
    assert [o.readmitted for o in outcomes(stays, admissions, frozenset())] == [True, True, False]


def test_what_follows_the_next_admission_counts_for_the_next_discharge_only() -> None:
    readmitted = day("2027-03-08")
    first = discharge(
        1, contacts=(day("2027-03-09"),), visits=(day("2027-03-10"),), reconciled=(day("2027-03-09"),)
    )
    second = discharge(2, admitted=readmitted, discharged=day("2027-03-09"), contacts=first.contacts)
    o1, o2 = outcomes([first, second], [(2, 1, readmitted)], frozenset())
    assert (o1.readmitted, o1.days_to_contact, o1.visited, o1.reconciled_by_visit) == (
        True,
        None,
        False,
        False,
    )
    assert (o2.days_to_contact, o2.contact_in_2_business_days) == (0, True)


def test_a_same_day_stay_is_not_its_own_readmission() -> None:
    stay = discharge(1, admitted=FRIDAY, discharged=FRIDAY)
    assert not outcomes([stay], [(1, 1, FRIDAY)], frozenset())[0].readmitted


def test_the_table_by_month_and_programme_enrolled_first() -> None:
    march, april = day("2027-03-10"), day("2027-04-02")
    stays = [
        discharge(1, 1, discharged=march, programme="Transitional care", contacts=(march,)),
        discharge(
            2, 2, discharged=march, programme="Transitional care", contacts=(march + dt.timedelta(3),)
        ),  # Saturday: late
        discharge(3, 3, discharged=march),
        discharge(4, 4, discharged=april, programme="Complex care", visits=(april,), reconciled=(april,)),
        discharge(5, 5, discharged=april, disposition="expired"),  # not an index discharge
        discharge(6, 6, discharged=day("2027-05-01")),  # after the period
    ]
    readmission = (7, 3, day("2027-03-20"))
    cells = table(outcomes(stays, [readmission], frozenset()), day("2027-03-01"), day("2027-04-30"))
    assert [(c.month, c.programme, c.discharges, c.readmissions) for c in cells] == [
        (day("2027-03-01"), "Transitional care", [1, 2], []),
        (day("2027-03-01"), NOT_ENROLLED, [3], [3]),
        (day("2027-04-01"), "Complex care", [4], []),
    ]
    tcm, other, complex_care = cells
    assert (tcm.rate, other.rate, tcm.median_days_to_contact, tcm.contact_share) == (0.0, 100.0, 1.5, 50.0)
    assert (complex_care.visit_7_share, complex_care.reconciled_share, tcm.reconciled_share) == (
        100.0,
        100.0,
        None,
    )
    assert not other.enrolled and tcm.enrolled


@pytest.mark.parametrize(
    "part, whole, expected", [(0, 0, None), (0, 3, 0.0), (1, 3, 33.3), (2, 3, 66.7), (3, 3, 100.0)]
)
def test_share_is_a_percentage_or_nothing(part: int, whole: int, expected: float | None) -> None:
    assert share(part, whole) == expected


@pytest.mark.parametrize(
    "today, start, end",
    [
        ("2027-03-15", "2026-03-01", "2027-02-28"),
        ("2027-01-01", "2026-01-01", "2026-12-31"),
        ("2027-12-31", "2026-12-01", "2027-11-30"),
    ],
)
def test_the_default_period_is_the_last_twelve_full_months(today: str, start: str, end: str) -> None:
    assert last_full_months(day(today)) == (day(start), day(end))
