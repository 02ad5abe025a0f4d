"""Intake checks of a prior-authorisation request (issue 21): completeness by field, eligibility on the date of
service, and duplicates; tables."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from careconductor.um.intake_rules import (
    CoveragePeriod,
    Existing,
    Intake,
    ServiceLine,
    completeness_problems,
    covered_on,
    duplicate_of,
    uncovered_days,
)
from careconductor.um.rules import Status, Urgency

D = dt.date
MRI = ServiceLine("73721", 1, D(2027, 3, 10), None)
COMPLETE = Intake(
    member_id=7,
    urgency=Urgency.STANDARD,
    expedited_asked_by="",
    requesting_provider="Dr. Priya Raman",
    servicing_provider="Valley Imaging",
    place_of_service="22",
    lines=(MRI,),
    diagnoses=("M23.205",),
    clinical_notes=True,
)


def test_a_complete_request_has_no_problems() -> None:
    assert completeness_problems(COMPLETE) == {}
    oxygen = dataclasses.replace(COMPLETE, lines=(ServiceLine("e1390", 1, D(2027, 3, 10), D(2027, 6, 10)),))
    assert completeness_problems(oxygen) == {}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"member_id": None}, "member", "Find the member"),
        ({"urgency": None}, "urgency", "expedited or standard"),
        ({"urgency": Urgency.EXPEDITED}, "expedited_asked_by", "who asked"),
        ({"requesting_provider": " "}, "requesting_provider", "requesting provider"),
        ({"servicing_provider": ""}, "servicing_provider", "would do it"),
        ({"place_of_service": "office"}, "place_of_service", "two-digit code"),
        ({"lines": ()}, "lines", "at least one service"),
        ({"lines": (ServiceLine("knee", 1, D(2027, 3, 10), None),)}, "line_1", "knee is not a CPT or HCPCS"),
        ({"lines": (ServiceLine("73721", 0, D(2027, 3, 10), None),)}, "line_1", "units of 73721"),
        ({"lines": (MRI, ServiceLine("73721", 1, None, None))}, "line_2", "date of service"),
        (
            {"lines": (ServiceLine("E1390", 1, D(2027, 3, 10), D(2027, 3, 1)),)},
            "line_1",
            "end before they start",
        ),
        ({"diagnoses": ()}, "diagnoses", "at least one diagnosis"),
        ({"diagnoses": ("M23.205", "knee pain")}, "diagnoses", "Not ICD-10-CM codes: knee pain"),
        ({"clinical_notes": False}, "clinical_notes", "clinical notes"),
    ],
)
def test_what_is_missing_is_named_by_field(change: dict[str, object], field: str, words: str) -> None:
    problems = completeness_problems(dataclasses.replace(COMPLETE, **change))  # type: ignore[arg-type]
    assert list(problems) == [field] and words in problems[field]


def test_every_problem_at_once_so_one_request_to_the_provider_names_them_all() -> None:
    empty = Intake(None, None, "", "", "", "", (), (), False)
    assert set(completeness_problems(empty)) == {
        "member", "urgency", "requesting_provider", "servicing_provider", "place_of_service", "lines",
        "diagnoses", "clinical_notes",
    }  # fmt: skip


COVERAGE = [CoveragePeriod(D(2026, 1, 1), D(2027, 3, 31)), CoveragePeriod(D(2027, 5, 1), None)]


@pytest.mark.parametrize(
    ("day", "covered"),
    [(D(2025, 12, 31), False), (D(2026, 1, 1), True), (D(2027, 3, 31), True), (D(2027, 4, 15), False),
     (D(2027, 5, 1), True), (D(2030, 1, 1), True)],
)  # fmt: skip
def test_coverage_on_the_date_of_service(day: dt.date, covered: bool) -> None:
    assert covered_on(COVERAGE, day) is covered
    assert covered_on([CoveragePeriod(D(2026, 1, 1), None, active=False)], day) is False


def test_the_days_of_service_without_coverage() -> None:
    lines = [ServiceLine("E1390", 1, D(2027, 3, 20), D(2027, 4, 20)), MRI]
    assert uncovered_days(COVERAGE, lines) == [D(2027, 4, 20)]


def existing(status: Status, start: dt.date, end: dt.date | None = None, **kw: object) -> Existing:
    return Existing(1, 7, status, frozenset({"73721"}), start, end, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("other", "duplicate"),
    [
        (existing(Status.IN_REVIEW, D(2027, 3, 10)), True),
        (
            existing(Status.APPROVED, D(2027, 3, 1), valid_until=D(2027, 4, 30)),
            True,
        ),  # approved and still valid
        (
            existing(Status.APPROVED, D(2027, 1, 1), valid_until=D(2027, 2, 28)),
            False,
        ),  # that approval ran out
        (existing(Status.DENIED, D(2027, 3, 10)), False),  # a denied request may be asked again
        (existing(Status.WITHDRAWN, D(2027, 3, 10)), False),
        (existing(Status.PENDED, D(2027, 3, 11)), False),  # other dates
        (
            Existing(1, 8, Status.IN_REVIEW, frozenset({"73721"}), D(2027, 3, 10), None),
            False,
        ),  # another member
        (
            Existing(1, 7, Status.IN_REVIEW, frozenset({"73722"}), D(2027, 3, 10), None),
            False,
        ),  # another service
    ],
)
def test_a_duplicate_is_the_same_member_service_and_dates_while_live(
    other: Existing, duplicate: bool
) -> None:
    assert (duplicate_of(COMPLETE, [other]) is other) is duplicate
