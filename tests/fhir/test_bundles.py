"""Transaction and batch Bundles: urn:uuid references resolved, a transaction all or nothing."""

from __future__ import annotations

import pytest

from careconductor.patients.models import Condition, Patient

pytestmark = pytest.mark.django_db


def _patient(uuid: str, family: str, mbi: str) -> dict:
    return {
        "fullUrl": f"urn:uuid:{uuid}",
        "resource": {
            "resourceType": "Patient",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-mbi", "value": mbi}],
            "name": [{"use": "official", "family": family, "given": ["Ines"]}],
            "gender": "female",
            "birthDate": "1955-07-01",
        },
        "request": {"method": "POST", "url": "Patient"},
    }


def _condition(subject: str, code: str = "E11.9", display: str = "Type 2 diabetes mellitus") -> dict:
    return {
        "resource": {
            "resourceType": "Condition",
            "clinicalStatus": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
                ]
            },
            "code": {
                "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code, "display": display}]
            },
            "subject": {"reference": subject},
        },
        "request": {"method": "POST", "url": "Condition"},
    }


def _bundle(kind: str, entries: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def test_transaction_creates_all_and_resolves_references_in_any_order(world, api):
    uuid = "6c1f5b0e-8a55-4c7e-9d6a-0d3f2a1b9c01"
    # The Condition comes first in the Bundle but refers to the Patient created by the second entry.
    bundle = _bundle(
        "transaction", [_condition(f"urn:uuid:{uuid}"), _patient(uuid, "Castillo", "2EG4TE5MK70")]
    )
    reply = api(world.alice).post("", bundle)
    assert reply.status == 200, reply.body
    assert reply.body["type"] == "transaction-response"
    condition_entry, patient_entry = reply.body["entry"]
    assert patient_entry["response"]["status"] == "201 Created"
    patient = Patient.objects.get(family_name="Castillo")
    assert condition_entry["resource"]["subject"]["reference"] == f"Patient/{patient.pk}"
    assert Condition.objects.filter(patient=patient, icd10_code="E11.9").exists()


def test_transaction_with_one_invalid_entry_creates_nothing(world, api):
    patients, conditions = Patient.objects.count(), Condition.objects.count()
    uuid = "0b0e6f7a-1111-4c7e-9d6a-0d3f2a1b9c02"
    bundle = _bundle(
        "transaction",
        [
            _patient(uuid, "Moreau", "3EG4TE5MK71"),
            _condition(f"urn:uuid:{uuid}"),
            _condition(f"urn:uuid:{uuid}", code="NOT-A-CODE", display="nonsense"),
        ],
    )
    reply = api(world.alice).post("", bundle)
    assert reply.status == 422
    assert "Bundle.entry[2]" in reply.body["issue"][0]["diagnostics"]
    assert (Patient.objects.count(), Condition.objects.count()) == (patients, conditions)


def test_transaction_with_a_structurally_invalid_resource_creates_nothing(world, api):
    patients = Patient.objects.count()
    broken = _patient("0b0e6f7a-2222-4c7e-9d6a-0d3f2a1b9c03", "Novak", "4EG4TE5MK72")
    broken["resource"]["birthDate"] = "not a date"
    reply = api(world.alice).post(
        "",
        _bundle(
            "transaction", [_patient("0b0e6f7a-3333-4c7e-9d6a-0d3f2a1b9c04", "Okoro", "5EG4TE5MK73"), broken]
        ),
    )
    assert reply.status == 422
    assert any("Patient.birthDate" in p for p in reply.issue_paths())
    assert Patient.objects.count() == patients


def test_reference_to_an_unknown_placeholder_is_refused(world, api):
    conditions = Condition.objects.count()
    reply = api(world.alice).post(
        "", _bundle("transaction", [_condition("urn:uuid:00000000-0000-0000-0000-000000000000")])
    )
    assert reply.status in (400, 422)
    assert Condition.objects.count() == conditions


def test_a_transaction_with_a_repeated_full_url_is_refused_whole(world, api):
    """Two entries with one fullUrl: a reference to it could bind to either, so nothing is created."""
    uuid = "6c1f5b0e-8a55-4c7e-9d6a-0d3f2a1b9c02"
    patients = Patient.objects.count()
    bundle = _bundle(
        "transaction",
        [
            _patient(uuid, "Castillo", "2EG4TE5MK71"),
            _patient(uuid, "Moreno", "2EG4TE5MK72"),
            _condition(f"urn:uuid:{uuid}"),
        ],
    )
    reply = api(world.alice).post("", bundle)
    assert reply.status == 400 and "is also Bundle.entry[0]" in reply.body["issue"][0]["diagnostics"]
    assert reply.body["issue"][0]["expression"] == ["Bundle.entry[1].fullUrl"]
    assert Patient.objects.count() == patients


def test_batch_keeps_the_good_entries_and_reports_the_bad(world, api):
    bundle = _bundle(
        "batch",
        [
            _condition(f"Patient/{world.paula.pk}", code="I50.22", display="Chronic systolic heart failure"),
            _condition(f"Patient/{world.paula.pk}", code="BAD", display="x"),
            {"request": {"method": "GET", "url": f"Patient/{world.paula.pk}"}},
        ],
    )
    reply = api(world.alice).post("", bundle)
    assert reply.status == 200
    statuses = [e["response"]["status"] for e in reply.body["entry"]]
    assert statuses == ["201 Created", "422", "200 OK"]
    assert reply.body["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert world.paula.conditions.filter(icd10_code="I50.22").exists()


def test_a_bundle_cannot_reach_a_patient_the_caller_may_not_see(world, api):
    conditions = Condition.objects.count()
    reply = api(world.bob).post("", _bundle("transaction", [_condition(f"Patient/{world.paula.pk}")]))
    assert reply.status in (403, 404, 422)
    assert Condition.objects.count() == conditions


def test_only_transaction_and_batch_are_accepted(world, api):
    assert api(world.alice).post("", _bundle("collection", [])).status == 400
    assert api(world.alice).post("", {"resourceType": "Patient"}).status == 400


def test_a_batch_reads_a_version_and_refuses_a_delete(world, api):
    """A batch's GET of `Type/id/_history/n` is a vread; a DELETE entry is answered 405 beside the others."""
    paula = world.paula
    reply = api(world.alice).post(
        "",
        _bundle(
            "batch",
            [
                {"request": {"method": "GET", "url": f"Patient/{paula.pk}/_history/{paula.version}"}},
                {"request": {"method": "GET", "url": f"Patient/{paula.pk}/_history/999"}},
                {"request": {"method": "DELETE", "url": f"Patient/{paula.pk}"}},
            ],
        ),
    )
    assert reply.status == 200
    read, missing, deleted = reply.body["entry"]
    assert read["response"]["status"] == "200 OK"
    assert read["resource"]["meta"]["versionId"] == str(paula.version)
    assert missing["response"]["status"] == "404"
    assert deleted["response"]["status"] == "405"
    assert Patient.objects.filter(pk=paula.pk).exists()


def test_entries_that_refer_to_each_other_in_a_circle_are_refused(world, api):
    patients = Patient.objects.count()
    first, second = "0b0e6f7a-4444-4c7e-9d6a-0d3f2a1b9c05", "0b0e6f7a-5555-4c7e-9d6a-0d3f2a1b9c06"
    one, other = _patient(first, "Ruiz", "6EG4TE5MK74"), _patient(second, "Sato", "7EG4TE5MK75")
    one["resource"]["link"] = [{"other": {"reference": f"urn:uuid:{second}"}, "type": "seealso"}]
    other["resource"]["link"] = [{"other": {"reference": f"urn:uuid:{first}"}, "type": "seealso"}]
    reply = api(world.alice).post("", _bundle("transaction", [one, other]))
    assert reply.status == 400
    assert "circle" in reply.body["issue"][0]["diagnostics"]
    assert Patient.objects.count() == patients


def test_a_transaction_answers_every_entry_in_order_and_audits_them_in_one_chain_extension(world, api):
    """Entries listed before what they refer to; each answered with its resource as it stands at the end (one
    query per type renders them); the audit events of the whole Bundle extend the chain once."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from careconductor.privacy.models import AuditChainHead, AuditEvent

    client = api(world.alice)
    uuids = [f"0b0e6f7a-{n:04d}-4c7e-9d6a-0d3f2a1b9c10" for n in range(3)]
    families = ["Tanaka", "Umarov", "Varga"]
    entries = [_condition(f"urn:uuid:{u}", code="I10", display="Essential hypertension") for u in uuids]
    entries += [
        _patient(u, family, f"{n + 8}EG4TE5MK7{n}")
        for n, (u, family) in enumerate(zip(uuids, families, strict=True))
    ]
    for n, entry in enumerate(entries[3:]):
        entry["resource"]["birthDate"] = f"195{n}-03-0{n + 1}"
    events = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        reply = client.post("", _bundle("transaction", entries))
    assert reply.status == 200, reply.body
    answered = reply.body["entry"]
    assert [e["resource"]["resourceType"] for e in answered] == ["Condition"] * 3 + ["Patient"] * 3
    for n, family in enumerate(families):
        patient = Patient.objects.get(family_name=family)
        assert answered[n]["resource"]["subject"]["reference"] == f"Patient/{patient.pk}"
        assert answered[n + 3]["response"]["location"] == f"Patient/{patient.pk}"
        assert answered[n + 3]["resource"]["name"][0]["family"] == family
    head = AuditChainHead._meta.db_table
    # Once for the whole Bundle (the token's use was written when the test's client was made).
    assert sum(1 for q in queries.captured_queries if q["sql"].startswith("UPDATE") and head in q["sql"]) == 1
    created = AuditEvent.objects.order_by("seq")[events:]
    assert {e.object_type for e in created if e.action == "create"} >= {"Patient", "Condition"}
    call_command("audit", "verify")
