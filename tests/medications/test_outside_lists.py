"""Medicines other systems tell of (issue 19): a discharge list's medicines received before a reconciliation are
taken by the one started for their stay; one arriving while a reconciliation of the stay is in progress joins
it at once; a list of another stay waits. Pharmacy fills are kept as reported. Refusals keep nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.medications import actions
from careconductor.medications.choices import Discrepancy, OrderSource
from careconductor.medications.models import DischargeMedication, Medication, PharmacyFill
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.models import Encounter

from ..personas import World
from .conftest import NOW, TODAY
from .helpers import metformin, other_patient

pytestmark = pytest.mark.django_db


def _stay(world: World, days_ago: int = 1) -> Encounter:
    return do_add_encounter(
        world.alice,
        world.paula,
        encounter_class="IMP",
        facility="St. Mary's",
        start=NOW - dt.timedelta(days=days_ago + 3),
        end=NOW - dt.timedelta(days=days_ago),
    )


def _order(world: World, stay: Encounter | None, name: str, dose: str, **more: object) -> DischargeMedication:
    return actions.do_record_discharge_medication(
        world.alice, world.paula, encounter=stay, name=name, dose=dose, source=OrderSource.FHIR, **more
    )


def test_a_stays_discharge_list_is_taken_by_its_reconciliation(world: World) -> None:
    metformin(world.alice, world.paula)  # 500 mg tablet on the patient's own list
    stay = _stay(world)
    _order(world, stay, "Metformin", "1000 mg tablet", rxnorm="860975")
    _order(world, stay, "Furosemide", "40 mg tablet")
    other_stay = _stay(world, days_ago=20)
    _order(world, other_stay, "Amoxicillin", "500 mg")

    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=stay)

    lines = {
        line.name: (line.on_discharge_list, line.discharge_dose, line.discrepancy)
        for line in reconciliation.lines.all()
    }
    assert lines == {
        "Metformin": (True, "1000 mg tablet", Discrepancy.DOSE_MISMATCH),
        "Furosemide": (True, "40 mg tablet", Discrepancy.NONE),
    }
    assert DischargeMedication.objects.filter(encounter=other_stay, line__isnull=True).count() == 1


def test_a_medicine_arriving_during_the_reconciliation_joins_it(world: World) -> None:
    metformin(world.alice, world.paula)
    stay = _stay(world)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=stay)
    line = reconciliation.lines.get()
    actions.do_decide_line(world.alice, line, decision="continue")

    _order(world, stay, "Metformin", "", says_stop=True)

    line.refresh_from_db()
    assert (line.discharge_says_stop, line.decision) == (True, "")  # joined, so decided again
    # Another stay's list does not join this reconciliation.
    _order(world, _stay(world, days_ago=40), "Warfarin", "5 mg")
    assert reconciliation.lines.count() == 1


def test_a_typed_discharge_line_is_kept_as_the_stays_list(world: World) -> None:
    stay = _stay(world)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=stay)
    line = actions.do_add_discharge_line(world.alice, reconciliation, name="Apixaban", dose="5 mg")
    order = DischargeMedication.objects.get()
    assert (order.encounter, order.source, order.line, order.recorded_by) == (
        stay,
        OrderSource.TYPED,
        line,
        world.alice,
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " ", "dose": "5 mg"}, "name"),
        ({"name": "Apixaban", "dose": ""}, "dose"),
        ({"name": "Apixaban", "dose": "5 mg", "rxnorm": "apx"}, "rxnorm"),
    ],
)
def test_a_bad_discharge_medicine_is_refused_and_nothing_kept(
    world: World, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(ActionRefused) as refused:
        actions.do_record_discharge_medication(
            world.alice,
            world.paula,
            source=OrderSource.HL7,
            **fields,  # type: ignore[arg-type]
        )
    assert field in refused.value.errors
    assert not DischargeMedication.objects.exists()


def test_someone_elses_stay_or_a_stranger_is_refused(world: World) -> None:
    theirs = do_add_encounter(
        world.alice,
        other_patient(world),
        encounter_class="IMP",
        start=NOW - dt.timedelta(days=3),
        end=NOW - dt.timedelta(days=1),
    )
    with pytest.raises(ActionRefused) as refused:
        _order(world, theirs, "Apixaban", "5 mg")
    assert "encounter" in refused.value.errors
    with pytest.raises(NotVisible):
        actions.do_record_discharge_medication(
            world.charlie, world.paula, name="Apixaban", dose="5 mg", source=OrderSource.FHIR
        )
    assert not DischargeMedication.objects.exists()


def test_a_pharmacy_fill_is_kept_and_checked(world: World) -> None:
    fill = actions.do_record_pharmacy_fill(
        world.alice,
        world.paula,
        name="Metformin 500 mg tablet",
        rxnorm="860975",
        filled_on=TODAY - dt.timedelta(days=10),
        quantity="60",
        days_supply=30,
        pharmacy="Main Street Pharmacy",
    )
    assert PharmacyFill.objects.get() == fill
    for bad, field in (
        ({"filled_on": TODAY + dt.timedelta(days=1)}, "filled_on"),
        ({"days_supply": 0}, "days_supply"),
        ({"name": ""}, "name"),
    ):
        fields: dict[str, object] = {"name": "Metformin", "filled_on": TODAY, **bad}
        with pytest.raises(ActionRefused) as refused:
            actions.do_record_pharmacy_fill(world.alice, world.paula, **fields)  # type: ignore[arg-type]
        assert field in refused.value.errors
    assert PharmacyFill.objects.count() == 1


def test_the_rxnorm_code_of_the_patients_list_meets_the_discharge_list(world: World) -> None:
    """A medicine kept with its RxNorm code is matched by it (a brand on the discharge list meets its generic),
    and a new medicine from the discharge list keeps the list's code."""
    with pytest.raises(ActionRefused) as refused:
        actions.do_add_medication(
            world.alice, world.paula, name="Metformin", dose="500 mg", instructions="", times=[],
            start_date=TODAY, rxnorm="met",
        )  # fmt: skip
    assert "rxnorm" in refused.value.errors
    actions.do_add_medication(
        world.alice, world.paula, name="Metformin", dose="500 mg", instructions="", times=["08:00"],
        start_date=TODAY - dt.timedelta(days=90), rxnorm="860975",
    )  # fmt: skip
    stay = _stay(world)
    _order(world, stay, "Glucophage", "500 mg", rxnorm="860975")
    _order(world, stay, "Furosemide", "40 mg", rxnorm="310429")
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=stay)
    lines = {line.name: line for line in reconciliation.lines.all()}
    assert set(lines) == {"Metformin", "Furosemide"} and lines["Metformin"].discharge_dose == "500 mg"
    actions.do_decide_line(world.alice, lines["Metformin"], decision="continue")
    actions.do_decide_line(world.alice, lines["Furosemide"], decision="new", new_times=["08:00"])
    actions.do_complete_reconciliation(world.alice, reconciliation, participants="the patient")
    assert Medication.objects.get(name="Furosemide").rxnorm == "310429"
