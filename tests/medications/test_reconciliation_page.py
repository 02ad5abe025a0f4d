"""The reconciliation screen through the test client: started from the medication list, the two lists side by
side, the discharge list entered, what the patient takes and each decision posted, completed with who took
part; errors beside their fields; the care team's physician reads only; strangers find nothing; a fixed
number of queries however many lines."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from careconductor.coordination.models import Task
from careconductor.medications import actions
from careconductor.medications.models import Medication, Reconciliation, ReconciliationLine
from careconductor.patients.actions import do_add_encounter

from ..personas import World
from .conftest import NOW
from .helpers import metformin

pytestmark = pytest.mark.django_db

# Session and log-in (3), the reconciliation and its lines (2), the role's right to change (1), the chart
# header (7), the read's audit event (5 with savepoints), the session's save (3), the lines' discharge-list
# sources, the care plan's goals and the pharmacy fills (3): none per line.
PAGE_BUDGET = 23


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def _page_url(reconciliation: Reconciliation) -> str:
    return reverse("medications:reconciliation", kwargs={"reconciliation_id": reconciliation.pk})


def _start_url(world: World) -> str:
    return reverse("medications:reconcile", kwargs={"patient_id": world.paula.pk})


def _started(world: World) -> Reconciliation:
    metformin(world.alice, world.paula)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    actions.do_add_discharge_line(world.alice, reconciliation, name="Metformin", dose="1000 mg tablet")
    return reconciliation


def test_the_medication_list_leads_to_a_new_reconciliation_for_the_discharge(world: World, login) -> None:  # type: ignore[no-untyped-def]
    metformin(world.alice, world.paula)
    stay = do_add_encounter(
        world.alice,
        world.paula,
        encounter_class="IMP",
        facility="St. Mary's",
        start=NOW - dt.timedelta(days=5),
        end=NOW - dt.timedelta(days=1),
    )
    client = login(world.alice)
    listing = _text(client.get(reverse("medications:list", kwargs={"patient_id": world.paula.pk})))
    assert f'href="{_start_url(world)}">Reconcile medications</a>' in listing

    start = _text(client.get(_start_url(world)))
    assert "St. Mary&#x27;s, discharged" in start and "Start the reconciliation" in start

    response = client.post(_start_url(world), {"encounter": stay.pk})
    reconciliation = Reconciliation.objects.get(patient=world.paula)
    assert response.status_code == 302 and response["Location"] == _page_url(reconciliation)
    assert reconciliation.encounter == stay
    # Back on the list and on the way in, the one in progress is where it leads.
    listing = _text(client.get(reverse("medications:list", kwargs={"patient_id": world.paula.pk})))
    assert "Reconciliation in progress" in listing
    assert client.get(_start_url(world))["Location"] == _page_url(reconciliation)


def test_the_page_puts_the_lists_side_by_side(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    actions.do_add_discharge_line(world.alice, reconciliation, name="Apixaban", dose="5 mg", rxnorm="1364445")
    page = _text(login(world.alice).get(_page_url(reconciliation)))
    metformin_row = page[page.index('<th scope="row">Metformin') :]
    metformin_row = metformin_row[: metformin_row.index("</tr>")]
    assert (
        """<td data-label="Patient's list">500 mg tablet</td> <td data-label="Discharge list">1000 mg tablet</td>"""
        in metformin_row
    )
    assert '<span class="badge tier4">Dose mismatch</span>' in metformin_row
    assert "RxNorm 1364445" in page and "not on it" in page
    assert "Add a medicine from the discharge list" in page and "Who took part" in page
    assert "2 lines are not decided yet." in page


def test_the_case_manager_works_the_lines_and_completes(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    client = login(world.alice)
    url = _page_url(reconciliation)

    response = client.post(
        reverse("medications:reconciliation_discharge", kwargs={"reconciliation_id": reconciliation.pk}),
        {"name": "Apixaban", "dose": "5 mg tablet", "rxnorm": ""},
    )
    assert response.status_code == 302 and response["Location"] == url + "#lines"
    apixaban = ReconciliationLine.objects.get(name="Apixaban")
    line = ReconciliationLine.objects.get(name="Metformin")

    response = client.post(
        reverse("medications:line_takes", kwargs={"line_id": line.pk}),
        {"takes": "yes", "barrier": "can't afford the bigger tablets"},
    )
    assert response.status_code == 302 and response["Location"] == url + f"#line-{line.pk}"
    line.refresh_from_db()
    assert (line.patient_takes, line.barrier) == (True, "can't afford the bigger tablets")

    for target, data in (
        (line, {"decision": "change-dose", "new_dose": "1000 mg tablet", "new_times": "8:00, 18:00"}),
        (apixaban, {"decision": "new", "new_times": "08:00, 20:00", "note": "From the cardiologist"}),
    ):
        response = client.post(reverse("medications:line_decide", kwargs={"line_id": target.pk}), data)
        assert response.status_code == 302
    response = client.post(
        reverse("medications:reconciliation_complete", kwargs={"reconciliation_id": reconciliation.pk}),
        {"participants": "the patient, her daughter"},
    )
    assert response.status_code == 302 and response["Location"] == url
    task = Task.objects.get(rule="medication-reconciliation")
    assert (task.title, task.owner) == ("Medication reconciliation: dose mismatch, Metformin", world.dana)
    assert sorted(
        Medication.objects.filter(patient=world.paula, end_date__isnull=True).values_list("name", "dose")
    ) == [("Apixaban", "5 mg tablet"), ("Metformin", "1000 mg tablet")]

    page = _text(client.get(url))
    assert "Completed" in page and "with the patient, her daughter." in page
    assert f"Task for {world.dana.display_name()}" in page
    assert "Complete the reconciliation" not in page and "Decide on" not in page  # nothing more to change


def test_errors_show_beside_their_fields(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    line = ReconciliationLine.objects.get(name="Metformin")
    client = login(world.alice)

    response = client.post(
        reverse("medications:reconciliation_discharge", kwargs={"reconciliation_id": reconciliation.pk}),
        {"name": "Apixaban", "dose": "", "rxnorm": "RX-1"},
    )
    page = _text(response)
    assert response.status_code == 400
    assert 'id="id_discharge_dose_error">Give the dose on the discharge list' in page
    assert 'id="id_discharge_rxnorm_error">An RxNorm code is a number' in page

    response = client.post(
        reverse("medications:line_decide", kwargs={"line_id": line.pk}),
        {"decision": "change-dose", "new_dose": "", "new_times": "8 am"},
    )
    page = _text(response)
    assert response.status_code == 400
    assert f'id="id_decide_{line.pk}_new_dose_error">Give the new dose.' in page
    assert '<details class="transition" open><summary>Decide</summary>' in page

    response = client.post(
        reverse("medications:reconciliation_complete", kwargs={"reconciliation_id": reconciliation.pk}),
        {"participants": ""},
    )
    page = _text(response)
    assert response.status_code == 400
    assert 'id="id_complete_participants_error"' in page
    response = client.post(
        reverse("medications:reconciliation_complete", kwargs={"reconciliation_id": reconciliation.pk}),
        {"participants": "the patient"},
    )
    assert response.status_code == 400
    assert "1 line is not decided yet: decide every line first." in _text(response)
    assert ReconciliationLine.objects.filter(name="Apixaban").count() == 0
    line.refresh_from_db()
    assert (line.decision, Reconciliation.objects.get().status) == ("", "in-progress")


def test_the_physician_reads_and_cannot_change(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    line = ReconciliationLine.objects.get(name="Metformin")
    client = login(world.dana)
    page = _text(client.get(_page_url(reconciliation)))
    assert "Dose mismatch" in page and "Decide on" not in page and "Who took part" not in page
    assert (
        client.post(
            reverse("medications:line_decide", kwargs={"line_id": line.pk}), {"decision": "stop"}
        ).status_code
        == 403
    )
    assert client.post(_start_url(world), {}).status_code == 302  # the one in progress, read only
    line.refresh_from_db()
    assert line.decision == ""


def test_strangers_find_nothing(world: World, login) -> None:  # type: ignore[no-untyped-def]
    reconciliation = _started(world)
    line = ReconciliationLine.objects.get(name="Metformin")
    client = login(world.charlie)
    assert client.get(_page_url(reconciliation)).status_code == 404
    assert client.get(_start_url(world)).status_code == 404
    assert (
        client.post(
            reverse("medications:line_decide", kwargs={"line_id": line.pk}), {"decision": "stop"}
        ).status_code
        == 404
    )


def test_the_page_has_a_query_budget_whatever_the_number_of_lines(  # type: ignore[no-untyped-def]
    world: World, login, django_assert_max_num_queries
) -> None:
    reconciliation = _started(world)
    client = login(world.alice)
    url = _page_url(reconciliation)
    client.get(url)  # sessions and caches warm
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert client.get(url).status_code == 200
    for name in ("Apixaban", "Furosemide", "Lisinopril", "Atorvastatin", "Insulin glargine", "Aspirin"):
        actions.do_add_discharge_line(world.alice, reconciliation, name=name, dose="1 tablet")
    with django_assert_max_num_queries(PAGE_BUDGET):
        assert client.get(url).status_code == 200
