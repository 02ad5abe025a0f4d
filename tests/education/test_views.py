"""The education screens through the test client: the patient's page with how they learn, what is assigned
and what suits them; assigning with errors beside the fields; recording a delivery with the print prompt shown
before saving; the library and previews; strangers get 404, read-only roles 403; the page's query budget."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.education import actions, library
from careconductor.education.models import Assignment, Delivery
from careconductor.patients.models import Patient

from ..personas import World

pytestmark = pytest.mark.django_db


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_education_page_shows_how_the_patient_learns_and_what_suits_them(
    world: World, login, video_learner: Patient, assignment: Assignment
) -> None:
    page = _text(login(world.alice).get(reverse("education:patient", args=[world.paula.pk])))
    assert "Video, Demonstration" in page
    assert "Reading concern" in page
    assert "Pésese todos los días" in page  # assigned, in her language
    suggestions = page.split('id="suggestions"')[1].split("</ol>")[0]
    titles = re.findall(r"/education/materials/([a-z0-9-]+)/", suggestions)
    assert titles[0] in {"heart-failure-daily-weights-video", "medications-pill-box", "teach-back-heart-failure",
                         "teach-back-low-blood-sugar", "diabetes-low-sugar-picture-guide"}  # fmt: skip
    assert titles[-1] == "diabetes-what-a1c-means"  # not plain, not her way of learning
    assert "Suits how they learn" in suggestions


def test_the_suggestions_filter_by_topic(world: World, login, video_learner: Patient) -> None:
    page = _text(
        login(world.alice).get(reverse("education:patient", args=[world.paula.pk]), {"topic": "depression"})
    )
    suggestions = page.split('id="suggestions"')[1].split("</ol>")[0]
    assert re.findall(r"/education/materials/([a-z0-9-]+)/", suggestions) == ["depression-you-are-not-alone"]


def test_assigning_from_the_page(world: World, login) -> None:
    client = login(world.alice)
    url = reverse("education:assign", args=[world.paula.pk])
    response = client.post(url, {"material": "depression-you-are-not-alone", "reason": "PHQ-9 of 14"})
    assert response.status_code == 302
    assert Assignment.objects.get(patient=world.paula).title == "Depresión: no está solo"


def test_assignment_errors_are_shown_beside_their_fields(world: World, login) -> None:
    client = login(world.alice)
    url = reverse("education:assign", args=[world.paula.pk])
    response = client.post(url, {"material": "", "due": "2000-01-01"})
    assert response.status_code == 400
    page = _text(response)
    assert 'id="id_material_error"' in page
    response = client.post(url, {"material": "medications-dose-list", "due": "2000-01-01"})
    assert response.status_code == 400
    assert re.search(r'id="id_due_error">The date to go through it by cannot be in the past', _text(response))
    assert not Assignment.objects.exists()


def test_the_print_prompt_is_shown_before_saving_and_staff_can_go_ahead(
    world: World, login, assignment: Assignment
) -> None:
    client = login(world.alice)
    url = reverse("education:deliver", args=[assignment.pk])
    page = _text(client.get(url))
    assert "If you hand over print alone: Paula prefers to learn by video" in page
    for label in ("How it was given", "Teach-back", "Note"):
        assert f"{label}" in page
    first = client.post(url, {"format_used": "print", "teach_back": "not-done", "note": "Left the sheet"})
    assert first.status_code == 400
    page = _text(first)
    assert 'id="print-prompt"' in page and "Print alone may not stick" in page
    assert 'id="id_acknowledge_print_prompt_error"' in page
    assert "I have read this and will go ahead with print alone" in page
    assert not Delivery.objects.exists()
    second = client.post(
        url,
        {
            "format_used": "print",
            "teach_back": "not-done",
            "note": "Left the sheet",
            "acknowledge_print_prompt": "on",
        },
    )
    assert second.status_code == 302
    assert Delivery.objects.get().print_prompt_acknowledged
    history = _text(client.get(reverse("education:patient", args=[world.paula.pk])))
    assert "print alone, after the prompt" in history


def test_a_delivery_with_teach_back_saves_at_once(world: World, login, assignment: Assignment) -> None:
    client = login(world.alice)
    response = client.post(
        reverse("education:deliver", args=[assignment.pk]),
        {"format_used": "print", "teach_back": "confirmed"},
    )
    assert response.status_code == 302
    missing = client.post(reverse("education:deliver", args=[assignment.pk]), {"format_used": "print"})
    assert missing.status_code == 400 and 'id="id_teach_back_error"' in _text(missing)


def test_withdrawing_from_the_page(world: World, login, assignment: Assignment) -> None:
    client = login(world.alice)
    client.post(reverse("education:withdraw", args=[assignment.pk]), {"reason": "Wrong topic"})
    assignment.refresh_from_db()
    assert assignment.status == "withdrawn"


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_strangers_get_404_and_change_nothing(
    world: World, login, assignment: Assignment, persona: str
) -> None:
    client = login(getattr(world, persona))
    for name, arg in (("patient", world.paula.pk), ("assign", world.paula.pk), ("deliver", assignment.pk),
                      ("withdraw", assignment.pk)):  # fmt: skip
        url = reverse(f"education:{name}", args=[arg])
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"material": "medications-dose-list", "format_used": "print",
                                                      "teach_back": "confirmed", "reason": "x"})  # fmt: skip
            assert response.status_code in (404, 405), (name, method, response.status_code)
            assert "Reyes" not in response.content.decode()
    assert Assignment.objects.count() == 1 and not Delivery.objects.exists()
    assert assignment.version == Assignment.objects.get().version


def test_a_read_only_role_sees_the_page_but_gets_403_on_changes(
    world: World, login, assignment: Assignment
) -> None:
    client = login(world.dana)
    page = client.get(reverse("education:patient", args=[world.paula.pk]))
    assert page.status_code == 200 and "Assign a material" not in _text(page)
    assert (
        client.post(
            reverse("education:assign", args=[world.paula.pk]), {"material": "medications-dose-list"}
        ).status_code
        == 403
    )
    assert client.get(reverse("education:deliver", args=[assignment.pk])).status_code == 403
    assert (
        client.post(
            reverse("education:deliver", args=[assignment.pk]),
            {"format_used": "print", "teach_back": "confirmed"},
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("education:withdraw", args=[assignment.pk]), {"reason": "x"}).status_code == 403
    )
    assert Assignment.objects.count() == 1 and not Delivery.objects.exists()


def test_the_library_and_a_preview_in_both_languages(world: World, login) -> None:
    client = login(world.bob)  # any member of staff may read the library: it holds no patient data
    page = _text(client.get(reverse("education:library")))
    assert all(m.title in page for m in library.all_materials().values())
    preview = _text(client.get(reverse("education:material", args=["diabetes-low-sugar-rule-of-15"])))
    assert "Low blood sugar: the rule of 15" in preview and "Azúcar baja: la regla del 15" in preview
    assert "<li>Wait 15 minutes.</li>" in preview
    video = _text(client.get(reverse("education:material", args=["heart-failure-daily-weights-video"])))
    assert "No recording set up yet" in video
    assert client.get(reverse("education:material", args=["nope"])).status_code == 404


def test_a_patient_login_cannot_open_the_staff_screens(world: World, login) -> None:
    from careconductor.accounts.actions import do_create_user
    from careconductor.accounts.choices import Role

    from ..personas import PASSWORD

    pat = do_create_user("pat", Role.PATIENT, world.riverside, PASSWORD)
    client = login(pat)
    assert client.get(reverse("education:library")).status_code == 403


def _page_queries(client, world: World) -> int:  # type: ignore[no-untyped-def]
    url = reverse("education:patient", args=[world.paula.pk])
    client.get(url)  # warm caches (session, library files)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_the_page_costs_the_same_queries_for_one_or_eight_assignments(
    world: World, login, video_learner
) -> None:
    slugs = list(library.all_materials())
    client = login(world.alice)
    first = actions.do_assign_material(world.alice, world.paula, slug=slugs[0])
    actions.do_record_delivery(world.alice, first, format_used="teach-back", teach_back="confirmed")
    one = _page_queries(client, world)
    for slug in slugs[1:8]:
        made = actions.do_assign_material(world.alice, world.paula, slug=slug)
        actions.do_record_delivery(world.alice, made, format_used="teach-back", teach_back="confirmed")
    assert Assignment.objects.count() == 8
    eight = _page_queries(client, world)
    assert eight == one
    assert one <= 30
