"""The privacy walk for the FHIR API: for every registered resource type, people without a relationship to
Paula read nothing of hers (read, vread, _history, search, _include, _revinclude, $everything, bundles), while
her case manager sees all of it; SMART scopes narrow what a token may do; a patient's own token sees that
patient only and changes nothing.

The walk is generic over `registry.all_mappers()`: a type registered later is walked without a change here.
Types listed in EXPECTED but not registered yet are skipped, not failed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.assessments import catalogue
from careconductor.assessments.actions import do_compute_risk_scores
from careconductor.assessments.models import Questionnaire
from careconductor.coordination.actions import ContactInput, do_log_contact
from careconductor.coordination.choices import ContactDirection, ContactMode
from careconductor.core import clock
from careconductor.fhir.registry import HISTORY, Mapper, all_mappers, mapper_for
from careconductor.patients.actions import (
    do_add_condition,
    do_add_contact,
    do_add_coverage,
    do_add_encounter,
)
from careconductor.patients.allergies import AllergyDetails, do_record_allergy
from careconductor.patients.choices import ContactRelationship, CoverageKind, EncounterClass
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType
from careconductor.privacy.models import AuditEvent
from careconductor.transitions.actions import do_create_feed, do_receive
from tests.assessments.helpers import phq9_answers, record
from tests.personas import PASSWORD, World
from tests.shared import ModuleDb
from tests.transitions.messages import adt

from .conftest import Api, every_page, register_patient
from .paula_records import (
    add_paula_appointment,
    add_paula_care_plan,
    add_paula_medications,
    add_paula_portal_records,
    add_paula_prior_authorisation,
    add_paula_referral,
)

pytestmark = pytest.mark.django_db

EXPECTED = [
    "Appointment",
    "AuditEvent",
    "CarePlan",
    "CareTeam",
    "Communication",
    "Condition",
    "Consent",
    "Coverage",
    "Encounter",
    "EpisodeOfCare",
    "Flag",
    "Goal",
    "List",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Organization",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RiskAssessment",
    "ServiceRequest",
    "Subscription",
    "Task",
]
# The types that hold patient data (Organization, Practitioner and PractitionerRole do not), as part of the record:
# the audit trail (AuditEvent) is about the record, read by the privacy officer, and walked on its own below.
TYPES = sorted(m.resource_type for m in all_mappers() if m.patient_field is not None and m.in_record)
STRANGERS = ["bob", "charlie", "uma", "pia"]


def ensure_instruments() -> None:
    """The shipped instruments, loaded after migrate; a transactional test's flush removes them for the next."""
    if not Questionnaire.objects.filter(slug="phq-9").exists():
        catalogue.sync()


def add_paula_records(world: World) -> None:
    """One of each kind of record about Paula, made by her case manager through the actions."""
    alice, paula = world.alice, world.paula
    do_add_condition(
        alice, paula, icd10_code="E11.9", display="Type 2 diabetes mellitus", onset_date=dt.date(2015, 4, 1)
    )
    do_add_coverage(
        alice,
        paula,
        kind=CoverageKind.MEDICARE,
        payer="Medicare",
        plan_name="Part A and B",
        member_id="1EG4TE5MK73",
        start_date=dt.date(2021, 3, 1),
    )
    stay = do_add_encounter(
        alice,
        paula,
        encounter_class=EncounterClass.INPATIENT,
        facility="Riverside General",
        start=dt.datetime(2026, 9, 1, 8, 30, tzinfo=dt.UTC),
        end=dt.datetime(2026, 9, 4, 12, 0, tzinfo=dt.UTC),
        reason="Hyperglycaemia",
    )
    do_add_contact(
        alice,
        paula,
        name="Marco Reyes",
        relationship=ContactRelationship.CHILD,
        phone="555-0101",
        is_caregiver=True,
        is_emergency_contact=True,
    )
    do_record_allergy(
        alice, paula, AllergyDetails(substance="Penicillin", reaction="Hives", severity="moderate")
    )
    do_record_consent(
        alice,
        paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=dt.date(2026, 11, 1),
    )
    # A PHQ-9 with item 9 above 0: a QuestionnaireResponse, its Observation, a Flag and urgent Tasks.
    ensure_instruments()
    record(alice, paula, "phq-9", phq9_answers(12, item9=1))
    do_compute_risk_scores(alice, paula)
    add_paula_care_plan(world)
    # A call that reached her (a Communication).
    do_log_contact(
        alice,
        paula,
        ContactInput(
            contact_at=clock.now() - dt.timedelta(hours=1),
            mode=ContactMode.PHONE,
            direction=ContactDirection.OUTBOUND,
            reached=True,
            minutes=15,
            patient_words="Sleeping better this week",
        ),
        case=world.paula_case,
    )
    add_paula_portal_records(world)
    add_paula_medications(world, stay)
    add_paula_appointment(world)
    add_paula_referral(world)
    add_paula_prior_authorisation(world)
    # A stay the hospital's ADT feed told us of (an Encounter with a Provenance).
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    do_receive(adt("A01", "WALK1"))


def register(user: User, given: str, family: str) -> Patient:
    return register_patient(user, family, given, born=dt.date(1962, 6, 2))


def rows_of(mapper: Mapper, patient: Patient) -> list[Any]:
    """The mapper's rows about the patient, read straight from the database (not through the policy)."""
    assert mapper.patient_field is not None
    rows: list[Any] = []
    for part in mapper.parts():  # a type served from several models (Observation, Communication) walks each
        assert part.patient_field is not None
        found = part.rows().filter(**{part.patient_field: patient.pk}).order_by("pk")
        if part.resource_type == "Observation" and part.model.__name__ == "Reading":
            # A diastolic reading is a component of its systolic panel, not a resource of its own.
            found = found.exclude(measure="bp-diastolic")
        rows += list(found)
    return rows


def patient_mapper_or_skip(resource_type: str) -> Mapper:
    mapper = mapper_for(resource_type)
    if mapper is None:
        pytest.skip(f"{resource_type} is not registered yet")
    return mapper


def refs_of(patient: Patient) -> set[tuple[str, str]]:
    """(type, id) of every resource of the patient's, over every registered type."""
    found = set()
    for mapper in all_mappers():
        if mapper.patient_field is not None and mapper.in_record:
            found |= {(mapper.resource_type, mapper.resource_id(row)) for row in rows_of(mapper, patient)}
    return found


def sensitive_refs(patient: Patient) -> set[tuple[str, str]]:
    """(type, id) of the patient's resources labelled sensitive (Part 2, psychotherapy)."""
    return {
        (mapper.resource_type, mapper.resource_id(row))
        for mapper in all_mappers()
        if mapper.patient_field is not None and mapper.in_record
        for row in rows_of(mapper, patient)
        if getattr(row, "sensitivity", "")
    }


def entries(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (e["resource"]["resourceType"], e["resource"].get("id", ""))
        for e in body.get("entry", [])
        if "resource" in e
    }


def _add_walk_records(world: World) -> None:
    add_paula_records(world)
    # Each stranger has a patient of their own, so their searches and _revincludes return something.
    register(world.bob, "Bobby", "Tables")
    register(world.charlie, "Carla", "Lake")


@pytest.fixture(scope="module")
def _walk_records(module_db: ModuleDb, shared_world: World) -> None:
    """Paula's records, built once for the module (tests/shared.py); each test rolls back its own changes."""
    module_db.build(_add_walk_records, shared_world)


@pytest.fixture
def paula_world(_walk_records: None, world: World) -> World:
    return world


@pytest.fixture
def people(paula_world: World) -> dict[str, User]:
    return {name: getattr(paula_world, name) for name in [*STRANGERS, "alice"]}


def _no_successful_reads(user: User, patient: Patient) -> None:
    assert not AuditEvent.objects.filter(user=user, patient=patient).exclude(action="refused").exists(), (
        f"{user.username} left a successful read or change of {patient} in the audit trail"
    )


@pytest.mark.parametrize("persona", STRANGERS)
@pytest.mark.parametrize("resource_type", TYPES)
def test_strangers_read_nothing_of_paula(
    resource_type: str, persona: str, paula_world: World, people: dict[str, User], api
) -> None:
    mapper = patient_mapper_or_skip(resource_type)
    paula = paula_world.paula
    rows = rows_of(mapper, paula)
    if not rows:
        pytest.skip(f"the walk builds no {resource_type} for Paula: add one to add_paula_records")
    user = people[persona]
    stranger: Api = api(user)
    paulas = refs_of(paula)
    before = sorted(paulas), paula.version

    versioned = HISTORY in mapper.interactions
    for row in rows:
        rid = mapper.resource_id(row)
        for path in (
            f"{resource_type}/{rid}",
            f"{resource_type}/{rid}/_history",
            f"{resource_type}/{rid}/_history/1",
            f"{resource_type}/{rid}/_history/{mapper.version_id(row)}",
        ):
            reply = stranger.get(path)
            # A type without kept versions answers 405 to _history before it looks for the row: that tells nothing.
            expected = 404 if versioned or path.count("/") == 1 else 405
            assert reply.status == expected, f"{persona} GET {path}: {reply.status}"
            assert reply.body["resourceType"] == "OperationOutcome"
        assert not entries(stranger.get(f"{resource_type}?_id={rid}").body) & paulas
        reply = stranger.client.post(
            f"/fhir/r4/{resource_type}/_search",
            f"_id={rid}",
            content_type="application/x-www-form-urlencoded",
            **stranger.auth,
        )
        assert reply.status_code == 200 and not entries(json.loads(reply.content)) & paulas

    searches = [f"{resource_type}?_count=200"]
    if resource_type == "Patient":
        searches += [f"Patient?_id={paula.pk}", "Patient?family=Reyes", f"Patient?identifier={paula.mrn}"]
    for name, param in mapper.params.items():
        if param.type == "reference" and param.target == "Patient":
            searches += [f"{resource_type}?{name}={paula.pk}", f"{resource_type}?{name}=Patient/{paula.pk}"]
    for name, param in mapper.params.items():
        if param.type == "reference" and param.path:
            searches.append(f"{resource_type}?_include={resource_type}:{name}")
    for source in all_mappers():
        for name, param in source.params.items():
            if param.type == "reference" and param.path and param.target == resource_type:
                searches.append(f"{resource_type}?_revinclude={source.resource_type}:{name}")
    for path in searches:
        reply = stranger.get(path)
        assert reply.status == 200, f"{persona} GET {path}: {reply.status} {reply.body}"
        assert not entries(reply.body) & paulas, (
            f"{persona} GET {path} returned Paula's {entries(reply.body) & paulas}"
        )
        assert "Reyes" not in json.dumps(reply.body.get("entry", [])), f"{persona} GET {path} shows her name"
        if f"={paula.pk}" in path or "/" in path.split("=")[-1] or "Reyes" in path or paula.mrn in path:
            assert not reply.body.get("entry"), f"{persona} GET {path} found something"

    reply = stranger.get(f"Patient/{paula.pk}/$everything")
    assert reply.status == 404
    # A batch reading Paula's records answers 404 for each; a transaction fails as a whole.
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": f"{resource_type}/{mapper.resource_id(row)}"}}
            for row in rows
        ]
        + [{"request": {"method": "GET", "url": f"{resource_type}?_id={mapper.resource_id(rows[0])}"}}],
    }
    reply = stranger.post("", batch)
    assert reply.status == 200
    statuses = [e["response"]["status"] for e in reply.body["entry"]]
    assert statuses[:-1] == ["404"] * len(rows)
    assert not entries(reply.body["entry"][-1].get("resource") or {}) & paulas
    assert "Reyes" not in json.dumps(reply.body)
    reply = stranger.post("", {**batch, "type": "transaction"})
    assert reply.status == 404

    paula.refresh_from_db()
    assert (sorted(refs_of(paula)), paula.version) == before
    _no_successful_reads(user, paula)


@pytest.mark.parametrize("resource_type", TYPES)
def test_her_case_manager_sees_all_of_it(resource_type: str, paula_world: World, api) -> None:
    """The positive control: the same requests as alice find every one of Paula's records."""
    mapper = patient_mapper_or_skip(resource_type)
    paula = paula_world.paula
    rows = rows_of(mapper, paula)
    if not rows:
        pytest.skip(f"the walk builds no {resource_type} for Paula: add one to add_paula_records")
    alice: Api = api(paula_world.alice)
    ids = {(resource_type, mapper.resource_id(row)) for row in rows}
    for _, rid in ids:
        assert alice.get(f"{resource_type}/{rid}").status == 200
        if HISTORY not in mapper.interactions:
            assert entries(alice.get(f"{resource_type}?_id={rid}").body) == {(resource_type, rid)}
            continue
        history = alice.get(f"{resource_type}/{rid}/_history")
        assert history.status == 200 and history.body["entry"]
        assert (
            alice.get(
                f"{resource_type}/{rid}/_history/{history.body['entry'][0]['resource']['meta']['versionId']}"
            ).status
            == 200
        )
        assert entries(alice.get(f"{resource_type}?_id={rid}").body) == {(resource_type, rid)}
    assert ids <= entries(alice.get(f"{resource_type}?_count=200").body)
    for name, param in mapper.params.items():
        if param.type == "reference" and param.target == "Patient":
            assert ids <= entries(alice.get(f"{resource_type}?{name}={paula.pk}&_count=200").body), name
            assert ids <= entries(alice.get(f"{resource_type}?{name}=Patient/{paula.pk}&_count=200").body), (
                name
            )
            if resource_type != "Patient":
                assert ids <= entries(
                    alice.get(f"Patient?_id={paula.pk}&_revinclude={resource_type}:{name}").body
                )
                assert ("Patient", str(paula.pk)) in entries(
                    alice.get(f"{resource_type}?{name}={paula.pk}&_include={resource_type}:{name}").body
                )
    everything = alice.get(f"Patient/{paula.pk}/$everything")
    assert everything.status == 200
    assert ids <= entries(everything.body)


def test_the_walk_covers_every_registered_patient_type(paula_world: World) -> None:
    """Each registered type that holds patient data has a record of Paula's to walk over."""
    missing = [
        m.resource_type
        for m in all_mappers()
        if m.patient_field is not None and not rows_of(m, paula_world.paula)
    ]
    assert missing == [], f"add records of these types to add_paula_records: {missing}"


def test_include_and_revinclude_never_bring_in_paulas_records(paula_world: World, api) -> None:
    """Searches bob may run whose references lead to Paula: included rows go through their own access rule."""
    bob: Api = api(paula_world.bob)
    paulas = refs_of(paula_world.paula)
    searches = ["Patient?_count=200"]
    for source in all_mappers():
        for name, param in source.params.items():
            if param.type == "reference" and param.path:
                searches.append(f"{source.resource_type}?_include={source.resource_type}:{name}&_count=200")
                if mapper_for(param.target) is not None:
                    searches.append(f"{param.target}?_revinclude={source.resource_type}:{name}&_count=200")
    for path in searches:
        reply = bob.get(path)
        assert reply.status == 200, (path, reply.body)
        assert not entries(reply.body) & paulas, path
    if mapper_for("EpisodeOfCare") is not None:
        assert not entries(bob.get("EpisodeOfCare?_include=EpisodeOfCare:patient").body) & paulas
        assert not entries(bob.get("Patient?_revinclude=EpisodeOfCare:patient").body) & paulas


# --- scopes --------------------------------------------------------------------------------------------------


def test_a_patient_read_token_cannot_search_other_types(paula_world: World, api) -> None:
    alice: Api = api(paula_world.alice, scopes=("user/Patient.read",))
    assert alice.get(f"Patient/{paula_world.paula.pk}").status == 200
    assert alice.search("Patient?family=Reyes")
    others = [m.resource_type for m in all_mappers() if m.resource_type != "Patient"]
    if not others:
        pytest.skip("no type but Patient is registered yet")
    for resource_type in others:
        assert alice.get(f"{resource_type}?_count=1").status == 403, resource_type
    if mapper_for("Condition") is not None:
        assert alice.get(f"Condition?patient={paula_world.paula.pk}").status == 403
        assert alice.get(f"Patient?_id={paula_world.paula.pk}&_revinclude=Condition:patient").status == 403
    # Reading is not writing.
    assert (
        alice.put(f"Patient/{paula_world.paula.pk}", alice.get(f"Patient/{paula_world.paula.pk}").body).status
        == 403
    )
    assert (
        alice.post("Patient", {"resourceType": "Patient", "name": [{"family": "X", "given": ["Y"]}]}).status
        == 403
    )


def test_patient_scopes_on_a_staff_token_give_nothing(paula_world: World, api) -> None:
    alice: Api = api(paula_world.alice, scopes=("patient/*.read",))
    paula = paula_world.paula
    assert alice.get(f"Patient/{paula.pk}").status == 403
    assert alice.get("Patient?family=Reyes").status == 403
    assert alice.get(f"Patient/{paula.pk}/$everything").status == 403
    for mapper in all_mappers():
        assert alice.get(f"{mapper.resource_type}?_count=1").status == 403, mapper.resource_type


@pytest.fixture
def portal(paula_world: World) -> User:
    """Paula's own log-in, linked to her record."""
    user = do_create_user("paula.reyes", Role.PATIENT, paula_world.riverside, PASSWORD)
    paula_world.paula.portal_user = user
    paula_world.paula.save()
    return user


def test_a_patients_token_sees_her_own_record_and_nothing_else(paula_world: World, portal: User, api) -> None:
    paula = paula_world.paula
    other = register(paula_world.alice, "Omar", "Haddad")
    do_add_condition(paula_world.alice, other, icd10_code="I10", display="Hypertension")
    mine: Api = api(portal, scopes=("patient/*.read",))
    assert mine.get(f"Patient/{paula.pk}").body["id"] == str(paula.pk)
    assert [r["id"] for r in mine.search("Patient?_count=200")] == [str(paula.pk)]
    assert mine.get(f"Patient/{other.pk}").status == 404
    assert mine.get(f"Patient/{other.pk}/$everything").status == 404
    assert not mine.search(f"Patient?_id={other.pk}")
    everything = mine.get(f"Patient/{paula.pk}/$everything")
    assert everything.status == 200
    theirs = refs_of(other)
    assert not entries(everything.body) & theirs
    # Her own records but the sensitive ones (a patient reaches those through the portal's own rules): here her
    # Part 2 prior-authorisation request.
    assert refs_of(paula) - sensitive_refs(paula) <= entries(everything.body)
    assert not sensitive_refs(paula) & entries(everything.body) and sensitive_refs(paula)
    for mapper in all_mappers():
        if mapper.patient_field is None or not mapper.in_record:
            continue
        found = mine.search(f"{mapper.resource_type}?_count=200")
        assert {(mapper.resource_type, r["id"]) for r in found} == {
            (mapper.resource_type, mapper.resource_id(row)) for row in rows_of(mapper, paula)
        } - sensitive_refs(paula), mapper.resource_type
        for row in rows_of(mapper, other):
            assert mine.get(f"{mapper.resource_type}/{mapper.resource_id(row)}").status == 404
    # A user/ scope means nothing on a patient's token.
    as_user: Api = api(portal, scopes=("user/*.*",))
    assert as_user.get(f"Patient/{paula.pk}").status == 403


def test_a_patients_token_cannot_write(paula_world: World, portal: User, api) -> None:
    paula = paula_world.paula
    before = Patient.objects.count(), paula.version, sorted(refs_of(paula))
    new = {
        "resourceType": "Patient",
        "name": [{"family": "Sneaky", "given": ["S"]}],
        "gender": "male",
        "birthDate": "1970-01-01",
    }
    for scopes, allowed in ((("patient/*.read",), (403,)), (("patient/*.*",), (403, 404, 422))):
        mine: Api = api(portal, scopes=scopes)
        current = mine.get(f"Patient/{paula.pk}").body
        changed = {**current, "telecom": [{"system": "phone", "value": "555-9999"}]}
        assert mine.put(f"Patient/{paula.pk}", changed).status in allowed, scopes
        assert mine.post("Patient", new).status in allowed, scopes
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [{"resource": new, "request": {"method": "POST", "url": "Patient"}}],
        }
        assert mine.post("", bundle).status in allowed, scopes
    paula.refresh_from_db()
    assert (Patient.objects.count(), paula.version, sorted(refs_of(paula))) == before
    assert paula.phone == "555-0100"


def test_every_expected_type_is_registered() -> None:
    assert {m.resource_type for m in all_mappers()} >= set(EXPECTED)


@pytest.mark.parametrize("persona", STRANGERS)
def test_a_strangers_bulk_export_holds_nothing_of_paula_and_hers_holds_all(
    persona: str, paula_world: World, people: dict[str, User], api, django_capture_on_commit_callbacks
) -> None:
    from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]

    from .test_bulk_export import export, files, lines

    paula = paula_world.paula
    HUEY.immediate = True
    try:
        stranger: Api = api(people[persona])
        _, manifest, _ = export(stranger, "$export", django_capture_on_commit_callbacks)
        got = {(r["resourceType"], r["id"]) for url in files(manifest).values() for r in lines(stranger, url)}
        assert not got & refs_of(paula), f"{persona}'s $export holds {got & refs_of(paula)}"
        _no_successful_reads(people[persona], paula)
        alice: Api = api(people["alice"])
        _, hers, _ = export(alice, "Patient/$export", django_capture_on_commit_callbacks)
        got = {(r["resourceType"], r["id"]) for url in files(hers).values() for r in lines(alice, url)}
        assert refs_of(paula) <= got
    finally:
        HUEY.immediate = False


# --- the audit trail ---------------------------------------------------------------------------------------------
# Paula's audit trail is no one's to read but the privacy officer's (pia) and her own; not her case manager's either.
AUDIT_STRANGERS = ["alice", "bob", "sam", "dana", "adam", "uma", "mo", "charlie"]


def test_paulas_audit_trail_is_read_by_the_privacy_officer_and_by_her_alone(
    paula_world: World, portal: User, api
) -> None:
    mapper = patient_mapper_or_skip("AuditEvent")
    paula = paula_world.paula
    events = rows_of(mapper, paula)
    ids = {("AuditEvent", mapper.resource_id(e)) for e in events}
    # Events about her sensitive records (her Part 2 prior-authorisation request): the officer's, as on the
    # audit search page, which shows every event of the organisation.
    labelled = {
        (type(row).__name__, str(row.pk))
        for m in all_mappers()
        if m.patient_field is not None and m.in_record
        for row in rows_of(m, paula)
        if getattr(row, "sensitivity", "")
    }
    about_sensitive = {
        ("AuditEvent", mapper.resource_id(e)) for e in events if (e.object_type, e.object_id) in labelled
    }
    assert about_sensitive, "the walk should hold events about a sensitive record of Paula's"
    sample = sorted(ids)[:10] + sorted(about_sensitive)

    for persona in AUDIT_STRANGERS:
        stranger: Api = api(getattr(paula_world, persona))
        for _, rid in sample:
            assert stranger.get(f"AuditEvent/{rid}").status == 404, persona
        for path in (
            "AuditEvent?_count=200",
            f"AuditEvent?patient={paula.pk}",
            f"AuditEvent?patient=Patient/{paula.pk}&_include=AuditEvent:patient",
            f"Patient?_id={paula.pk}&_revinclude=AuditEvent:patient",
        ):
            reply = stranger.get(path)
            assert reply.status == 200 and not {e for e in entries(reply.body) if e[0] == "AuditEvent"}, (
                persona,
                path,
            )
        assert not AuditEvent.objects.filter(
            user=getattr(paula_world, persona), object_type="AuditEvent"
        ).exists()

    pia: Api = api(paula_world.pia)
    assert ids <= every_page(pia, f"AuditEvent?patient={paula.pk}&_count=200")
    assert about_sensitive <= every_page(pia, "AuditEvent?_count=200")
    assert AuditEvent.objects.filter(user=paula_world.pia, object_type="AuditEvent", patient=paula).exists()

    mine: Api = api(portal, scopes=("patient/*.read",))
    assert ids <= every_page(mine, "AuditEvent?_count=200")
    others = AuditEvent.objects.exclude(patient=paula).exclude(patient=None).order_by("pk")[:10]
    assert others
    for event in others:
        assert mine.get(f"AuditEvent/{event.pk}").status == 404
