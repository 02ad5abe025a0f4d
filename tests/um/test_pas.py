"""Prior authorisation through the FHIR API, Da Vinci PAS (issue 21, interop.md §3): the request Bundle read into
intake (a table of what is refused and why), `Claim/$submit` end to end through the FHIR tests' client (every returned
resource validated with fhir.resources), a resubmission that changes nothing, `$inquire` after a decision,
and who may call it."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from careconductor.core import clock
from careconductor.um import actions, pas, rules
from careconductor.um.models import AuthRequest
from tests.fhir.conftest import Api
from tests.personas import World
from tests.um.conftest import MEMBER_ID, UmPeople
from tests.um.pas_kit import pas_bundle


def day(n: int = 10) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


def test_a_pas_bundle_reads_into_what_intake_needs() -> None:
    request = pas.parse_request(pas_bundle(start=dt.date(2030, 1, 2), priority="stat", pdf=b"%PDF-1.4 x"))
    assert request.claim_identifier == "urn:oid:2.16.840.1.113883.3.1|CLM-1001"
    assert (request.member_id, request.birth_date) == (MEMBER_ID, dt.date(1956, 3, 14))
    assert request.urgency == rules.Urgency.EXPEDITED
    assert (request.requesting_provider, request.requesting_npi) == ("Dr Alan Lee", "1234567893")
    assert request.servicing_provider == "Riverside Imaging Center"
    (item,) = request.items
    assert (item.sequence, item.code, item.units, item.start, item.place) == (
        7,
        "73721",
        1,
        dt.date(2030, 1, 2),
        "22",
    )
    assert request.diagnoses == ("M25.561",) and "8 weeks" in request.notes
    assert request.documents[0].data.startswith(b"%PDF")


def _broken(change: str) -> Any:
    bundle = pas_bundle(start=dt.date(2030, 1, 2))
    claim = bundle["entry"][0]["resource"]
    if change == "type":
        bundle["type"] = "transaction"
    elif change == "claim-not-first":
        bundle["entry"].reverse()
    elif change == "use":
        claim["use"] = "claim"
    elif change == "identifier":
        claim["identifier"] = []
    elif change == "patient":
        claim["patient"] = {"reference": "Patient/elsewhere"}
    elif change == "sequence":
        claim["item"][0]["sequence"] = "seven"
    elif change == "date":
        claim["item"][0]["servicedDate"] = "next week"
    elif change == "units":
        claim["item"][0]["quantity"]["value"] = True
    elif change == "base64":
        claim["supportingInfo"].append({"sequence": 3, "valueAttachment": {"data": "not base64!"}})
    elif change == "nul":
        claim["supportingInfo"][0]["valueString"] = "a\x00b"
    elif change == "not-an-object":
        return ["Bundle"]
    return bundle


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ("type", "Bundle.type"),
        ("claim-not-first", "Bundle.entry[0].resource"),
        ("use", "Claim.use"),
        ("identifier", "Claim.identifier"),
        ("patient", "Claim.patient"),
        ("sequence", "Claim.item[0].sequence"),
        ("date", "Claim.item[0].servicedDate"),
        ("units", "Claim.item[0].quantity.value"),
        ("base64", "Claim.supportingInfo[1].valueAttachment.data"),
        ("nul", "Claim.supportingInfo[0].valueString"),
        ("not-an-object", "Bundle"),
    ],
)
def test_what_a_pas_request_may_not_be(change: str, where: str) -> None:
    with pytest.raises(pas.PasProblem) as problem:
        pas.parse_request(_broken(change))
    assert problem.value.where == where


@pytest.mark.django_db
def test_submit_takes_the_request_in_and_answers_pended(world: World, um_people: UmPeople, api) -> None:
    gateway: Api = api(world.uma, scopes=("user/Claim.cr",))
    reply = gateway.post("Claim/$submit", pas_bundle(start=day(), pdf=b"%PDF-1.4 notes"))
    assert reply.status == 201, reply.body
    response = reply.body["entry"][0]["resource"]
    assert response["resourceType"] == "ClaimResponse" and response["use"] == "preauthorization"
    assert response["request"]["identifier"]["value"] == "CLM-1001"
    (item,) = response["item"]
    assert item["itemSequence"] == 7
    review = item["adjudication"][0]["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]
    assert review["code"] == "A4"  # pended: under review
    taken = AuthRequest.objects.get()
    assert (
        taken.source == "fhir-pas"
        and taken.received_by == world.uma
        and taken.status == rules.Status.RECEIVED
    )
    assert taken.attachments.get().content_type == "application/pdf"
    again = gateway.post("Claim/$submit", pas_bundle(start=day()))
    assert again.status == 200 and AuthRequest.objects.count() == 1  # the same Claim: nothing new


@pytest.mark.django_db
def test_an_incomplete_claim_is_pended_and_a_decision_answers_by_inquiry(
    world: World, um_people: UmPeople, api
) -> None:
    gateway: Api = api(world.uma, scopes=("user/Claim.cr",))
    assert gateway.post("Claim/$submit", pas_bundle(start=day(), facility=False)).status == 201
    taken = AuthRequest.objects.get()
    assert taken.status == rules.Status.PENDED  # no servicing provider
    actions.do_resume(world.uma, taken.pk, "Servicing: Riverside Imaging Center")
    actions.do_take_review(um_people.ravi, taken.pk)
    actions.do_decide(um_people.ravi, taken.pk, actions.Decision(rules.Move.APPROVE))
    reply = gateway.post("Claim/$inquire", pas_bundle(start=day()))
    assert reply.status == 200, reply.body
    response = reply.body["entry"][0]["resource"]
    taken.refresh_from_db()
    assert response["preAuthRef"] == taken.auth_number and response["preAuthPeriod"]["start"]
    codes = response["item"][0]["adjudication"][0]["extension"][0]["extension"]
    assert (
        codes[0]["valueCodeableConcept"]["coding"][0]["code"] == "A1"
        and codes[1]["valueString"] == taken.auth_number
    )


@pytest.mark.django_db
def test_a_denial_answers_a3_with_the_coded_reason(world: World, um_people: UmPeople, api) -> None:
    gateway: Api = api(world.uma, scopes=("user/Claim.cr",))
    gateway.post("Claim/$submit", pas_bundle(start=day()))
    taken = AuthRequest.objects.get()
    actions.do_take_review(um_people.ravi, taken.pk)
    actions.do_decide(um_people.ravi, taken.pk, actions.Decision(rules.Move.DENY, reason="site-of-care"))
    response = gateway.post("Claim/$inquire", pas_bundle(start=day())).body["entry"][0]["resource"]
    review = response["item"][0]["adjudication"][0]["extension"][0]["extension"]
    assert review[0]["valueCodeableConcept"]["coding"][0]["code"] == "A3"
    assert review[1]["valueCodeableConcept"]["coding"][0]["code"] == "site-of-care"
    assert "preAuthRef" not in response


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"member_id": "XX-9"}, 422),  # no such member: nothing is kept
        ({"birth_date": "1956-03-15"}, 422),
    ],
)
def test_an_unknown_member_is_refused_and_nothing_kept(
    changes: dict[str, str], status: int, world: World, um_people: UmPeople, api
) -> None:
    reply = api(world.uma, scopes=("user/Claim.cr",)).post(
        "Claim/$submit", pas_bundle(start=day(), **changes)
    )
    assert reply.status == status and reply.body["resourceType"] == "OperationOutcome"
    assert not AuthRequest.objects.exists()


@pytest.mark.django_db
def test_only_the_plans_um_accounts_with_a_claim_scope_submit(world: World, um_people: UmPeople, api) -> None:
    assert api(world.alice).post("Claim/$submit", pas_bundle(start=day())).status == 403
    assert (
        api(world.uma, scopes=("user/Patient.rs",)).post("Claim/$submit", pas_bundle(start=day())).status
        == 403
    )
    broken = copy.deepcopy(pas_bundle(start=day()))
    broken["entry"][0]["resource"]["use"] = "claim"
    reply = api(world.uma, scopes=("user/Claim.cr",)).post("Claim/$submit", broken)
    assert reply.status == 400 and reply.body["issue"][0]["expression"] == ["Claim.use"]
    assert (
        api(world.uma, scopes=("user/Claim.cr",))
        .post("Claim/$inquire", pas_bundle(start=day(), claim_id="NOPE"))
        .status
        == 404
    )
    assert not AuthRequest.objects.exists()


@pytest.mark.django_db
def test_claim_responses_are_read_by_um_staff_and_the_members_case_staff(
    world: World, um_people: UmPeople, api
) -> None:
    api(world.uma, scopes=("user/Claim.cr",)).post("Claim/$submit", pas_bundle(start=day()))
    taken = AuthRequest.objects.get()
    for person in (world.uma, world.alice):
        reply = api(person).get(f"ClaimResponse/{taken.pk}")
        assert reply.status == 200 and reply.body["patient"]["reference"] == f"Patient/{world.paula.pk}"
    found = api(world.alice).search(f"ClaimResponse?patient={world.paula.pk}")
    assert [r["id"] for r in found] == [str(taken.pk)]
    assert [r["id"] for r in api(world.uma).search(f"ClaimResponse?identifier={taken.reference}")] == [
        str(taken.pk)
    ]
    assert [r["id"] for r in api(world.uma).search("ClaimResponse?identifier=CLM-1001")] == [str(taken.pk)]
    assert api(world.bob).get(f"ClaimResponse/{taken.pk}").status == 404  # no relationship with Paula
    assert api(world.charlie).get(f"ClaimResponse/{taken.pk}").status == 404  # another organisation
