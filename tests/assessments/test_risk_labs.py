"""HOSPITAL reads the last haemoglobin and sodium of the stay from the chart's lab readings (clinical.md §4.4:
H haemoglobin < 12 g/dL at discharge 1 point, S sodium < 135 mmol/L at discharge 1 point); labs outside the
stay are not the discharge's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from careconductor.assessments.actions import do_compute_risk_scores
from careconductor.careplans.actions.readings import do_record_reading
from careconductor.careplans.choices import ReadingSource
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.choices import AdmissionType, DischargeDisposition, EncounterClass

pytestmark = pytest.mark.django_db

ADMITTED = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
DISCHARGED = dt.datetime(2026, 11, 6, 15, tzinfo=dt.UTC)


def lab(world, measure: str, value: str, at: dt.datetime) -> None:
    do_record_reading(
        world.alice,
        world.paula,
        measure_key=measure,
        value=Decimal(value),
        taken_at=at,
        source=ReadingSource.LAB,
    )


@time_machine.travel(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    "haemoglobin, sodium, h_points, s_points",
    [("10.5", "131", 1, 1), ("12.0", "135", 0, 0), ("13.1", "134", 0, 1)],
)
def test_hospital_takes_the_last_labs_of_the_stay(world, haemoglobin, sodium, h_points, s_points) -> None:
    do_add_encounter(
        world.alice, world.paula, encounter_class=EncounterClass.INPATIENT, start=ADMITTED, end=DISCHARGED,
        admission_type=AdmissionType.EMERGENCY, discharge_disposition=DischargeDisposition.HOME,
    )  # fmt: skip
    lab(world, "haemoglobin", "8.0", ADMITTED - dt.timedelta(days=20))  # before the stay: not the discharge's
    lab(world, "haemoglobin", "9.0", ADMITTED + dt.timedelta(hours=2))  # earlier in the stay: superseded
    lab(world, "haemoglobin", haemoglobin, DISCHARGED - dt.timedelta(hours=6))
    lab(world, "sodium", sodium, DISCHARGED - dt.timedelta(hours=6))
    lab(world, "sodium", "120", DISCHARGED + dt.timedelta(days=2))  # after discharge: not counted
    (hospital,) = [r for r in do_compute_risk_scores(world.alice, world.paula) if r.model == "hospital"]
    by_component = {b["component"]: b["points"] for b in hospital.basis}
    assert by_component["H"] == h_points and by_component["S"] == s_points
    assert not any("haemoglobin" in m or "sodium" in m for m in hospital.missing)


@time_machine.travel(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC), tick=False)
def test_without_labs_hospital_says_they_are_missing(world) -> None:
    do_add_encounter(
        world.alice, world.paula, encounter_class=EncounterClass.INPATIENT, start=ADMITTED, end=DISCHARGED,
    )  # fmt: skip
    (hospital,) = [r for r in do_compute_risk_scores(world.alice, world.paula) if r.model == "hospital"]
    assert "haemoglobin at discharge" in hospital.missing and "sodium at discharge" in hospital.missing
