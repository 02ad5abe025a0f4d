"""A line's cost or access barrier put on the care plan from the reconciliation screen (issue 19): it joins the
chosen goal's barriers with its kind and response, said again it updates the response, and a refusal (no kind,
a goal that is not this patient's) shows beside its field and keeps nothing. The screen shows each medicine's
last pharmacy fill when the feed sends fills, and where a discharge-list line came from."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from careconductor.careplans.actions import do_add_goal, do_create_plan
from careconductor.careplans.models import Barrier
from careconductor.cases.actions import do_refer_case
from careconductor.cases.choices import Program, ReferralSource
from careconductor.core.errors import ActionRefused
from careconductor.medications import actions
from careconductor.medications.choices import OrderSource
from careconductor.medications.models import Reconciliation

from ..personas import World
from .conftest import TODAY
from .helpers import metformin, other_patient

pytestmark = pytest.mark.django_db


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def _started(world: World) -> Reconciliation:
    metformin(world.alice, world.paula)
    return actions.do_start_reconciliation(world.alice, world.paula)


def _goal(world: World):  # type: ignore[no-untyped-def]
    plan = do_create_plan(world.alice, world.paula_case, title="Paula's plan")
    return do_add_goal(
        world.alice,
        plan,
        patient_words="Take my pills every day",
        measure="other",
        measure_text="Doses taken",
        target_text="Every dose",
    )


def test_a_barrier_goes_on_the_care_plan_with_its_response(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    goal = _goal(world)
    line = reconciliation.lines.get()
    client = login(world.alice)
    url = reverse("medications:line_takes", kwargs={"line_id": line.pk})
    page = _text(
        client.get(reverse("medications:reconciliation", kwargs={"reconciliation_id": reconciliation.pk}))
    )
    assert "Put it on the care plan" in page and "Take my pills every day" in page

    posted = {"takes": "no", "barrier": "can't afford it", "barrier_kind": "cost", "goal_id": goal.pk}
    assert client.post(url, {**posted, "response": "Asked for a generic"}).status_code == 302
    barrier = Barrier.objects.get(goal=goal)
    assert (barrier.kind, barrier.description, barrier.response) == (
        "cost",
        "Metformin: can't afford it",
        "Asked for a generic",
    )
    client.post(url, {**posted, "response": "90-day supply by mail, $0 copay"})
    barrier.refresh_from_db()
    assert Barrier.objects.count() == 1 and barrier.response == "90-day supply by mail, $0 copay"
    line.refresh_from_db()
    assert line.plan_barrier == barrier and line.patient_takes is False


def test_a_barrier_without_a_kind_or_on_someone_elses_goal_is_refused(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    goal = _goal(world)
    line = reconciliation.lines.get()
    client = login(world.alice)
    url = reverse("medications:line_takes", kwargs={"line_id": line.pk})
    response = client.post(url, {"takes": "no", "barrier": "no ride", "barrier_kind": "", "goal_id": goal.pk})
    assert response.status_code == 400
    assert "Choose what kind of barrier it is." in _text(response)
    with pytest.raises(ActionRefused) as refused:
        actions.do_record_patient_takes(
            world.alice,
            line,
            takes=False,
            barrier="no ride",
            barrier_kind="transport",
            goal_id=_other_goal(world),
        )
    assert "goal" in refused.value.errors
    line.refresh_from_db()
    assert not Barrier.objects.exists() and line.patient_takes is None and line.barrier == ""


def _other_goal(world: World) -> int:
    other = other_patient(world)
    case = do_refer_case(
        world.alice,
        other,
        program=Program.CCM,
        referral_source=ReferralSource.SELF,
        referral_reason="Two chronic conditions",
        case_manager=world.alice,
    )
    plan = do_create_plan(world.alice, case, title="Other plan")
    return do_add_goal(
        world.alice,
        plan,
        patient_words="Walk daily",
        measure="other",
        measure_text="Walks",
        target_text="Daily",
    ).pk


def test_the_screen_shows_last_fills_and_where_a_line_came_from(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    actions.do_record_discharge_medication(
        world.alice,
        world.paula,
        name="Furosemide",
        dose="40 mg",
        source=OrderSource.HL7,
        reference="St. Mary's Hospital, D1",
    )
    url = reverse("medications:reconciliation", kwargs={"reconciliation_id": reconciliation.pk})
    client = login(world.alice)
    page = _text(client.get(url))
    assert "from the ADT feed (St. Mary&#x27;s Hospital, D1)" in page
    assert "Last filled" not in page and "No pharmacy fill" not in page  # no fill history: says nothing
    actions.do_record_pharmacy_fill(
        world.alice,
        world.paula,
        name="METFORMIN",
        filled_on=TODAY - dt.timedelta(days=12),
        quantity="60 TAB",
        pharmacy="Main Street Pharmacy",
    )
    page = _text(client.get(url))
    metformin_row = page[page.index('<th scope="row">Metformin') :]
    assert (
        f"Last filled {TODAY - dt.timedelta(days=12):%Y-%m-%d} (60 TAB), Main Street Pharmacy"
        in (metformin_row[: metformin_row.index("</tr>")])
    )
    furosemide_row = page[page.index('<th scope="row">Furosemide') :]
    assert "<strong>No pharmacy fill</strong> in 6 months" in furosemide_row[: furosemide_row.index("</tr>")]
