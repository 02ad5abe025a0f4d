"""AuditEvent through the FHIR API: the audit trail in the IHE BALP shape, for the privacy officer (every event
of the organisation, sensitive records' included, as the audit search page shows them) and for a patient's own
log-in (the events about their own record, minimum necessary); nobody else reads any, and reading it is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.patients.actions import do_add_condition
from careconductor.privacy import audit, policy
from careconductor.privacy.actions import do_break_glass
from careconductor.privacy.choices import AuditAction, AuditOutcome, EmergencyReason, Sensitivity
from careconductor.privacy.models import AuditEvent
from tests.personas import World, make_staff
from tests.shared import ModuleDb

from .conftest import Api, every_page, register_patient
from .test_portal_observation import portal_login, proxy_login

pytestmark = pytest.mark.django_db

DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


def _add_trail(world: World) -> None:
    """Events of each kind on Paula's record and one on another patient's, made through the actions."""
    paula = world.paula
    portal = portal_login(world.alice, paula, "paula.reyes")
    proxy_login(portal, paula, "rosa", "Rosa", "Reyes")
    audit.record(world.alice, AuditAction.READ, patient=paula, obj=paula)
    secret = do_add_condition(
        world.alice, paula, icd10_code="F10.20", display="Alcohol dependence", sensitivity=Sensitivity.PART2
    )
    audit.record(world.alice, AuditAction.READ, patient=paula, obj=secret)
    audit.record(world.alice, AuditAction.LOGIN_FAILED, outcome=AuditOutcome.MINOR_FAILURE, detail="password")
    do_break_glass(
        world.bob, paula, reason=EmergencyReason.COVERING, explanation="Covering for Alice while she is away."
    )
    audit.record(world.bob, AuditAction.READ, patient=paula, obj=paula)
    omar = register_patient(world.alice, "Haddad", "Omar", born=dt.date(1970, 1, 2))
    audit.record(world.alice, AuditAction.READ, patient=omar, obj=omar)
    make_staff("pete", Role.PRIVACY_OFFICER, world.lakeside, discipline=Discipline.PRIVACY)


@pytest.fixture(scope="module")
def _trail(module_db: ModuleDb, shared_world: World) -> None:
    module_db.build(_add_trail, shared_world)


@pytest.fixture
def trail(_trail: None, world: World) -> World:
    return world


def _portal(world: World) -> User:
    return User.objects.get(username="paula.reyes")


def _events(api: Api, query: str) -> list[dict[str, Any]]:
    reply = api.get(f"AuditEvent?{query}")
    assert reply.status == 200, reply.body
    return [e["resource"] for e in reply.body.get("entry", [])]


def _about(events: list[dict[str, Any]]) -> set[str]:
    return {
        e["reference"] for r in events for ent in r.get("entity", []) if (e := ent["what"]).get("reference")
    }


def test_the_privacy_officer_reads_a_read_in_the_balp_shape(trail: World, api) -> None:
    paula = trail.paula
    event = AuditEvent.objects.filter(
        user=trail.alice, patient=paula, action="read", object_type="Patient"
    ).last()
    assert event is not None
    body = api(trail.pia).get(f"AuditEvent/{event.pk}").body
    assert body["type"] == {
        "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
        "code": "rest",
        "display": "Restful Operation",
    }
    assert body["subtype"] == [
        {"system": "http://hl7.org/fhir/restful-interaction", "code": "read", "display": "read"}
    ]
    assert body["action"] == "R" and body["outcome"] == "0"
    assert body["recorded"].startswith(event.recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M"))
    (agent,) = body["agent"]
    assert agent["who"] == {
        "reference": f"Practitioner/{trail.alice.pk}",
        "display": trail.alice.display_name(),
    }
    assert agent["requestor"] is True and agent["altId"] == "alice"
    # Recorded outside a request (the CLI's context): operations, HL7's HOPERAT.
    assert agent["purposeOfUse"][0]["coding"] == [{"system": ACT_REASON, "code": "HOPERAT"}]
    assert body["source"]["observer"] == {"display": "CareConductor"}
    (patient,) = body["entity"]  # the object read is the patient: one entity, role 1
    assert patient["what"] == {"reference": f"Patient/{paula.pk}"}
    assert patient["role"]["code"] == "1" and patient["type"]["code"] == "1"


def test_break_the_glass_reads_carry_etreat_and_a_failed_log_in_is_an_authentication_event(
    trail: World, api
) -> None:
    pia = api(trail.pia)
    bobs = _events(pia, f"agent=Practitioner/{trail.bob.pk}&patient={trail.paula.pk}&action=R")
    assert bobs and all(r["agent"][0]["purposeOfUse"][0]["coding"][0]["code"] == "ETREAT" for r in bobs)
    assert all(r["purposeOfEvent"][0]["coding"][0] == {"system": ACT_REASON, "code": "ETREAT"} for r in bobs)
    (failed,) = _events(pia, "outcome=4&action=E&agent=" + str(trail.alice.pk))
    assert failed["type"]["code"] == "110114" and failed["type"]["system"] == DCM
    assert failed["subtype"] == [{"system": DCM, "code": "110122", "display": "Login"}]
    assert failed["outcome"] == "4" and failed["outcomeDesc"] == "password"
    assert "entity" not in failed


def test_the_officer_sees_the_organisations_events_sensitive_ones_included(trail: World, api) -> None:
    pia = api(trail.pia)
    theirs = AuditEvent.objects.filter(organization_id_value=trail.riverside.pk).values_list("pk", flat=True)
    assert {("AuditEvent", str(pk)) for pk in theirs} <= every_page(pia, "AuditEvent?_count=200")
    secret = trail.paula.conditions.get(sensitivity=Sensitivity.PART2)
    read = _events(pia, f"patient={trail.paula.pk}&_count=500")
    assert f"Condition/{secret.pk}" in _about(read)  # the audit search page lists it too
    assert all(f"Patient/{trail.paula.pk}" in _about([r]) for r in read)
    # A search by date narrows to the period.
    today = clock.today().isoformat()
    assert _events(pia, f"patient={trail.paula.pk}&date=ge{today}&date=le{today}&_count=500")
    assert not _events(pia, f"patient={trail.paula.pk}&date=lt2000-01-01")


def test_paging_sorting_and_last_updated_are_as_for_every_type(trail: World, api) -> None:
    pia = api(trail.pia)
    reply = pia.get(f"AuditEvent?patient={trail.paula.pk}&_count=2")
    assert len(reply.body["entry"]) == 2
    assert any(link["relation"] == "next" for link in reply.body["link"])
    newest = _events(pia, f"patient={trail.paula.pk}&_sort=-date&_count=5")
    assert [r["recorded"] for r in newest] == sorted((r["recorded"] for r in newest), reverse=True)
    today = clock.today().isoformat()
    assert _events(pia, f"patient={trail.paula.pk}&_lastUpdated=ge{today}&_sort=-_lastUpdated&_count=5")


def test_a_patient_reads_the_events_of_her_own_record_minimum_necessary(trail: World, api) -> None:
    mine = api(_portal(trail), scopes=("patient/AuditEvent.rs",))
    found = _events(mine, "_count=500")
    assert found
    assert {e["what"]["reference"] for r in found for e in r["entity"]} == {f"Patient/{trail.paula.pk}"}
    for resource in found:
        (agent,) = resource["agent"]
        assert "altId" not in agent and "network" not in agent and "role" not in agent
        assert "outcomeDesc" not in resource
    alices = [r for r in found if r["agent"][0]["who"].get("reference") == f"Practitioner/{trail.alice.pk}"]
    assert alices and alices[0]["agent"][0]["who"]["display"] == trail.alice.display_name()
    omar = AuditEvent.objects.filter(patient__family_name="Haddad").first()
    assert omar is not None
    assert mine.get(f"AuditEvent/{omar.pk}").status == 404
    assert not _events(mine, f"patient={omar.patient_id}")
    failed = AuditEvent.objects.get(action="login_failed", user=trail.alice)
    assert mine.get(f"AuditEvent/{failed.pk}").status == 404


@pytest.mark.parametrize("persona", ["alice", "bob", "sam", "dana", "adam", "uma", "mo", "charlie"])
def test_nobody_else_reads_any(persona: str, trail: World, api) -> None:
    user = User.objects.get(username=persona)
    caller = api(user)
    event = AuditEvent.objects.filter(patient=trail.paula).first()
    assert event is not None
    assert caller.get(f"AuditEvent/{event.pk}").status == 404
    assert not _events(caller, "_count=500")
    assert not _events(caller, f"patient={trail.paula.pk}")
    assert not AuditEvent.objects.filter(user=user, object_type="AuditEvent").exists()


def test_another_organisations_privacy_officer_reads_only_their_own(trail: World, api) -> None:
    pete = User.objects.get(username="pete")
    found = {r["id"] for r in _events(api(pete), "_count=500")}
    theirs = AuditEvent.objects.filter(organization_id_value=trail.lakeside.pk)
    assert found and found <= {str(pk) for pk in theirs.values_list("pk", flat=True)}
    event = AuditEvent.objects.filter(patient=trail.paula).first()
    assert event is not None
    assert api(pete).get(f"AuditEvent/{event.pk}").status == 404
    assert not _events(api(pete), f"patient={trail.paula.pk}")


def test_a_proxy_reads_none_of_the_record_they_help_with(trail: World, api) -> None:
    """Rosa helps Paula in the portal; the trail of Paula's record is Paula's to read."""
    rosa = api(User.objects.get(username="rosa"), scopes=("patient/AuditEvent.rs",))
    assert not _events(rosa, "_count=50")
    assert not _events(rosa, f"patient={trail.paula.pk}")


def test_reading_the_trail_is_audited(trail: World, api) -> None:
    event = AuditEvent.objects.filter(patient=trail.paula, user=trail.alice).first()
    assert event is not None
    assert api(trail.pia).get(f"AuditEvent/{event.pk}").status == 200
    assert AuditEvent.objects.filter(
        user=trail.pia, action="read", object_type="AuditEvent", object_id=str(event.pk), patient=trail.paula
    ).exists()
    found = _events(api(_portal(trail), scopes=("patient/AuditEvent.rs",)), "_count=3")
    assert AuditEvent.objects.filter(
        user=_portal(trail), action="read", object_type="AuditEvent", object_id=found[0]["id"]
    ).exists()


def test_scopes_say_whether_a_token_reads_the_trail(trail: World, api) -> None:
    assert api(trail.pia, scopes=("user/AuditEvent.rs",)).get("AuditEvent?_count=1").status == 200
    assert api(trail.pia, scopes=("user/Patient.rs",)).get("AuditEvent?_count=1").status == 403
    assert api(_portal(trail), scopes=("patient/Patient.rs",)).get("AuditEvent?_count=1").status == 403


def test_a_token_launched_for_one_patient_reads_that_patients_events_only(trail: World) -> None:
    """An app launched for Paula (docs/smart.md) reads her events, whoever the officer's other patients are."""
    with policy.launched_for(trail.paula.pk):
        events = policy.audit_rows(trail.pia)
        assert events.exists()
        assert set(events.values_list("patient_id", flat=True)) == {trail.paula.pk}
    assert policy.audit_rows(trail.pia).exclude(patient=trail.paula).exists()
