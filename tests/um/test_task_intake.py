"""Prior authorisation for partners without PAS (issue 21): a Task asking the plan to approve a contained
ServiceRequest, read into intake (a table of what is refused and where), `POST Task` end to end through the FHIR
tests' client (every reply validated with fhir.resources), the Task following the review to its decision, the
partner's two updates (cancel; answer a request for information), and who may see and change it."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from careconductor.core import clock
from careconductor.um import actions, rules, task_intake
from careconductor.um.fhir_reading import PasProblem
from careconductor.um.models import AuthRequest
from tests.fhir.conftest import Api
from tests.personas import World
from tests.um.conftest import MEMBER_ID, UmPeople
from tests.um.pas_kit import prior_auth_task

GATEWAY_SCOPES = ("user/Task.cruds",)


def day(n: int = 10) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


def test_a_task_reads_into_what_intake_needs() -> None:
    asked = task_intake.parse_task(
        prior_auth_task(start=dt.date(2030, 1, 2), priority="stat", pdf=b"%PDF-1.4 x")
    )
    assert asked.claim_identifier == "https://clinic.example/prior-auth|REQ-77"
    assert (asked.member_id, asked.birth_date) == (MEMBER_ID, dt.date(1956, 3, 14))
    assert asked.urgency == rules.Urgency.EXPEDITED
    assert (asked.requesting_provider, asked.requesting_npi) == ("Dr Alan Lee", "1234567893")
    assert asked.servicing_provider == "Riverside Imaging Center"
    (item,) = asked.items
    assert (item.code, item.units, item.start, item.end, item.place, item.description) == (
        "73721",
        1,
        dt.date(2030, 1, 2),
        dt.date(2030, 2, 1),
        "22",
        "MRI knee",
    )
    assert asked.diagnoses == ("M25.561",) and "8 weeks" in asked.notes
    assert asked.documents[0].data.startswith(b"%PDF")
    routine = task_intake.parse_task(prior_auth_task(start=dt.date(2030, 1, 2), priority="urgent"))
    assert routine.urgency == rules.Urgency.STANDARD  # only stat or asap asks for an expedited decision


def _broken(change: str) -> Any:
    task = prior_auth_task(start=dt.date(2030, 1, 2), pdf=b"%PDF-1.4 x")
    service = task["contained"][2]
    if change == "code":
        task["code"]["coding"][0]["code"] = "fulfill"
    elif change == "focus":
        task["focus"] = {"reference": "#elsewhere"}
    elif change == "focus-not-a-service":
        task["focus"] = {"reference": "#doctor"}
    elif change == "identifier":
        task["identifier"] = [{"system": "https://clinic.example/prior-auth", "value": " "}]
    elif change == "member":
        service["subject"] = {"reference": "Patient/12"}
        task["for"] = {"reference": "Patient/12"}
    elif change == "service-code":
        del service["code"]
    elif change == "units":
        service["quantityQuantity"]["value"] = True
    elif change == "date":
        service["occurrencePeriod"]["start"] = "next week"
    elif change == "base64":
        task["input"][0]["valueAttachment"]["data"] = "not base64!"
    elif change == "nul":
        service["note"][0]["text"] = "a\x00b"
    elif change == "not-an-object":
        return ["Task"]
    return task


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("code", "Task.code"),
        ("focus", "Task.focus"),
        ("focus-not-a-service", "Task.focus"),
        ("identifier", "Task.identifier"),
        ("member", "ServiceRequest.subject"),
        ("service-code", "ServiceRequest.code"),
        ("units", "ServiceRequest.quantityQuantity.value"),
        ("date", "ServiceRequest.occurrencePeriod.start"),
        ("base64", "Task.input[0].valueAttachment.data"),
        ("nul", "ServiceRequest.note[0].text"),
        ("not-an-object", "Task"),
    ],
)
def test_what_a_prior_authorisation_task_may_not_be(change: str, where: str) -> None:
    with pytest.raises(PasProblem) as problem:
        task_intake.parse_task(_broken(change))
    assert problem.value.where == where


@pytest.mark.django_db
def test_post_task_takes_the_request_in_and_serves_it_as_a_task(
    world: World, um_people: UmPeople, api
) -> None:
    gateway: Api = api(world.uma, scopes=GATEWAY_SCOPES)
    reply = gateway.post("Task", prior_auth_task(start=day(), pdf=b"%PDF-1.4 notes"))
    assert reply.status == 201, reply.body
    taken = AuthRequest.objects.get()
    assert reply.body["id"] == f"prior-auth-{taken.pk}" and reply.headers["Location"].endswith(
        f"Task/prior-auth-{taken.pk}/_history/{taken.version}"
    )
    assert (taken.source, taken.received_by, taken.status) == ("fhir-task", world.uma, rules.Status.RECEIVED)
    assert taken.external_id == "https://clinic.example/prior-auth|REQ-77"
    assert [(line.code, line.units) for line in taken.lines.all()] == [("73721", 1)]
    assert taken.attachments.get().content_type == "application/pdf"
    task = reply.body
    assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == ("received", "received")
    assert (
        task["focus"] == {"reference": "#service-1"}
        and task["for"]["reference"] == f"Patient/{world.paula.pk}"
    )
    (service,) = task["contained"]
    assert (
        service["code"]["coding"][0]["code"] == "73721"
        and service["reasonCode"][0]["coding"][0]["code"] == "M25.561"
    )
    assert {"system": "https://clinic.example/prior-auth", "value": "REQ-77"} in task["identifier"]
    # The same Task again: refused, naming the one kept; with If-None-Exist it answers that one.
    again = gateway.post("Task", prior_auth_task(start=day()))
    assert again.status == 409 and f"prior-auth-{taken.pk}" in again.body["issue"][0]["diagnostics"]
    found = gateway.post(
        "Task",
        prior_auth_task(start=day()),
        HTTP_IF_NONE_EXIST="identifier=https://clinic.example/prior-auth|REQ-77",
    )
    assert found.status == 200 and found.body["id"] == f"prior-auth-{taken.pk}"
    assert AuthRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_pended_task_is_answered_by_the_partner_then_decided(
    world: World, um_people: UmPeople, api
) -> None:
    gateway: Api = api(world.uma, scopes=GATEWAY_SCOPES)
    created = gateway.post("Task", prior_auth_task(start=day(), performer=False))
    task_id = created.body["id"]
    taken = AuthRequest.objects.get()
    assert taken.status == rules.Status.PENDED  # no servicing provider
    held = gateway.get(f"Task/{task_id}").body
    assert held["status"] == "on-hold" and "Waiting for information" in held["statusReason"]["text"]
    moved = gateway.put(f"Task/{task_id}", {**held, "status": "completed"})
    assert moved.status == 422 and moved.issue_paths() == ["Task.status"]
    answer = copy.deepcopy(held)
    answer["input"] += [
        {"type": {"text": "Information requested"}, "valueString": "Servicing: Riverside Imaging"},
        {"type": {"text": "Referral letter"}, "valueAttachment": {"contentType": "application/pdf", "data": "JVBERi0xLjQgbGV0dGVy"}},
    ]  # fmt: skip
    answered = gateway.put(f"Task/{task_id}", answer)
    assert answered.status == 200, answered.body
    taken.refresh_from_db()
    assert taken.status != rules.Status.PENDED and "Riverside Imaging" in taken.clinical_notes
    assert taken.attachments.get().content_type == "application/pdf"  # the letter kept with the request
    assert answered.body["status"] == "received"
    actions.do_take_review(um_people.ravi, taken.pk)
    actions.do_decide(um_people.ravi, taken.pk, actions.Decision(rules.Move.APPROVE))
    done = gateway.get(f"Task/{task_id}").body
    taken.refresh_from_db()
    outputs = {o["type"]["text"]: o for o in done["output"]}
    assert done["status"] == "completed" and done["businessStatus"]["coding"][0]["code"] == "approved"
    assert outputs["Authorization number"]["valueString"] == taken.auth_number
    assert outputs["Valid"]["valuePeriod"]["start"] == taken.valid_from.isoformat()
    late = copy.deepcopy(done)
    late["input"].append({"type": {"text": "More"}, "valueString": "Another note"})
    assert gateway.put(f"Task/{task_id}", late).issue_paths() == ["Task.input"]  # not waiting for anything


@pytest.mark.django_db
def test_a_denied_task_carries_the_coded_reason_and_a_partner_can_cancel(
    world: World, um_people: UmPeople, api
) -> None:
    gateway: Api = api(world.uma, scopes=GATEWAY_SCOPES)
    first = gateway.post("Task", prior_auth_task(start=day())).body["id"]
    taken = AuthRequest.objects.get()
    actions.do_take_review(um_people.ravi, taken.pk)
    actions.do_decide(um_people.ravi, taken.pk, actions.Decision(rules.Move.DENY, reason="site-of-care"))
    denied = gateway.get(f"Task/{first}").body
    assert denied["status"] == "completed" and denied["statusReason"]["coding"][0]["code"] == "site-of-care"
    assert "Authorization number" not in {o["type"]["text"] for o in denied["output"]}
    second = gateway.post("Task", prior_auth_task(task_id="REQ-78", start=day(40), code="73722")).body
    cancelled = gateway.put(
        f"Task/{second['id']}",
        {**second, "status": "cancelled", "statusReason": {"text": "Patient moved away"}},
    )
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    withdrawn = AuthRequest.objects.get(external_id__endswith="|REQ-78")
    assert withdrawn.status == rules.Status.WITHDRAWN
    assert withdrawn.steps.filter(note="Patient moved away").exists()


@pytest.mark.django_db
def test_who_may_see_take_in_and_change_prior_authorisation_tasks(
    world: World, um_people: UmPeople, api
) -> None:
    gateway: Api = api(world.uma, scopes=GATEWAY_SCOPES)
    task = gateway.post("Task", prior_auth_task(start=day())).body
    key = task["id"]
    assert [t["id"] for t in gateway.search("Task?identifier=REQ-77")] == [key]
    assert [
        t["id"] for t in gateway.search("Task?code=http://hl7.org/fhir/CodeSystem/task-code|approve")
    ] == [key]
    assert [t["id"] for t in gateway.search("Task?status=received&priority=routine")] == [key]
    assert gateway.search("Task?business-status=denied") == []
    alice = api(world.alice)  # Paula's case manager sees her authorisations, and changes nothing
    assert alice.get(f"Task/{key}").status == 200
    assert key in [t["id"] for t in alice.search(f"Task?patient={world.paula.pk}")]
    assert alice.put(f"Task/{key}", {**task, "status": "cancelled"}).status == 403
    assert alice.post("Task", prior_auth_task(task_id="REQ-79", start=day(60), code="73723")).status == 403
    assert api(world.bob).get(f"Task/{key}").status == 404  # no relationship with Paula
    assert api(world.charlie).get(f"Task/{key}").status == 404  # another organisation
    assert (
        api(world.uma, scopes=("user/Patient.rs",)).post("Task", prior_auth_task(start=day())).status == 403
    )
    unknown = gateway.post("Task", prior_auth_task(task_id="REQ-80", member_id="XX-9", start=day()))
    assert unknown.status == 422 and unknown.issue_paths() == ["Task.for"]
    broken = gateway.post("Task", _broken("code"))
    assert broken.status == 422 and broken.issue_paths() == ["Task.code"]
    assert AuthRequest.objects.count() == 1
