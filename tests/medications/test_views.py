"""The medication screen through the test client: the case manager lists, adds and stops medications and sees
adherence; errors show beside their fields; the care team reads only; people without a relationship find
nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from careconductor.medications import actions
from careconductor.medications.models import Medication

from ..personas import World
from .conftest import TODAY
from .helpers import metformin

pytestmark = pytest.mark.django_db


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def _list_url(world: World) -> str:
    return reverse("medications:list", kwargs={"patient_id": world.paula.pk})


ADD = {
    "name": "Lisinopril",
    "dose": "10 mg tablet",
    "instructions": "In the morning with water",
    "times": "8:00, 20:00",
    "start_date": TODAY.isoformat(),
}


def test_the_case_manager_sees_the_list_with_adherence(world: World, login) -> None:  # type: ignore[no-untyped-def]
    medication = metformin(world.alice, world.paula)
    actions.do_report_doses(
        world.alice,
        world.paula,
        day=TODAY,
        answers={(medication.pk, "08:00"): True, (medication.pk, "18:00"): True},
    )
    page = _text(login(world.alice).get(_list_url(world)))
    assert "Metformin" in page and "500 mg tablet" in page and "08:00, 18:00" in page
    assert "With breakfast and supper" in page
    assert '3% <span class="muted small">(2/60)</span>' in page  # per medication
    assert "<strong>3%</strong>" in page and "2 of 60 doses reported taken" in page  # overall
    assert "Add a medication" in page


def test_the_case_manager_adds_a_medication_written_loosely(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.alice)
    response = client.post(_list_url(world), ADD)
    assert response.status_code == 302 and response["Location"] == _list_url(world)
    medication = Medication.objects.get(patient=world.paula)
    assert (medication.name, medication.times, medication.added_by) == (
        "Lisinopril",
        ["08:00", "20:00"],
        world.alice,
    )
    assert "Lisinopril is on the list." in _text(client.get(_list_url(world)))


def test_bad_times_are_explained_beside_the_field(world: World, login) -> None:  # type: ignore[no-untyped-def]
    response = login(world.alice).post(_list_url(world), {**ADD, "times": "08:00, 25:00"})
    assert response.status_code == 400
    page = _text(response)
    assert re.search(r'<p class="error" id="id_times_error">Write each time as HH:MM[^<]*25:00', page)
    assert 'value="08:00, 25:00"' in page  # what was typed stays, to be corrected
    assert not Medication.objects.exists()


def test_a_missing_name_is_explained_beside_the_field(world: World, login) -> None:  # type: ignore[no-untyped-def]
    response = login(world.alice).post(_list_url(world), {**ADD, "name": ""})
    assert response.status_code == 400
    assert 'id="id_name_error"' in _text(response)


def test_the_case_manager_stops_a_medication_and_it_folds_away(world: World, login) -> None:  # type: ignore[no-untyped-def]
    medication = metformin(world.alice, world.paula)
    client = login(world.alice)
    stop = reverse("medications:stop", kwargs={"medication_id": medication.pk})
    response = client.post(
        stop, {"reason": "Stomach upset", "end_date": (TODAY - dt.timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.stopped_reason == "Stomach upset"
    page = _text(client.get(_list_url(world)))
    assert "No medications on the list." in page
    assert '<details id="stopped-medications"><summary>Stopped or ended (1)</summary>' in page
    assert "Stomach upset" in page


def test_stopping_without_a_reason_is_explained_beside_the_field(world: World, login) -> None:  # type: ignore[no-untyped-def]
    medication = metformin(world.alice, world.paula)
    stop = reverse("medications:stop", kwargs={"medication_id": medication.pk})
    response = login(world.alice).post(stop, {"reason": ""})
    assert response.status_code == 400
    assert f'id="id_stop_{medication.pk}_reason_error"' in _text(response)
    medication.refresh_from_db()
    assert not medication.stopped


def test_the_care_team_reads_the_list_but_may_not_change_it(world: World, login) -> None:  # type: ignore[no-untyped-def]
    medication = metformin(world.alice, world.paula)
    client = login(world.dana)
    page = client.get(_list_url(world))
    assert page.status_code == 200
    assert "Metformin" in _text(page) and "Add a medication" not in _text(page)
    assert client.post(_list_url(world), ADD).status_code == 403
    stop = reverse("medications:stop", kwargs={"medication_id": medication.pk})
    assert client.post(stop, {"reason": "No"}).status_code == 403
    assert Medication.objects.filter(patient=world.paula).count() == 1
    medication.refresh_from_db()
    assert not medication.stopped


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_people_without_a_relationship_find_nothing(world: World, login, persona: str) -> None:  # type: ignore[no-untyped-def]
    medication = metformin(world.alice, world.paula)
    client = login(getattr(world, persona))
    assert client.get(_list_url(world)).status_code == 404
    assert client.post(_list_url(world), ADD).status_code == 404
    stop = reverse("medications:stop", kwargs={"medication_id": medication.pk})
    assert client.post(stop, {"reason": "x"}).status_code == 404
    assert Medication.objects.count() == 1


def test_the_stop_page_only_takes_posts(world: World, login) -> None:  # type: ignore[no-untyped-def]
    medication = metformin(world.alice, world.paula)
    stop = reverse("medications:stop", kwargs={"medication_id": medication.pk})
    assert login(world.alice).get(stop).status_code == 405


def test_the_list_page_has_a_query_budget(world: World, login, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        metformin(world.alice, world.paula, times=[f"{8 + n:02d}:00"])
    client = login(world.alice)
    client.get(_list_url(world))  # warm the session
    with django_assert_max_num_queries(40) as captured:
        assert client.get(_list_url(world)).status_code == 200
    budget = len(captured)
    for n in range(5):
        metformin(world.alice, world.paula, times=[f"{14 + n:02d}:00"])
    with django_assert_max_num_queries(budget):
        assert client.get(_list_url(world)).status_code == 200
