from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from careconductor.accounts.models import User
from careconductor.engagement import actions
from careconductor.engagement.choices import ProxyRelationship
from careconductor.patients.models import Patient
from tests.personas import PASSWORD, World

PAULA_BORN = dt.date(1956, 3, 14)


@dataclass
class Portal:
    world: World
    paula_login: User
    daughter: User  # Paula's proxy
    other: Patient  # another patient of Alice's, with their own log-in
    other_login: User


def portal_login(world: World, patient: Patient, username: str) -> User:
    """The patient's own log-in, made the way a patient makes it: from the case manager's invitation."""
    made = actions.do_invite_patient(world.alice, patient)
    login = actions.do_accept_invitation(
        made.secret, username=username, password=PASSWORD, birth_date=patient.birth_date
    )
    patient.refresh_from_db()
    return login


@pytest.fixture
def portal(world: World) -> Portal:
    return build_portal(world)


def build_portal(world: World) -> Portal:
    """Paula's and Omar's portal log-ins and Paula's daughter as her proxy, made through the actions."""
    from careconductor.cases.actions import do_register_and_refer
    from careconductor.cases.choices import Program, ReferralSource
    from careconductor.patients.actions import PatientDetails
    from careconductor.patients.choices import Sex

    paula_login = portal_login(world, world.paula, "paula")
    _grant, made = actions.do_grant_proxy(
        paula_login, world.paula, name="Rosa Reyes", relationship=ProxyRelationship.CHILD
    )
    daughter = actions.do_accept_invitation(
        made.secret, username="rosa", password=PASSWORD, first_name="Rosa", last_name="Reyes"
    )
    other = do_register_and_refer(
        world.alice,
        PatientDetails(given_name="Omar", family_name="Haddad", birth_date=dt.date(1960, 1, 2), sex=Sex.MALE),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Heart failure",
        acuity_tier=2,
    )
    other_login = portal_login(world, other, "omar")
    return Portal(world, paula_login, daughter, other, other_login)


def patient_client(client: Client, user: User) -> Client:
    client.logout()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client
