"""Encounter through the FHIR API: stays, visits and calls, in-progress until they end."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.patients.actions import do_add_encounter
from careconductor.patients.choices import AdmissionType, DischargeDisposition, EncounterClass
from careconductor.patients.models import Encounter
from careconductor.privacy.models import AuditEvent

from .conftest import assert_bad_change_refused, query_count

pytestmark = pytest.mark.django_db

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
ADMIT_SOURCE = "http://terminology.hl7.org/CodeSystem/admit-source"
DISCHARGE = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
OUR_DISCHARGE = "urn:careconductor:discharge-disposition"
UTC = dt.UTC


@pytest.fixture
def stay(world):
    return do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.INPATIENT,
        facility="St. Vincent Medical Center",
        start=dt.datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
        end=dt.datetime(2026, 3, 6, 11, 0, tzinfo=UTC),
        admission_type=AdmissionType.EMERGENCY,
        discharge_disposition=DischargeDisposition.HOME_HEALTH,
        reason="Heart failure exacerbation",
    )


@pytest.fixture
def visit(world):
    return do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.AMBULATORY,
        start=dt.datetime(2026, 4, 10, 9, 0, tzinfo=UTC),
    )


def new_encounter(world, **extra):
    return {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "EMER"},
        "subject": {"reference": f"Patient/{world.paula.pk}"},
        "period": {"start": "2026-05-01T22:15:00Z", "end": "2026-05-02T03:40:00Z"},
        "reasonCode": [{"text": "Fall at home"}],
        "hospitalization": {
            "dischargeDisposition": {"coding": [{"system": DISCHARGE, "code": "snf"}]},
        },
        "location": [{"location": {"display": "Providence ED"}}],
        **extra,
    }


def test_read_shows_class_period_and_hospitalization(world, api, stay):
    reply = api(world.alice).get(f"Encounter/{stay.pk}")
    assert reply.status == 200
    body = reply.body
    assert body["status"] == "finished"
    assert body["class"] == {"system": ACT_CODE, "code": "IMP", "display": "Inpatient"}
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["period"] == {"start": "2026-03-02T14:30:00+00:00", "end": "2026-03-06T11:00:00+00:00"}
    assert body["priority"]["coding"][0]["code"] == "EM"
    assert body["hospitalization"]["admitSource"]["coding"][0] == {
        "system": ADMIT_SOURCE,
        "code": "emd",
        "display": "From accident/emergency department",
    }
    disposition = {
        (c["system"], c["code"]) for c in body["hospitalization"]["dischargeDisposition"]["coding"]
    }
    assert disposition == {(DISCHARGE, "home"), (OUR_DISCHARGE, "home_health")}
    assert body["reasonCode"] == [{"text": "Heart failure exacerbation"}]
    assert body["serviceProvider"] == {"display": "St. Vincent Medical Center"}
    assert body["location"] == [{"location": {"display": "St. Vincent Medical Center"}}]
    assert reply.headers["ETag"] == 'W/"1"'
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Encounter", object_id=str(stay.pk)
    ).exists()


def test_an_encounter_without_an_end_is_in_progress(world, api, visit):
    body = api(world.alice).get(f"Encounter/{visit.pk}").body
    assert body["status"] == "in-progress"
    assert body["period"] == {"start": "2026-04-10T09:00:00+00:00"}
    assert "hospitalization" not in body and "location" not in body


def test_search_by_patient_class_date_and_status(world, api, stay, visit):
    alice = api(world.alice)
    paula = world.paula.pk
    assert len(alice.search(f"Encounter?patient={paula}")) == 2
    assert len(alice.search(f"Encounter?subject=Patient/{paula}")) == 2
    assert [r["id"] for r in alice.search(f"Encounter?class={ACT_CODE}|IMP")] == [str(stay.pk)]
    assert not alice.search("Encounter?class=http://snomed.info/sct|IMP")
    assert len(alice.search("Encounter?class=IMP,AMB")) == 2
    assert [r["id"] for r in alice.search("Encounter?date=ge2026-04-01")] == [str(visit.pk)]
    assert [r["id"] for r in alice.search("Encounter?date=lt2026-04")] == [str(stay.pk)]
    assert [r["id"] for r in alice.search("Encounter?date=2026-03-02")] == [str(stay.pk)]
    assert [r["id"] for r in alice.search("Encounter?date=gt2026-03-02T14:30:00Z")] == [str(visit.pk)]
    assert [r["id"] for r in alice.search("Encounter?status=finished")] == [str(stay.pk)]
    assert [r["id"] for r in alice.search("Encounter?status=in-progress")] == [str(visit.pk)]
    assert not alice.search("Encounter?status=planned")
    assert [r["id"] for r in alice.search(f"Encounter?_id={visit.pk}")] == [str(visit.pk)]
    assert [r["id"] for r in alice.search("Encounter?_sort=-date")] == [str(visit.pk), str(stay.pk)]


def test_a_page_costs_the_same_queries_however_many_encounters(world, api, stay):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search("Encounter")) == n

    one = query_count(lambda: page_has(1))
    for day in (1, 2, 3):
        do_add_encounter(
            world.alice,
            world.paula,
            encounter_class=EncounterClass.VIRTUAL,
            start=dt.datetime(2026, 6, day, 10, 0, tzinfo=UTC),
        )
    assert query_count(lambda: page_has(4)) == one


def test_a_stranger_sees_nothing(world, api, stay):
    bob = api(world.bob)
    assert bob.get(f"Encounter/{stay.pk}").status == 404
    assert not bob.search("Encounter")
    assert not bob.search(f"Encounter?patient={world.paula.pk}")
    assert not api(world.charlie).search("Encounter")


def test_create_records_an_encounter_from_fhir(world, api):
    reply = api(world.alice).post("Encounter", new_encounter(world))
    assert reply.status == 201, reply.body
    encounter = Encounter.objects.get(pk=reply.body["id"])
    assert (encounter.patient_id, encounter.encounter_class, encounter.source) == (
        world.paula.pk,
        "EMER",
        "fhir",
    )
    assert encounter.start == dt.datetime(2026, 5, 1, 22, 15, tzinfo=UTC)
    assert encounter.end == dt.datetime(2026, 5, 2, 3, 40, tzinfo=UTC)
    assert (encounter.facility, encounter.reason, encounter.discharge_disposition) == (
        "Providence ED",
        "Fall at home",
        "snf",
    )
    assert encounter.admission_type == ""
    assert AuditEvent.objects.filter(
        user=world.alice, action="create", object_type="Encounter", object_id=str(encounter.pk)
    ).exists()


def test_what_the_server_serves_can_be_sent_back_unchanged(world, api, stay):
    alice = api(world.alice)
    served = alice.get(f"Encounter/{stay.pk}").body
    del served["id"], served["meta"]
    copy = alice.post("Encounter", served)
    assert copy.status == 201, copy.body
    made = Encounter.objects.get(pk=copy.body["id"])
    fields = (
        "encounter_class",
        "start",
        "end",
        "admission_type",
        "discharge_disposition",
        "facility",
        "reason",
    )
    assert [getattr(made, f) for f in fields] == [getattr(stay, f) for f in fields]


def test_create_for_a_patient_the_caller_cannot_see_is_refused(world, api):
    before = Encounter.objects.count()
    assert api(world.bob).post("Encounter", new_encounter(world)).status == 403
    assert Encounter.objects.count() == before


def test_update_with_if_match_and_a_stale_version(world, api, visit):
    alice = api(world.alice)
    current = alice.get(f"Encounter/{visit.pk}").body
    current["status"] = "finished"
    current["period"]["end"] = "2026-04-10T09:45:00Z"
    updated = alice.put(f"Encounter/{visit.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert updated.status == 200, updated.body
    assert (updated.body["meta"]["versionId"], updated.body["status"]) == ("2", "finished")
    visit.refresh_from_db()
    assert visit.end == dt.datetime(2026, 4, 10, 9, 45, tzinfo=UTC)
    assert visit.source == "manual"
    assert AuditEvent.objects.filter(
        user=world.alice, action="update", object_type="Encounter", object_id=str(visit.pk)
    ).exists()
    current["reasonCode"] = [{"text": "Follow-up"}]
    stale = alice.put(f"Encounter/{visit.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert stale.status == 412
    visit.refresh_from_db()
    assert visit.reason == ""


def test_the_care_team_may_not_update_and_a_stranger_finds_nothing(world, api, stay):
    current = api(world.alice).get(f"Encounter/{stay.pk}").body
    current["reasonCode"] = [{"text": "Changed"}]
    assert api(world.dana).put(f"Encounter/{stay.pk}", current).status == 422
    assert api(world.bob).put(f"Encounter/{stay.pk}", current).status == 404
    stay.refresh_from_db()
    assert (stay.reason, stay.version) == ("Heart failure exacerbation", 1)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"class": {"system": ACT_CODE, "code": "FLD"}}, "Encounter.class"),
        ({"class": {"code": "IMP"}}, "Encounter.class"),
        ({"status": "planned"}, "Encounter.status"),
        ({"status": "in-progress"}, "Encounter.status"),
        ({"period": {"start": "2026-05-01T10:00:00Z"}}, "Encounter.period.end"),
        ({"period": {"end": "2026-05-01T10:00:00Z"}}, "Encounter.period.start"),
        (
            {"period": {"start": "2026-05-02T10:00:00Z", "end": "2026-05-01T10:00:00Z"}},
            "Encounter.period.end",
        ),
        ({"priority": {"coding": [{"system": PRIORITY, "code": "S"}]}}, "Encounter.priority"),
        (
            {"hospitalization": {"dischargeDisposition": {"coding": [{"system": DISCHARGE, "code": "psy"}]}}},
            "Encounter.hospitalization.dischargeDisposition",
        ),
        ({"subject": {"reference": "Group/3"}}, "Encounter.subject"),
    ],
)
def test_bad_input_gets_422_naming_the_element_and_changes_nothing(world, api, stay, change, path):
    assert_bad_change_refused(
        api(world.alice), "Encounter", stay, new_encounter(world, **change), change, path
    )
    stay.refresh_from_db()
    assert (stay.encounter_class, stay.version) == ("IMP", 1)
