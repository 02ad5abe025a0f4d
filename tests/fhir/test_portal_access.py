"""What a patient-scoped token sees of the portal's Observations, Communications and Flags: a patient's own log-in
sees their own record only, a proxy the records of the patients who made them proxy (until revoked), and
everything else answers 404, as if it did not exist."""

from __future__ import annotations

from decimal import Decimal

import pytest

from careconductor.engagement.actions import (
    do_check_in_goal,
    do_report_blood_pressure,
    do_report_reading,
    do_report_wellbeing,
    do_revoke_proxy,
    do_send_message,
)
from careconductor.engagement.models import ProxyGrant

from .conftest import register_patient
from .test_portal_observation import a_goal, portal_login, proxy_login

pytestmark = pytest.mark.django_db

TYPES = ("Observation", "Communication", "Flag")
READ = ("patient/*.read",)


def report_everything(login, patient) -> dict[str, set[str]]:
    """A reading past its limit (so a flag), a reading, a well-being check-in and a message; the ids served."""
    pressure = do_report_blood_pressure(login, patient, systolic=Decimal(185), diastolic=Decimal(90))
    sugar = do_report_reading(login, patient, measure="glucose", value=Decimal(120))
    mood = do_report_wellbeing(login, patient, mood=3, symptoms=["tired"])
    message = do_send_message(login, patient, subject="Question", body="When is my next call?")
    assert mood.check_in is not None
    return {
        "Observation": {
            f"reading-{pressure.readings[0].pk}",
            f"reading-{sugar.readings[0].pk}",
            f"check-in-{mood.check_in.pk}",
        },
        "Communication": {f"message-{message.pk}"},
        "Flag": {str(f.pk) for f in patient.flags.all()},
    }


@pytest.fixture
def people(world):
    """Paula and Omar with their own log-ins and reports; Rosa, Paula's daughter, her proxy."""
    omar = register_patient(world.alice, "Haddad", "Omar")
    paula_login = portal_login(world.alice, world.paula, "paula.reyes")
    omar_login = portal_login(world.alice, omar, "omar.haddad")
    rosa = proxy_login(paula_login, world.paula, "rosa", "Rosa", "Reyes")
    paulas = report_everything(paula_login, world.paula)
    goal_check_in = do_check_in_goal(rosa, a_goal(world), rating="well")
    paulas["Observation"].add(f"check-in-{goal_check_in.pk}")
    omars = report_everything(omar_login, omar)
    assert all(paulas[t] and omars[t] for t in TYPES)
    return {
        "paula": paula_login,
        "omar": omar_login,
        "rosa": rosa,
        "paulas": paulas,
        "omars": omars,
        "omar_patient": omar,
    }


def found(api, resource_type: str, query: str = "") -> set[str]:
    return {r["id"] for r in api.search(f"{resource_type}?_count=200{query}")}


@pytest.mark.parametrize("who", ["paula", "rosa"])
def test_paulas_login_and_her_proxy_see_her_reports_and_nothing_of_omars(world, api, people, who):
    token = api(people[who], scopes=READ)
    omar = people["omar_patient"]
    for resource_type in TYPES:
        assert found(token, resource_type) == people["paulas"][resource_type], resource_type
        assert found(token, resource_type, f"&patient={omar.pk}") == set()
        for key in people["paulas"][resource_type]:
            reply = token.get(f"{resource_type}/{key}")
            assert reply.status == 200, (resource_type, key)
            assert reply.body["subject"]["reference"] == f"Patient/{world.paula.pk}"
        for key in people["omars"][resource_type]:
            assert token.get(f"{resource_type}/{key}").status == 404, (resource_type, key)
            assert found(token, resource_type, f"&_id={key}") == set()
    everything = token.get(f"Patient/{world.paula.pk}/$everything").body
    served = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in everything["entry"]}
    assert {(t, key) for t in TYPES for key in people["paulas"][t]} <= served
    assert token.get(f"Patient/{omar.pk}/$everything").status == 404


def test_omars_login_sees_his_own_reports_only(world, api, people):
    token = api(people["omar"], scopes=READ)
    for resource_type in TYPES:
        assert found(token, resource_type) == people["omars"][resource_type], resource_type
        for key in people["paulas"][resource_type]:
            assert token.get(f"{resource_type}/{key}").status == 404, (resource_type, key)
    body = token.get(f"Observation/{sorted(people['omars']['Observation'])[0]}").body
    assert body["performer"] == [
        {"reference": f"Patient/{people['omar_patient'].pk}", "display": "Omar Haddad"}
    ]


def test_a_revoked_proxy_sees_nothing_any_more(world, api, people):
    token = api(people["rosa"], scopes=READ)
    assert found(token, "Flag") == people["paulas"]["Flag"]
    do_revoke_proxy(people["paula"], ProxyGrant.objects.get(proxy=people["rosa"]))
    for resource_type in TYPES:
        assert found(token, resource_type) == set(), resource_type
        for key in people["paulas"][resource_type]:
            assert token.get(f"{resource_type}/{key}").status == 404, (resource_type, key)


def test_scopes_narrow_a_patients_token(world, api, people):
    only_observations = api(people["paula"], scopes=("patient/Observation.read",))
    assert found(only_observations, "Observation") == people["paulas"]["Observation"]
    assert only_observations.get("Communication").status == 403
    assert only_observations.get("Flag").status == 403
    as_staff = api(people["paula"], scopes=("user/*.read",))
    assert as_staff.get("Observation").status == 403
