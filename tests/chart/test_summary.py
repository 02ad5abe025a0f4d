"""The one chart header summary (chart.summary.chart_summary): every patient page shows the same case, alerts
(safety flags first) and allergies."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.chart.summary import chart_summary
from careconductor.coordination.actions import do_raise_flag
from careconductor.core import clock
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.allergies import AllergyDetails, do_record_allergy
from careconductor.patients.choices import EncounterClass

from ..personas import World

pytestmark = pytest.mark.django_db


def test_the_header_puts_safety_flags_before_the_other_alerts(world: World) -> None:
    paula = world.paula
    do_add_encounter(
        world.alice,
        paula,
        encounter_class=EncounterClass.INPATIENT,
        facility="Riverside General",
        start=clock.now() - dt.timedelta(days=6),
        end=clock.now() - dt.timedelta(days=2),
    )
    do_raise_flag(world.alice, paula, text="Said she has thoughts of self-harm", rule="test-safety")
    summary = chart_summary(paula)
    assert summary.case == world.paula_case
    assert summary.alerts[0] == ("danger", "Said she has thoughts of self-harm")
    assert ("danger", "Discharged 2 days ago from Riverside General") in summary.alerts[1:]


@pytest.mark.parametrize(
    ("days_ago", "leads_to_reconciliation"), [(0, True), (29, True), (30, False), (45, False)]
)
def test_a_discharge_in_the_transitional_period_leads_to_the_reconciliation(
    world: World, days_ago: int, leads_to_reconciliation: bool
) -> None:
    do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.INPATIENT,
        start=clock.now() - dt.timedelta(days=days_ago + 3),
        end=clock.now() - dt.timedelta(days=days_ago),
    )
    url = chart_summary(world.paula).reconcile_url
    assert (url == f"/patients/{world.paula.pk}/medications/reconcile/") is leads_to_reconciliation
    assert bool(url) is leads_to_reconciliation


def test_allergies_never_recorded_read_as_unknown_not_as_none(world: World) -> None:
    assert chart_summary(world.paula).allergies is None
    do_record_allergy(world.alice, world.paula, AllergyDetails(substance="Penicillin"))
    allergies = chart_summary(world.paula).allergies
    assert allergies is not None and [a.substance for a in allergies] == ["Penicillin"]


def test_there_is_one_chart_summary() -> None:
    from careconductor.cases import queries

    assert not hasattr(queries, "chart_summary") and not hasattr(queries, "ChartSummary")
