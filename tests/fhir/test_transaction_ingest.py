"""Transaction Bundles that register many patients (issue 18's ingest): what is worked out once per Bundle
(the duplicate check's candidates, the team referrals go to, the versions kept) gives the answers the entries
would get one at a time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careconductor.accounts.models import Team
from careconductor.administration.actions import TeamDetails, do_save_team
from careconductor.cases.actions import receiving_team, receiving_teams_kept
from careconductor.cases.choices import Program
from careconductor.patients.models import Patient

pytestmark = pytest.mark.django_db


def _patient(uuid: str, given: str, family: str, born: str, phone: str = "") -> dict:
    resource = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": "female",
        "birthDate": born,
    }
    if phone:
        resource["telecom"] = [{"system": "phone", "value": phone}]
    return {
        "fullUrl": f"urn:uuid:{uuid}",
        "resource": resource,
        "request": {"method": "POST", "url": "Patient"},
    }


def _condition(subject: str) -> dict:
    return {
        "resource": {
            "resourceType": "Condition",
            "clinicalStatus": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
                ]
            },
            "code": {
                "coding": [
                    {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10", "display": "Hypertension"}
                ]
            },
            "subject": {"reference": subject},
        },
        "request": {"method": "POST", "url": "Condition"},
    }


def _transaction(*entries: dict) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


UUIDS = [f"7d1c2b3a-{n:04d}-4e5f-8a9b-0c1d2e3f4a5b" for n in range(4)]


@pytest.mark.parametrize(
    ("given", "family", "phone"),
    [("Paula", "Reyes", ""), ("Paulina", "Santos", "(555) 0100")],
    ids=["same name", "same phone"],
)
def test_a_transaction_refuses_a_probable_duplicate_of_a_registered_patient(world, api, given, family, phone):
    patients = Patient.objects.count()
    reply = api(world.alice).post(
        "",
        _transaction(
            _patient(UUIDS[0], "Ines", "Quiroga", "1961-02-20"),
            _patient(UUIDS[1], given, family, "1956-03-14", phone),
        ),
    )
    assert reply.status == 409, reply.body
    assert "Bundle.entry[1]" in reply.body["issue"][0]["diagnostics"]
    assert reply.body["issue"][0]["details"]["text"] == f"Patient/{world.paula.pk}"
    assert Patient.objects.count() == patients


def test_a_transaction_refuses_a_probable_duplicate_with_day_and_month_swapped(world, api):
    """A record born on 3 December is found for the same person typed as born on 12 March, in a later Bundle."""
    first = api(world.alice).post("", _transaction(_patient(UUIDS[0], "Nora", "Lindqvist", "1970-12-03")))
    assert first.status == 200, first.body
    nora = Patient.objects.get(family_name="Lindqvist")
    reply = api(world.alice).post("", _transaction(_patient(UUIDS[1], "Nora", "Lindqvist", "1970-03-12")))
    assert reply.status == 409, reply.body
    assert reply.body["issue"][0]["details"]["text"] == f"Patient/{nora.pk}"


def test_a_transaction_refuses_a_person_it_registers_twice(world, api):
    """The second entry is checked against the first, created earlier in the same Bundle, as it would be
    had they come one at a time; and nothing of the Bundle stays."""
    patients = Patient.objects.count()
    reply = api(world.alice).post(
        "",
        _transaction(
            _patient(UUIDS[0], "Oksana", "Melnyk", "1949-08-30"),
            _patient(UUIDS[1], "Oksana", "Melnyk", "1949-08-30"),
        ),
    )
    assert reply.status == 409, reply.body
    assert "Bundle.entry[1]: Patient/" in reply.body["issue"][0]["diagnostics"]
    assert Patient.objects.count() == patients


def test_people_born_on_the_same_day_with_other_names_are_all_registered(world, api):
    people = [("Ines", "Abe"), ("Jun", "Bo"), ("Kofi", "Cruz")]
    reply = api(world.alice).post(
        "",
        _transaction(
            *[
                _patient(u, given, family, "1956-03-14")
                for u, (given, family) in zip(UUIDS, people, strict=False)
            ]
        ),
    )
    assert reply.status == 200, reply.body
    assert Patient.objects.filter(birth_date="1956-03-14").count() == 4  # Paula and the three


def test_receiving_team_is_worked_out_once_inside_and_forgotten_when_a_team_changes(world):
    adam = world.adam
    with receiving_teams_kept():
        assert receiving_team(adam, Program.COMPLEX) == world.north
        with CaptureQueriesContext(connection) as queries:
            assert receiving_team(adam, Program.COMPLEX) == world.north
        assert len(queries.captured_queries) == 0
        intake = do_save_team(adam, TeamDetails(name="Intake", supervisor=None, programs=[Program.COMPLEX]))
        assert receiving_team(adam, Program.COMPLEX) == intake
    assert Team.objects.filter(pk=intake.pk).exists()
