"""The UM screens through the test client (issue 21): the worklist, taking a request in from the form (with the
refusals beside their fields), the request's page and its forms, the notices' PDFs, the top bar, and the chart's
card for the member's case manager. Query budgets are asserted."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from careconductor.core import clock
from careconductor.um import actions, rules
from careconductor.um.choices import Source
from careconductor.um.models import AuthRequest
from tests.personas import World
from tests.um.conftest import MEMBER_ID, UmPeople

pytestmark = pytest.mark.django_db

WORKLIST_QUERIES = 14  # constant in the rows: the requests, their lines, the stays to review, one audit batch
PAGE_QUERIES = 22


def form_data(**changes: str) -> dict[str, str]:
    start = (clock.today() + dt.timedelta(days=7)).isoformat()
    data = {
        "member_id": MEMBER_ID,
        "birth_date": "1956-03-14",
        "source": "phone",
        "urgency": "standard",
        "setting": "outpatient",
        "requesting_provider": "Dr Lee",
        "requesting_npi": "1234567893",
        "servicing_provider": "Riverside Imaging Center",
        "place_of_service": "22",
        "diagnoses": "M25.561",
        "clinical_notes": "Eight weeks of pain despite therapy.",
        "code_1": "73721",
        "description_1": "MRI knee",
        "units_1": "1",
        "start_1": start,
    }
    data.update(changes)
    return data


def make(world: World, code: str = "73721", urgency: rules.Urgency = rules.Urgency.STANDARD) -> AuthRequest:
    return actions.do_receive_request(
        world.uma,
        world.paula,
        actions.NewRequest(
            source=Source.PHONE,
            urgency=urgency,
            expedited_asked_by="provider" if urgency == rules.Urgency.EXPEDITED else "",
            requesting_provider="Dr Lee",
            servicing_provider="Riverside Imaging Center",
            place_of_service="22",
            lines=(actions.Line(code, 1, clock.today() + dt.timedelta(days=5), description="MRI knee"),),
            diagnoses=("M25.561",),
            clinical_notes="Pain.",
        ),
    )


def test_the_top_bar_offers_um_staff_their_worklist(world: World, um_people: UmPeople, login) -> None:
    page = login(world.uma).get(reverse("um:worklist")).content.decode()
    assert 'aria-current="page">Prior authorisations' in page
    assert (
        "Prior authorisations"
        not in login(world.alice).get(reverse("coordination:worklist")).content.decode()
    )


def test_a_case_manager_is_refused_the_um_pages(world: World, um_people: UmPeople, login) -> None:
    client = login(world.alice)
    assert client.get(reverse("um:worklist")).status_code == 403
    assert client.get(reverse("um:intake")).status_code == 403


def test_intake_from_the_form_with_a_fax(world: World, um_people: UmPeople, login) -> None:
    client = login(world.uma)
    fax = SimpleUploadedFile("fax.pdf", b"%PDF-1.4\n% a fax\n")
    response = client.post(reverse("um:intake"), {**form_data(), "documents": fax})
    request = AuthRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("um:request", args=[request.pk])
    assert request.attachments.get().name == "fax.pdf"
    document = client.get(reverse("um:document", args=[request.attachments.get().pk]))
    assert document.status_code == 200 and b"".join(document.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"member_id": "XX-0000"}, "member_id", "No member of this plan"),
        ({"birth_date": "1956-03-15"}, "member_id", "No member of this plan"),
        ({"requesting_npi": "12345"}, "requesting_npi", "10 digits"),
        ({"received_at": "2000-01-01T10:00"}, "received_at", "last 3 days"),
    ],
)
def test_intake_refusals_sit_beside_their_fields(
    changes: dict[str, str], field: str, words: str, world: World, um_people: UmPeople, login
) -> None:
    response = login(world.uma).post(reverse("um:intake"), form_data(**changes))
    assert response.status_code == 400
    assert words in str(response.context["form"].errors[field])
    assert not AuthRequest.objects.exists()


def test_a_duplicate_from_the_form_is_named_beside_the_service(
    world: World, um_people: UmPeople, login
) -> None:
    first = make(world)
    same_day = (clock.today() + dt.timedelta(days=5)).isoformat()
    response = login(world.uma).post(reverse("um:intake"), form_data(start_1=same_day))
    assert response.status_code == 400 and first.reference in str(response.context["form"].errors["code_1"])


def test_an_incomplete_form_request_is_pended(world: World, um_people: UmPeople, login) -> None:
    login(world.uma).post(reverse("um:intake"), form_data(clinical_notes="", servicing_provider=""))
    assert AuthRequest.objects.get().status == rules.Status.PENDED


def test_the_worklist_ranks_by_time_left_within_its_query_budget(
    world: World, um_people: UmPeople, login, django_assert_max_num_queries
) -> None:
    standard = make(world)
    expedited = make(world, code="E0431", urgency=rules.Urgency.EXPEDITED)
    client = login(world.uma)
    with django_assert_max_num_queries(WORKLIST_QUERIES):
        page = client.get(reverse("um:worklist")).content.decode()
    assert page.index(expedited.reference) < page.index(standard.reference)
    mine = client.get(reverse("um:worklist"), {"show": "mine"}).content.decode()
    assert standard.reference not in mine


def test_review_and_decide_through_the_page(
    world: World, um_people: UmPeople, login, django_assert_max_num_queries
) -> None:
    request = make(world)
    client = login(world.uma)
    with django_assert_max_num_queries(PAGE_QUERIES):
        page = client.get(reverse("um:request", args=[request.pk])).content.decode()
    assert "Take into review" in page and "Paula Reyes" in page
    assert client.post(reverse("um:take", args=[request.pk])).status_code == 302
    page = client.get(reverse("um:request", args=[request.pk])).content.decode()
    assert "example criteria" in page.lower() and "Six weeks" not in page  # the question's own words
    answers = {
        "criteria_set": "example-knee-mri",
        "six-weeks": "yes",
        "x-ray-first": "done",
        "result-changes-care": "yes",
    }
    assert client.post(reverse("um:criteria", args=[request.pk]), answers).status_code == 302
    refused = client.post(reverse("um:decide", args=[request.pk]), {"move": "deny"})
    assert refused.status_code == 400 and "Only a physician" in refused.content.decode()
    assert client.post(reverse("um:decide", args=[request.pk]), {"move": "approve"}).status_code == 302
    request.refresh_from_db()
    assert request.status == rules.Status.APPROVED
    page = client.get(reverse("um:request", args=[request.pk])).content.decode()
    assert request.auth_number in page and "Notices sent" in page


def test_a_denial_without_a_reason_is_refused_beside_the_reason(
    world: World, um_people: UmPeople, login
) -> None:
    request = make(world)
    actions.do_take_review(world.uma, request.pk)
    actions.do_send_to_physician(world.uma, request.pk, "criteria not met")
    response = login(world.mo).post(reverse("um:decide", args=[request.pk]), {"move": "deny"})
    assert response.status_code == 400
    assert "specific reason" in str(response.context["decision_form"].errors["reason"])


def test_the_member_notice_is_a_pdf_in_their_language(world: World, um_people: UmPeople, login) -> None:
    request = make(world)
    actions.do_take_review(world.uma, request.pk)
    actions.do_send_to_physician(world.uma, request.pk)
    actions.do_decide(world.mo, request.pk, actions.Decision(rules.Move.DENY, reason="site-of-care"))
    notice = request.notices.get(recipient="member")
    response = login(world.uma).get(reverse("um:notice_pdf", args=[notice.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Un lugar de atenci" in text and "apelar" in text


def test_the_chart_shows_the_case_manager_the_members_authorisations(
    world: World, um_people: UmPeople, login
) -> None:
    request = make(world)
    chart = login(world.alice).get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    assert "Prior authorisations" in chart and request.reference in chart and "MRI knee" in chart


def test_the_administrator_sets_the_um_rules_and_new_requests_follow_them(
    world: World, um_people: UmPeople, login
) -> None:
    assert login(world.uma).get(reverse("um:settings")).status_code == 403
    client = login(world.adam)
    page = client.get(reverse("um:settings")).content.decode()
    assert "MRI of the knee" in page and "shipped example" in page  # the criteria sets in use
    bad = client.post(
        reverse("um:settings"), {"plan_type": "qhp-exchange", "pend_rule": "clock-stops", "appeal_days": "0"}
    )
    assert bad.status_code == 400 and "appeal_days" in bad.context["form"].errors
    good = {"plan_type": "qhp-exchange", "pend_rule": "clock-stops", "appeal_days": "60"}
    assert client.post(reverse("um:settings"), good).status_code == 302
    request = make(world)
    assert request.plan_type == "qhp-exchange" and request.pend_rule == "clock-stops"
    assert request.due_at - request.received_at >= dt.timedelta(days=15) - dt.timedelta(
        hours=1
    )  # 45 CFR 147.136


def test_the_page_offers_an_appeal_only_within_the_plans_own_window(
    world: World, um_people: UmPeople, login
) -> None:
    actions.do_set_um_settings(
        world.adam, plan_type="medicare-advantage", pend_rule="clock-runs", appeal_days=10
    )
    request = make(world)
    actions.do_take_review(world.uma, request.pk)
    actions.do_send_to_physician(world.uma, request.pk)
    actions.do_decide(world.mo, request.pk, actions.Decision(rules.Move.DENY, reason="site-of-care"))
    client = login(world.uma)
    assert "File an appeal" in client.get(reverse("um:request", args=[request.pk])).content.decode()
    with time_machine.travel(clock.now() + dt.timedelta(days=12)):
        page = client.get(reverse("um:request", args=[request.pk])).content.decode()
    assert "File an appeal" not in page  # 12 days: past the plan's 10, within the default 65


def test_more_time_is_asked_for_on_the_page_with_refusals_beside_the_fields(
    world: World, um_people: UmPeople, login
) -> None:
    request = make(world)
    client = login(world.uma)
    assert 'id="extend-title"' in client.get(reverse("um:request", args=[request.pk])).content.decode()
    bad = client.post(
        reverse("um:extend", args=[request.pk]), {"days": "30", "asked_by": "member", "reason": ""}
    )
    assert bad.status_code == 400
    errors = bad.context["extend_form"].errors
    assert set(errors) == {"days", "reason"}
    good = {"days": "10", "asked_by": "member", "reason": "The member wants to send her therapist's notes."}
    assert client.post(reverse("um:extend", args=[request.pk]), good).status_code == 302
    page = client.get(reverse("um:request", args=[request.pk])).content.decode()
    assert "10 days on" in page and "therapist" in page and 'id="extend-title"' not in page  # once only
