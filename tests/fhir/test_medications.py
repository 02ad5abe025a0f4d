"""Medications through the FHIR API (issue 19): the patient's own list as MedicationStatement (read, search,
create through do_add_medication), discharge lists as MedicationRequest (read, search, create of discharge-list
orders only, through do_record_discharge_medication) and reconciliations as List (read, search). Bad input is
refused naming the element, and keeps nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from careconductor.fhir import versions
from careconductor.fhir.registry import mapper_for
from careconductor.medications import actions
from careconductor.medications.choices import OrderSource
from careconductor.medications.models import DischargeMedication, Medication, Reconciliation
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.models import Encounter
from careconductor.privacy.models import AuditEvent
from tests.personas import World

from .conftest import Api, register_patient

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
TODAY = NOW.date()
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
DECISION = "https://careconductor.org/fhir/CodeSystem/reconciliation-decision"
EXT = "https://careconductor.org/fhir/StructureDefinition/"


@pytest.fixture(autouse=True, scope="module")
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _metformin(world: World, **more: Any) -> Medication:
    fields: dict[str, Any] = {
        "name": "Metformin",
        "dose": "500 mg tablet",
        "instructions": "With breakfast and supper",
        "times": ["08:00", "18:00"],
        "start_date": TODAY - dt.timedelta(days=60),
        **more,
    }
    return actions.do_add_medication(world.alice, world.paula, **fields)


def _stay(world: World, days_ago: int = 1) -> Encounter:
    return do_add_encounter(
        world.alice,
        world.paula,
        encounter_class="IMP",
        facility="St. Mary's",
        start=NOW - dt.timedelta(days=days_ago + 3),
        end=NOW - dt.timedelta(days=days_ago),
    )


def _keep(resource_type: str, key: int) -> None:
    """Keep the resource's version as it stands, as its commit would (the test's transaction never commits)."""
    mapper = mapper_for(resource_type)
    assert mapper is not None
    versions.keep(mapper, str(key))


def _ids(client: Api, query: str) -> list[str]:
    return sorted(r["id"] for r in client.search(query))


# --- MedicationStatement ---------------------------------------------------------------------------------------
def test_a_medication_reads_as_a_statement(world, api) -> None:
    row = _metformin(world)
    reply = api(world.alice).get(f"MedicationStatement/{row.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["status"] == "active"
    assert body["medicationCodeableConcept"] == {"text": "Metformin"}
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["effectivePeriod"] == {"start": (TODAY - dt.timedelta(days=60)).isoformat()}
    assert body["dosage"] == [
        {
            "text": "500 mg tablet",
            "patientInstruction": "With breakfast and supper",
            "timing": {"repeat": {"timeOfDay": ["08:00:00", "18:00:00"]}},
        }
    ]
    assert body["informationSource"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="MedicationStatement", object_id=str(row.pk)
    ).exists()


def test_status_stopped_completed_active_and_the_search(world, api) -> None:
    current = _metformin(world)
    as_needed = _metformin(world, name="Paracetamol", dose="500 mg", times=[])
    aspirin = _metformin(world, name="Aspirin")
    _keep("MedicationStatement", aspirin.pk)
    stopped = actions.do_stop_medication(world.alice, aspirin, reason="Bleeding risk")
    finished = _metformin(
        world,
        name="Amoxicillin",
        start_date=TODAY - dt.timedelta(days=20),
        end_date=TODAY - dt.timedelta(days=13),
    )
    alice = api(world.alice)
    body = alice.get(f"MedicationStatement/{stopped.pk}").body
    assert body["status"] == "stopped"
    assert body["statusReason"] == [{"text": "Bleeding risk"}]
    assert body["meta"]["versionId"] == "2"
    assert alice.get(f"MedicationStatement/{stopped.pk}/_history/1").body["status"] == "active"
    assert alice.get(f"MedicationStatement/{finished.pk}").body["status"] == "completed"
    assert alice.get(f"MedicationStatement/{as_needed.pk}").body["dosage"][0]["asNeededBoolean"] is True

    paula = world.paula.pk
    every = sorted(str(m.pk) for m in (current, as_needed, stopped, finished))
    assert _ids(alice, f"MedicationStatement?patient={paula}") == every
    assert _ids(alice, f"MedicationStatement?subject=Patient/{paula}") == every
    assert _ids(alice, "MedicationStatement?status=active") == sorted([str(current.pk), str(as_needed.pk)])
    assert _ids(alice, "MedicationStatement?status=stopped") == [str(stopped.pk)]
    assert _ids(alice, "MedicationStatement?status=completed") == [str(finished.pk)]
    assert _ids(alice, "MedicationStatement?status:not=active") == sorted([str(stopped.pk), str(finished.pk)])
    assert _ids(alice, "MedicationStatement?status=unknown") == []
    # effective: the days it runs overlap the date searched.
    before = (TODAY - dt.timedelta(days=15)).isoformat()
    assert str(finished.pk) in _ids(alice, f"MedicationStatement?effective={before}")
    assert str(finished.pk) not in _ids(alice, f"MedicationStatement?effective={TODAY.isoformat()}")
    assert _ids(alice, f"MedicationStatement?effective=sa{TODAY.isoformat()}") == []
    assert _ids(alice, f"MedicationStatement?effective=eb{TODAY.isoformat()}") == [str(finished.pk)]
    assert _ids(alice, f"MedicationStatement?_id={current.pk}") == [str(current.pk)]
    assert len(_ids(alice, f"MedicationStatement?_lastUpdated={TODAY.isoformat()}")) == 4


def _statement(patient_id: int, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "197361", "display": "Amlodipine 5 MG Oral Tablet"}]
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectivePeriod": {"start": "2026-11-18"},
        "dosage": [
            {
                "text": "5 mg tablet",
                "patientInstruction": "In the morning",
                "timing": {"repeat": {"timeOfDay": ["08:00:00"]}},
            }
        ],
        **more,
    }


def test_create_adds_to_the_patients_list(world, api) -> None:
    alice = api(world.alice)
    reply = alice.post("MedicationStatement", _statement(world.paula.pk))
    assert reply.status == 201, reply.body
    row = Medication.objects.get(patient=world.paula)
    assert (row.name, row.dose, row.instructions, row.times, row.start_date, row.added_by) == (
        "Amlodipine 5 MG Oral Tablet",
        "5 mg tablet",
        "In the morning",
        ["08:00"],
        dt.date(2026, 11, 18),
        world.alice,
    )
    assert reply.body["id"] == str(row.pk)
    assert reply.body["status"] == "active"
    # The RxNorm code is kept and read back beside the name.
    assert row.rxnorm == "197361"
    assert reply.body["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "197361"}],
        "text": "Amlodipine 5 MG Oral Tablet",
    }
    assert AuditEvent.objects.filter(
        user=world.alice, action="create", patient_id=world.paula.pk, object_type="Medication"
    ).exists()
    # text wins over a coding's display; no start is today.
    again = _statement(world.paula.pk, medicationCodeableConcept={"text": "Lisinopril"})
    del again["effectivePeriod"]
    reply = alice.post("MedicationStatement", again)
    assert reply.status == 201, reply.body
    assert Medication.objects.get(pk=int(reply.body["id"])).start_date == TODAY


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"status": "stopped"}, "MedicationStatement.status"),
        ({"medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "197361"}]}}, None),
        ({"dosage": [{"patientInstruction": "daily"}]}, "MedicationStatement.dosage.text"),
        (
            {"medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "amlo", "display": "X"}]}},
            "MedicationStatement.medicationCodeableConcept.coding",
        ),
        (
            {"dosage": [{"text": "5 mg", "timing": {"repeat": {"timeOfDay": ["08:00:30"]}}}]},
            "MedicationStatement.dosage.timing.repeat.timeOfDay",
        ),
        (
            {"dosage": [{"text": "5 mg", "timing": {"repeat": {"timeOfDay": ["08:00:00", "08:00:00"]}}}]},
            "MedicationStatement.dosage.timing.repeat.timeOfDay",
        ),
        ({"effectivePeriod": {"start": "2026-11-18", "end": "2026-11-01"}}, None),
    ],
)
def test_bad_input_is_refused_naming_the_element_and_keeps_nothing(world, api, change, path) -> None:
    reply = api(world.alice).post("MedicationStatement", _statement(world.paula.pk, **change))
    assert reply.status in (400, 422), reply.body
    assert reply.body["resourceType"] == "OperationOutcome"
    if path is not None:
        assert reply.status == 422
        assert path in reply.issue_paths(), reply.body
    else:
        assert reply.issue_paths(), reply.body
    assert not Medication.objects.filter(patient=world.paula).exists()


def test_a_malformed_statement_is_refused_by_the_validation(world, api) -> None:
    reply = api(world.alice).post("MedicationStatement", _statement(world.paula.pk, dosage="5 mg daily"))
    assert reply.status == 422, reply.body
    assert reply.issue_paths() == ["MedicationStatement.dosage"]
    assert not Medication.objects.exists()


def test_a_stranger_can_neither_add_nor_read(world, api) -> None:
    row = _metformin(world)
    bob = api(world.bob)
    assert bob.post("MedicationStatement", _statement(world.paula.pk)).status == 403
    assert bob.get(f"MedicationStatement/{row.pk}").status == 404
    assert bob.search(f"MedicationStatement?patient={world.paula.pk}") == []
    assert Medication.objects.count() == 1


# --- MedicationRequest -----------------------------------------------------------------------------------------
def _request(patient_id: int, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"system": CATEGORY, "code": "discharge"}]}],
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "860975", "display": "Metformin 1000 MG"}],
            "text": "Metformin",
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "dosageInstruction": [{"text": "1000 mg tablet", "patientInstruction": "Twice a day with food"}],
        **more,
    }


def test_a_discharge_list_medicine_reads_as_a_discharge_order(world, api) -> None:
    stay = _stay(world)
    order = actions.do_record_discharge_medication(
        world.alice,
        world.paula,
        encounter=stay,
        name="Metformin",
        dose="1000 mg tablet",
        rxnorm="860975",
        instructions="With food",
        source=OrderSource.HL7,
    )
    stop = actions.do_record_discharge_medication(
        world.alice, world.paula, name="Aspirin", dose="", says_stop=True, source=OrderSource.TYPED
    )
    alice = api(world.alice)
    body = alice.get(f"MedicationRequest/{order.pk}").body
    assert (body["status"], body["intent"]) == ("active", "order")
    assert body["category"][0]["coding"][0] == {
        "system": CATEGORY,
        "code": "discharge",
        "display": "Discharge",
    }
    assert body["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "860975", "display": "Metformin"}],
        "text": "Metformin",
    }
    assert body["dosageInstruction"] == [{"text": "1000 mg tablet", "patientInstruction": "With food"}]
    assert body["encounter"] == {"reference": f"Encounter/{stay.pk}"}
    assert body["authoredOn"] == order.recorded_at.isoformat()
    assert body["extension"][0]["valueCoding"]["code"] == "hl7"
    assert "doNotPerform" not in body
    stopped = alice.get(f"MedicationRequest/{stop.pk}").body
    assert stopped["doNotPerform"] is True
    assert stopped["medicationCodeableConcept"] == {"text": "Aspirin"}
    assert "dosageInstruction" not in stopped and "encounter" not in stopped

    paula = world.paula.pk
    both = sorted([str(order.pk), str(stop.pk)])
    assert _ids(alice, f"MedicationRequest?patient={paula}") == both
    assert _ids(alice, f"MedicationRequest?subject=Patient/{paula}") == both
    assert _ids(alice, f"MedicationRequest?encounter=Encounter/{stay.pk}") == [str(order.pk)]
    assert _ids(alice, "MedicationRequest?intent=order") == both
    assert _ids(alice, "MedicationRequest?intent=plan") == []
    assert _ids(alice, f"MedicationRequest?category={CATEGORY}|discharge") == both
    assert _ids(alice, "MedicationRequest?category=outpatient") == []
    assert _ids(alice, f"MedicationRequest?_lastUpdated=ge{TODAY.isoformat()}") == both
    assert _ids(alice, f"MedicationRequest?authoredon=lt{TODAY.isoformat()}") == []
    included = alice.get(f"MedicationRequest?encounter={stay.pk}&_include=MedicationRequest:encounter").body
    assert {e["resource"]["resourceType"] for e in included["entry"]} == {"MedicationRequest", "Encounter"}


def test_create_records_a_discharge_order_that_joins_the_reconciliation(world, api) -> None:
    _metformin(world)
    stay = _stay(world)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=stay)
    alice = api(world.alice)
    reply = alice.post(
        "MedicationRequest", _request(world.paula.pk, encounter={"reference": f"Encounter/{stay.pk}"})
    )
    assert reply.status == 201, reply.body
    order = DischargeMedication.objects.get(patient=world.paula)
    assert (order.name, order.rxnorm, order.dose, order.instructions, order.source, order.encounter) == (
        "Metformin",
        "860975",
        "1000 mg tablet",
        "Twice a day with food",
        "fhir",
        stay,
    )
    assert order.reference.startswith("FHIR API: test (") and order.reference.endswith("of alice")
    assert reply.body["id"] == str(order.pk)
    # It joined the metformin line of the reconciliation in progress: a dose mismatch to decide.
    body = alice.get(f"List/{reconciliation.pk}").body
    [entry] = body["entry"]
    assert entry["item"]["reference"].startswith("MedicationStatement/")
    assert entry["extension"][0]["valueCoding"]["code"] == "dose-mismatch"
    # Told to stop a medicine: doNotPerform, no dose needed.
    stop = _request(world.paula.pk, doNotPerform=True, medicationCodeableConcept={"text": "Aspirin"})
    del stop["dosageInstruction"]
    reply = alice.post("MedicationRequest", stop)
    assert reply.status == 201, reply.body
    assert reply.body["doNotPerform"] is True
    assert DischargeMedication.objects.get(name="Aspirin").says_stop


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"intent": "plan"}, "MedicationRequest.intent", "Only discharge-list orders"),
        (
            {"category": [{"coding": [{"system": CATEGORY, "code": "outpatient"}]}]},
            "MedicationRequest.category",
            "Only discharge-list orders",
        ),
        ({"category": []}, None, ""),
        ({"status": "draft"}, "MedicationRequest.status", "active"),
        (
            {"dosageInstruction": [{"patientInstruction": "daily"}]},
            "MedicationRequest.dosageInstruction.text",
            "",
        ),
        (
            {"medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "abc", "display": "X"}]}},
            "MedicationRequest.medicationCodeableConcept.coding",
            "RxNorm",
        ),
        ({"encounter": {"reference": "Encounter/999999"}}, "MedicationRequest.encounter", "same patient"),
    ],
)
def test_a_request_that_is_not_a_good_discharge_order_is_refused(world, api, change, path, words) -> None:
    reply = api(world.alice).post("MedicationRequest", _request(world.paula.pk, **change))
    assert reply.status in (400, 422), reply.body
    if path is not None:
        assert reply.status == 422
        assert path in reply.issue_paths(), reply.body
        assert words in str(reply.body)
    assert not DischargeMedication.objects.exists()


def test_the_encounter_must_be_the_patients_own_and_visible(world, api) -> None:
    other = register_patient(world.alice, "Haddad", "Omar")
    theirs = do_add_encounter(
        world.alice,
        other,
        encounter_class="IMP",
        facility="St. Mary's",
        start=NOW - dt.timedelta(days=5),
        end=NOW - dt.timedelta(days=1),
    )
    alice = api(world.alice)
    reply = alice.post(
        "MedicationRequest", _request(world.paula.pk, encounter={"reference": f"Encounter/{theirs.pk}"})
    )
    assert reply.status == 422, reply.body
    assert "MedicationRequest.encounter" in reply.issue_paths()
    # Bob sees neither Paula nor the stay: he may not add to her list.
    stay = _stay(world)
    reply = api(world.bob).post(
        "MedicationRequest", _request(world.paula.pk, encounter={"reference": f"Encounter/{stay.pk}"})
    )
    assert reply.status == 403, reply.body
    assert not DischargeMedication.objects.exists()


# --- List (reconciliation) -------------------------------------------------------------------------------------
def _reconciled(world: World) -> tuple[Reconciliation, Encounter]:
    """Metformin and aspirin on Paula's list; the discharge list doubles metformin, stops aspirin and adds
    furosemide; decided change dose, stop and new, and completed with her daughter."""
    _metformin(world)
    _metformin(world, name="Aspirin", dose="81 mg", times=["08:00"])
    stay = _stay(world)
    for name, dose, stop in (
        ("Metformin", "1000 mg tablet", False),
        ("Aspirin", "", True),
        ("Furosemide", "40 mg", False),
    ):
        actions.do_record_discharge_medication(
            world.alice,
            world.paula,
            encounter=stay,
            name=name,
            dose=dose,
            says_stop=stop,
            source=OrderSource.FHIR,
        )
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=stay)
    return reconciliation, stay


def _decide_all(world: World, reconciliation: Reconciliation) -> Reconciliation:
    lines = {line.name: line for line in reconciliation.lines.all()}
    actions.do_decide_line(world.alice, lines["Metformin"], decision="change-dose", new_dose="1000 mg tablet")
    actions.do_decide_line(world.alice, lines["Aspirin"], decision="stop")
    actions.do_decide_line(world.alice, lines["Furosemide"], decision="new", new_times=["08:00"])
    return actions.do_complete_reconciliation(
        world.alice, reconciliation, participants="the patient, her daughter"
    )


def test_a_reconciliation_in_progress_reads_as_a_list_of_changes(world, api) -> None:
    reconciliation, stay = _reconciled(world)
    body = api(world.alice).get(f"List/{reconciliation.pk}").body
    assert (body["status"], body["mode"]) == ("current", "changes")
    assert body["extension"] == [
        {
            "url": EXT + "reconciliation-status",
            "valueCoding": {
                "system": "https://careconductor.org/fhir/CodeSystem/reconciliation-status",
                "code": "in-progress",
                "display": "In progress",
            },
        }
    ]
    assert body["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "10160-0",
        "display": "History of Medication use Narrative",
    }
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["encounter"] == {"reference": f"Encounter/{stay.pk}"}
    assert body["date"] == reconciliation.started_at.isoformat()
    assert body["source"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert "note" not in body
    entries = {e["item"].get("display"): e for e in body["entry"]}
    assert set(entries) == {"Metformin", "Aspirin", "Furosemide"}
    assert all(e["flag"] == {"text": "Not decided yet"} for e in entries.values())
    assert entries["Metformin"]["item"]["reference"].startswith("MedicationStatement/")
    furosemide = DischargeMedication.objects.get(name="Furosemide")
    assert entries["Furosemide"]["item"]["reference"] == f"MedicationRequest/{furosemide.pk}"
    assert entries["Metformin"]["extension"][0]["valueCoding"]["code"] == "dose-mismatch"
    assert "extension" not in entries["Furosemide"]
    assert not any(e.get("deleted") for e in entries.values())


def test_a_completed_reconciliation_says_what_was_decided(world, api) -> None:
    reconciliation, _ = _reconciled(world)
    _keep("List", reconciliation.pk)
    alice = api(world.alice)
    first = alice.get(f"List/{reconciliation.pk}").body["meta"]["versionId"]
    reconciliation = _decide_all(world, reconciliation)
    body = alice.get(f"List/{reconciliation.pk}").body
    assert int(body["meta"]["versionId"]) > int(first)
    assert body["extension"][0]["valueCoding"]["code"] == "completed"
    assert (body["status"], body["mode"]) == ("current", "changes")
    assert body["date"] == reconciliation.completed_at.isoformat()
    assert body["note"] == [{"text": "Who took part: the patient, her daughter"}]
    entries = {e["item"]["display"]: e for e in body["entry"]}
    assert entries["Metformin"]["flag"] == {
        "coding": [{"system": DECISION, "code": "change-dose", "display": "Change dose"}],
        "text": "Change dose to 1000 mg tablet",
    }
    assert entries["Aspirin"]["flag"]["coding"][0]["code"] == "stop"
    assert entries["Aspirin"]["deleted"] is True
    assert entries["Furosemide"]["flag"]["coding"][0]["code"] == "new"
    assert "deleted" not in entries["Metformin"]
    # Every version is kept: the first as it was while in progress.
    history = alice.get(f"List/{reconciliation.pk}/_history").body
    assert history["entry"][0]["resource"]["meta"]["versionId"] == body["meta"]["versionId"]
    assert alice.get(f"List/{reconciliation.pk}/_history/{first}").body["entry"][0]["flag"] == {
        "text": "Not decided yet"
    }


def test_list_search_and_no_writes(world, api) -> None:
    reconciliation, stay = _reconciled(world)
    alice = api(world.alice)
    paula = world.paula.pk
    rid = [str(reconciliation.pk)]
    assert _ids(alice, f"List?patient={paula}") == rid
    assert _ids(alice, f"List?subject=Patient/{paula}") == rid
    assert _ids(alice, f"List?encounter={stay.pk}") == rid
    assert _ids(alice, "List?status=current") == rid
    assert _ids(alice, "List?status=retired") == []
    assert _ids(alice, "List?code=http://loinc.org|10160-0") == rid
    assert _ids(alice, "List?code=medications") == rid
    assert _ids(alice, "List?code=http://loinc.org|11450-4") == []
    assert _ids(alice, f"List?date={TODAY.isoformat()}") == rid
    assert _ids(alice, f"List?date=lt{TODAY.isoformat()}") == []
    assert _ids(alice, f"List?_lastUpdated=ge{TODAY.isoformat()}&_sort=-date") == rid
    assert alice.post("List", {"resourceType": "List", "status": "current", "mode": "changes"}).status == 405
    assert api(world.bob).search(f"List?patient={paula}") == []
    assert api(world.bob).get(f"List/{reconciliation.pk}").status == 404


# --- in a transaction Bundle -----------------------------------------------------------------------------------
def test_a_transaction_posts_the_stay_and_its_discharge_list_all_or_nothing(world, api) -> None:
    uuid = "urn:uuid:0b6f3c1e-27d4-4a0e-9a61-5c2f1d7e8a90"
    stay = {
        "fullUrl": uuid,
        "resource": {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "subject": {"reference": f"Patient/{world.paula.pk}"},
            "period": {"start": "2026-11-15T08:00:00Z", "end": "2026-11-19T12:00:00Z"},
        },
        "request": {"method": "POST", "url": "Encounter"},
    }

    def order(**change: Any) -> dict[str, Any]:
        resource = _request(world.paula.pk, encounter={"reference": uuid}, **change)
        return {"resource": resource, "request": {"method": "POST", "url": "MedicationRequest"}}

    alice = api(world.alice)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [order(), stay]}
    reply = alice.post("", {**bundle, "entry": [*bundle["entry"], order(intent="plan")]})
    assert reply.status == 422, reply.body
    assert not DischargeMedication.objects.exists()
    assert not Encounter.objects.filter(patient=world.paula).exists()
    reply = alice.post("", bundle)
    assert reply.status == 200, reply.body
    made = DischargeMedication.objects.get()
    assert made.encounter == Encounter.objects.get(patient=world.paula)
    assert reply.body["entry"][0]["resource"]["encounter"] == {"reference": f"Encounter/{made.encounter_id}"}
