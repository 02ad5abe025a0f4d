"""30-day readmissions (issue 19), the pure rule: which discharge an admission follows within 30 days, and the
alert's words naming both stays. Through the feed, the chart and the worklist: test_work.py."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.transitions.readmissions import Stay, flag_text, index_discharge

ADMITTED = dt.date(2027, 3, 31)


def stay(admitted: str, discharged: str | None, disposition: str = "", facility: str = "General") -> Stay:
    day = dt.date.fromisoformat
    return Stay(day(admitted), day(discharged) if discharged else None, facility, disposition)


@pytest.mark.parametrize(
    "earlier, index",
    [
        ([], None),
        ([stay("2027-03-20", "2027-03-25")], 0),  # 6 days after
        ([stay("2027-02-25", "2027-03-01")], 0),  # the 30th day after: still a readmission
        ([stay("2027-02-24", "2027-02-28")], None),  # the 31st day: not
        ([stay("2027-03-29", "2027-03-31")], 0),  # the same day as the discharge
        ([stay("2027-03-30", None)], None),  # not discharged (an open stay is not an index discharge)
        ([stay("2027-04-01", "2027-04-03")], None),  # after the admission
        ([stay("2027-03-20", "2027-03-25", "other_facility")], None),  # a transfer, not a readmission
        ([stay("2027-03-20", "2027-03-25", "expired")], None),
        ([stay("2027-03-20", "2027-03-25", "snf")], 0),  # home from the nursing facility, then back
        ([stay("2027-03-01", "2027-03-05"), stay("2027-03-20", "2027-03-25")], 1),  # the latest discharge
        ([stay("2027-03-20", "2027-03-25"), stay("2027-03-01", "2027-03-05")], 0),
        ([stay("2027-03-20", "2027-03-25", "other_facility"), stay("2027-03-01", "2027-03-05")], 1),
    ],
)
def test_the_index_discharge_is_the_latest_within_30_days(earlier: list[Stay], index: int | None) -> None:
    admission = Stay(ADMITTED, None, "St. Mary's")
    assert index_discharge(admission, earlier) == (None if index is None else earlier[index])


@pytest.mark.parametrize(
    "discharged, facility, words",
    [
        (
            "2027-03-19",
            "General",
            "Readmitted to St. Mary's on Mar 31, 12 days after discharge from General on Mar 19",
        ),
        ("2027-03-30", "", "Readmitted to St. Mary's on Mar 31, 1 day after discharge on Mar 30"),
        (
            "2027-03-31",
            "General",
            "Readmitted to St. Mary's on Mar 31, the day of discharge from General on Mar 31",
        ),
    ],
)
def test_the_alert_names_both_stays(discharged: str, facility: str, words: str) -> None:
    admission = Stay(ADMITTED, None, "St. Mary's")
    assert flag_text(admission, stay("2027-03-01", discharged, facility=facility)) == words
