"""Real FHIR client libraries against a live server (no mocks, nothing from the internet): the SMART on FHIR
python client (fhirclient 4.4.0, strict R4 4.0.1 models) and fhirpy 2.3.1. Every raw JSON answer is validated
with the fhir.resources R4B models as well."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from fhirclient import client as smart_client
from fhirclient.models.bundle import Bundle as SmartBundle
from fhirclient.models.communication import Communication as SmartCommunication
from fhirclient.models.fhirelementfactory import FHIRElementFactory
from fhirclient.models.patient import Patient as SmartPatient
from fhirclient.models.task import Task as SmartTask
from fhirclient.server import FHIRNotFoundException
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from careconductor.accounts.actions import do_create_token
from careconductor.accounts.models import User
from careconductor.coordination.actions import ContactInput, do_create_task, do_log_contact
from careconductor.coordination.choices import ContactDirection, ContactMode, ContactParty
from careconductor.core import clock
from careconductor.fhir.registry import all_mappers
from careconductor.medications import actions as medications
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.choices import MRN_SYSTEM
from careconductor.patients.models import Patient
from careconductor.privacy import policy
from tests.access_world import take_in_prior_authorisation
from tests.personas import World

from .conftest import FHIR_JSON, register_patient, validate_fhir
from .test_api_access_walk import add_paula_records

pytestmark = pytest.mark.django_db(transaction=True)


def _secret(user: User, scopes: tuple[str, ...] = ("user/*.*",)) -> str:
    return do_create_token(user, name="real-client test", scopes=scopes)[1]


def _raw(base: str, secret: str, path: str) -> dict[str, Any]:
    """GET with plain requests; the answer must be FHIR JSON that the R4B models accept."""
    url = path if path.startswith("http") else base + path
    response = requests.get(
        url, headers={"Authorization": f"Bearer {secret}", "Accept": FHIR_JSON}, timeout=30
    )
    assert response.headers["Content-Type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    validate_fhir(body)
    assert response.status_code == 200, body
    return body


@pytest.fixture
def base(live_server) -> str:  # type: ignore[no-untyped-def]
    return live_server.url + "/fhir/r4/"


_OPEN_CLIENTS: list[smart_client.FHIRClient] = []


@pytest.fixture(autouse=True)
def _close_clients():  # type: ignore[no-untyped-def]
    """Close fhirclient's kept-alive connections before the live server stops: a request thread left open
    would otherwise try to close the test's shared SQLite connection from its own thread at exit."""
    yield
    while _OPEN_CLIENTS:
        _OPEN_CLIENTS.pop().server.session.close()


def _smart(base: str, secret: str) -> smart_client.FHIRClient:
    smart = smart_client.FHIRClient(settings={"app_id": "careconductor-test", "api_base": base})
    _OPEN_CLIENTS.append(smart)
    # fhirclient signs requests only through an OAuth2 flow it runs itself; with a token issued elsewhere the
    # documented way is a header on its requests session, which every call goes through.
    smart.server.session.headers["Authorization"] = f"Bearer {secret}"
    return smart


def _where(struct: dict[str, str], smart: smart_client.FHIRClient) -> list[SmartPatient]:
    """A Patient search through fhirclient, following its pages."""
    return list(SmartPatient.where(struct=struct).perform_resources_iter(smart.server))


# --- fhirclient (SMART on FHIR) ------------------------------------------------------------------------------


def test_fhirclient_reads_the_capability_statement(world: World, base: str) -> None:
    smart = _smart(base, _secret(world.alice))
    smart.prepare()  # fetches /metadata and parses it with the strict R4 CapabilityStatement model
    statement = smart.server.capabilityStatement
    assert statement.fhirVersion.startswith("4.0")
    served = {r.type for r in statement.rest[0].resource}
    assert {m.resource_type for m in all_mappers()} <= served
    validate_fhir(_raw(base, "", "metadata"))


def test_fhirclient_reads_and_searches_patients(world: World, base: str) -> None:
    secret = _secret(world.alice)
    smart = _smart(base, secret)
    smart.prepare()
    paula = world.paula

    read = SmartPatient.read(str(paula.pk), smart.server)
    assert read.id == str(paula.pk)
    assert read.name[0].family == "Reyes"
    assert read.name[0].given == ["Paula"]
    assert read.gender == "female"
    assert read.birthDate.date.isoformat() == "1956-03-14"
    assert (MRN_SYSTEM, paula.mrn) in {(i.system, i.value) for i in read.identifier}
    assert read.communication[0].language.coding[0].code == "es"
    assert read.meta.versionId == str(paula.version)
    validate_fhir(_raw(base, secret, f"Patient/{paula.pk}"))

    found = _where({"family": "Reyes"}, smart)
    assert [p.id for p in found] == [str(paula.pk)]
    assert isinstance(found[0], SmartPatient)
    assert found[0].name[0].family == "Reyes"
    assert _where({"family": "Nobody-By-This-Name"}, smart) == []
    by_date = _where({"birthdate": "1956-03-14", "gender": "female"}, smart)
    assert [p.id for p in by_date] == [str(paula.pk)]
    validate_fhir(_raw(base, secret, "Patient?family=Reyes"))

    # Paula is not bob's: the client sees a 404, the same answer as a record that does not exist.
    stranger = _smart(base, _secret(world.bob))
    stranger.prepare()
    with pytest.raises(FHIRNotFoundException):
        SmartPatient.read(str(paula.pk), stranger.server)
    assert _where({"family": "Reyes"}, stranger) == []


def test_fhirclient_follows_search_pages(world: World, base: str) -> None:
    for n in range(7):
        _register(world.alice, f"Pagerson{n}", f"Page{n}")
    smart = _smart(base, _secret(world.alice))
    smart.prepare()
    found = _where({"family": "Pagerson", "_count": "3"}, smart)
    assert sorted(p.name[0].family for p in found) == [f"Pagerson{n}" for n in range(7)]


def test_fhirclient_parses_every_resource_type_and_everything(world: World, base: str) -> None:
    """Every registered type's resources, as an admin sees them, parse with fhirclient's strict R4 models;
    so does Patient/$everything. A type with nothing to show is reported, not failed."""
    add_paula_records(world)
    # Her prior-authorisation request there is Part 2, which an administrator never sees: a normal one to parse.
    take_in_prior_authorisation(world, code="73721", description="MRI of the knee", diagnoses=("M25.561",))
    secret = _secret(world.adam)
    smart = _smart(base, secret)
    smart.prepare()
    empty = []
    for mapper in all_mappers():
        bundle = _raw(base, secret, f"{mapper.resource_type}?_count=50")
        SmartBundle(bundle)  # strict: raises FHIRValidationError on any element R4 does not know
        entries = [e["resource"] for e in bundle.get("entry", [])]
        if not entries:
            empty.append(mapper.resource_type)
        for resource in entries:
            parsed = FHIRElementFactory.instantiate(resource["resourceType"], resource)
            assert parsed.id == resource["id"]
            again = smart.server.request_json(f"{resource['resourceType']}/{resource['id']}")
            validate_fhir(again)
            assert FHIRElementFactory.instantiate(again["resourceType"], again).as_json() == parsed.as_json()
    # The audit trail is the privacy officer's: as she sees it.
    trail = _raw(base, _secret(world.pia), "AuditEvent?_count=50")
    assert trail.get("entry")
    SmartBundle(trail)
    for resource in (e["resource"] for e in trail["entry"]):
        assert FHIRElementFactory.instantiate("AuditEvent", resource).as_json()["id"] == resource["id"]
    everything = _raw(base, secret, f"Patient/{world.paula.pk}/$everything")
    parsed_everything = SmartBundle(everything)
    kinds = {e.resource.resource_type for e in parsed_everything.entry}
    assert "Patient" in kinds
    paulas = {
        m.resource_type
        for m in all_mappers()
        if m.patient_field is not None
        and m.in_record
        and m.resource_type != "Patient"
        and m.model._default_manager.filter(**{m.patient_field: world.paula.pk}).exists()
    }
    assert paulas <= kinds, paulas - kinds
    print("types with no rows to parse:", empty)


# --- fhirpy --------------------------------------------------------------------------------------------------


def _register(user: User, family: str, given: str) -> Patient:
    return register_patient(user, family, given)


def test_fhirpy_creates_updates_and_fetches_a_patient(world: World, base: str) -> None:
    secret = _secret(world.alice)
    client = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {secret}")
    patient = client.resource(
        "Patient",
        name=[{"use": "official", "family": "Okonkwo", "given": ["Chidi"]}],
        gender="male",
        birthDate="1951-07-30",
        identifier=[{"system": "http://hl7.org/fhir/sid/us-mbi", "value": "2AB3CD4EF56"}],
        telecom=[{"system": "phone", "value": "(503) 555-0111"}],
    )
    patient.save()
    assert patient.id and patient["meta"]["versionId"] == "1"
    validate_fhir(patient.serialize())
    row = Patient.objects.get(pk=int(patient.id))
    assert (row.family_name, row.given_name, row.phone) == ("Okonkwo", "Chidi", "(503) 555-0111")

    patient["telecom"] = [{"system": "phone", "value": "(503) 555-0222"}]
    patient.save()
    assert int(patient["meta"]["versionId"]) == 2
    validate_fhir(patient.serialize())
    patient["name"] = [{"use": "official", "family": "Okonkwo-Eze", "given": ["Chidi"]}]
    patient.save()
    assert int(patient["meta"]["versionId"]) == 3

    fetched = client.reference("Patient", patient.id).to_resource()
    assert fetched["name"][0]["family"] == "Okonkwo-Eze"
    assert fetched["telecom"] == [{"system": "phone", "value": "(503) 555-0222"}]
    assert fetched["meta"]["versionId"] == "3"
    searched = client.resources("Patient").search(family="Okonkwo").fetch()
    assert [p.id for p in searched] == [patient.id]
    raw = _raw(base, secret, f"Patient/{patient.id}/_history")
    assert [e["resource"]["meta"]["versionId"] for e in raw["entry"]] == ["3", "2", "1"]
    assert _raw(base, secret, f"Patient/{patient.id}/_history/1")["telecom"][0]["value"] == "(503) 555-0111"

    # Someone without a relationship to the new patient cannot fetch it.
    stranger = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {_secret(world.bob)}")
    with pytest.raises(ResourceNotFound):
        stranger.reference("Patient", patient.id).to_resource()


def test_fhirpy_pages_through_a_search_seeing_each_patient_once(world: World, base: str) -> None:
    secret = _secret(world.alice)
    client = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {secret}")
    for n in range(11):
        client.resource(
            "Patient",
            name=[{"use": "official", "family": f"Pagina{n:02d}", "given": ["Test"]}],
            gender="other",
            birthDate=f"19{40 + n}-05-06",
        ).save()
    # Someone else's patient, created meanwhile by charlie in another organisation: never in alice's pages.
    _register(world.charlie, "Pagina99", "Other")
    expected = {str(pk) for pk in policy.visible_patients(world.alice).values_list("pk", flat=True)}
    assert len(expected) == 12  # Paula and the eleven

    seen = [p.id for p in client.resources("Patient").limit(5).fetch_all()]
    assert len(seen) == len(set(seen)), "a patient came back twice"
    assert set(seen) == expected

    by_name = [
        p["name"][0]["family"]
        for p in client.resources("Patient").search(family="Pagina").sort("family").limit(5)
    ]
    assert by_name == [f"Pagina{n:02d}" for n in range(11)]

    # The same pages, read raw: three of them, each valid, linked by next.
    page = _raw(base, secret, "Patient?_count=5")
    pages = [page]
    while next_url := next((link["url"] for link in page["link"] if link["relation"] == "next"), None):
        page = _raw(base, secret, next_url)
        pages.append(page)
    assert len(pages) == 3
    assert sorted(e["resource"]["id"] for p in pages for e in p.get("entry", [])) == sorted(expected)
    assert all(p["total"] == 12 for p in pages)


# --- work items and the contact log, through both clients -------------------------------------------------------


def test_both_clients_read_tasks_by_owner_and_status_and_the_contact_log(world: World, base: str) -> None:
    """Task?owner=…&status=… (a person's tasks and a team's queue) and Communication?patient=… parse in both
    clients' models; the contact log's attempts and caregiver messages as well as reached calls."""
    alice, paula = world.alice, world.paula
    mine = do_create_task(
        alice,
        paula,
        owner=alice,
        title="Call about the glucose log",
        due_at=clock.now() + dt.timedelta(days=1),
    )
    queued = do_create_task(
        alice, paula, team=world.north, title="Mail the new plan", due_at=clock.now() + dt.timedelta(days=2)
    )

    def contact(**fields: Any) -> int:
        data = ContactInput(
            contact_at=clock.now() - dt.timedelta(hours=fields.pop("hours_ago")),
            mode=fields.pop("mode", ContactMode.PHONE),
            direction=fields.pop("direction", ContactDirection.OUTBOUND),
            **fields,
        )
        return do_log_contact(alice, paula, data, case=world.paula_case).pk

    reached = contact(
        hours_ago=1, reached=True, minutes=12, patient_words="Feeling steadier", next_steps="Fri"
    )
    missed = contact(hours_ago=26, reached=False)
    texted = contact(
        hours_ago=3,
        mode=ContactMode.TEXT,
        direction=ContactDirection.INBOUND,
        party=ContactParty.CAREGIVER,
        party_name="Marco Reyes",
        reached=True,
        minutes=3,
    )
    contacts = sorted(str(pk) for pk in (reached, missed, texted))
    secret = _secret(alice)
    owner_query = {"owner": f"Practitioner/{alice.pk}", "status": "requested"}
    queue_query = {"owner": f"Organization/team-{world.north.pk}", "status": "requested"}

    # fhirclient: strict R4 models.
    smart = _smart(base, secret)
    smart.prepare()
    by_owner = list(SmartTask.where(struct=owner_query).perform_resources_iter(smart.server))
    assert str(mine.pk) in [t.id for t in by_owner]
    assert all(t.owner.reference == f"Practitioner/{alice.pk}" and t.status == "requested" for t in by_owner)
    in_queue = list(SmartTask.where(struct=queue_query).perform_resources_iter(smart.server))
    assert [t.id for t in in_queue] == [str(queued.pk)]
    assert in_queue[0].owner.reference == f"Organization/team-{world.north.pk}"
    assert in_queue[0].restriction.period.end.datetime is not None
    log = list(
        SmartCommunication.where(struct={"patient": str(paula.pk)}).perform_resources_iter(smart.server)
    )
    assert sorted(c.id for c in log) == contacts
    by_id = {c.id: c for c in log}
    assert by_id[str(reached)].status == "completed"
    assert by_id[str(reached)].medium[0].coding[0].code == "PHONE"
    assert by_id[str(reached)].payload[0].contentString == "Patient's words: Feeling steadier"
    assert by_id[str(missed)].status == "not-done"
    assert by_id[str(missed)].statusReason.coding[0].code == "recipient-unavailable"
    assert by_id[str(texted)].sender.type == "RelatedPerson"
    assert by_id[str(texted)].sender.display == "Marco Reyes"
    read = SmartCommunication.read(str(reached), smart.server)
    assert read.about[0].reference == f"EpisodeOfCare/{world.paula_case.pk}"
    for path in (
        f"Task?owner=Practitioner/{alice.pk}&status=requested",
        f"Communication?patient={paula.pk}",
        f"Communication/{missed}",
    ):
        raw = _raw(base, secret, path)
        if raw["resourceType"] == "Bundle":
            SmartBundle(raw)

    # fhirpy.
    client = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {secret}")
    tasks = client.resources("Task").search(owner=f"Practitioner/{alice.pk}", status="requested").fetch_all()
    assert str(mine.pk) in [t.id for t in tasks]
    queue = client.resources("Task").search(owner=f"Organization/team-{world.north.pk}").fetch_all()
    assert [t.id for t in queue] == [str(queued.pk)]
    found = client.resources("Communication").search(patient=f"Patient/{paula.pk}").sort("-sent").fetch_all()
    assert [c.id for c in found] == [str(reached), str(texted), str(missed)]
    assert found[0]["recipient"][0]["reference"] == f"Patient/{paula.pk}"
    attempts = client.resources("Communication").search(patient=paula.pk, status="not-done").fetch_all()
    assert [c.id for c in attempts] == [str(missed)]
    assert client.reference("Communication", str(texted)).to_resource()["medium"][0]["coding"][0]["code"] == (
        "MSGWRIT"
    )

    # Someone without a relationship to Paula finds none of it.
    stranger = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {_secret(world.bob)}")
    assert stranger.resources("Communication").search(patient=paula.pk).fetch_all() == []
    assert stranger.resources("Task").search(owner=f"Organization/team-{world.north.pk}").fetch_all() == []
    with pytest.raises(ResourceNotFound):
        stranger.reference("Communication", str(reached)).to_resource()


def test_fhirpy_posts_a_discharge_order_and_reads_the_medication_types(world: World, base: str) -> None:
    """A hospital's discharge-list medicine posted with fhirpy joins the stay's reconciliation; the list, the
    order and the reconciliation read back through the client (each type's answer validated as R4B)."""
    paula, alice = world.paula, world.alice
    medications.do_add_medication(
        alice,
        paula,
        name="Metformin",
        dose="500 mg tablet",
        instructions="",
        times=["08:00"],
        start_date=clock.today() - dt.timedelta(days=30),
    )
    stay = do_add_encounter(
        alice,
        paula,
        encounter_class="IMP",
        facility="St. Mary's",
        start=clock.now() - dt.timedelta(days=4),
        end=clock.now() - dt.timedelta(days=1),
    )
    reconciliation = medications.do_start_reconciliation(alice, paula, encounter=stay)
    secret = _secret(alice)
    client = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {secret}")
    order = client.resource(
        "MedicationRequest",
        status="active",
        intent="order",
        category=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                        "code": "discharge",
                    }
                ]
            }
        ],
        medicationCodeableConcept={"text": "Metformin"},
        subject={"reference": f"Patient/{paula.pk}"},
        encounter={"reference": f"Encounter/{stay.pk}"},
        dosageInstruction=[{"text": "1000 mg tablet"}],
    )
    order.save()
    assert order.id and order["intent"] == "order"
    validate_fhir(order.serialize())
    statements = client.resources("MedicationStatement").search(patient=paula.pk, status="active").fetch_all()
    assert [s["medicationCodeableConcept"]["text"] for s in statements] == ["Metformin"]
    found = client.resources("MedicationRequest").search(encounter=f"Encounter/{stay.pk}").fetch_all()
    assert [r.id for r in found] == [order.id]
    [listed] = client.resources("List").search(patient=paula.pk, code="http://loinc.org|10160-0").fetch_all()
    assert listed.id == str(reconciliation.pk)
    [entry] = listed["entry"]
    assert entry["item"]["reference"] == f"MedicationStatement/{statements[0].id}"
    assert entry["extension"][0]["valueCoding"]["code"] == "dose-mismatch"
    validate_fhir(_raw(base, secret, f"List/{listed.id}"))
    stranger = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {_secret(world.bob)}")
    assert stranger.resources("List").search(patient=paula.pk).fetch_all() == []
    with pytest.raises(ResourceNotFound):
        stranger.reference("MedicationRequest", order.id).to_resource()
