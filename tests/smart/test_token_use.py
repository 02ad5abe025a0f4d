"""A SMART access token at the FHIR API, without the OAuth dance (tokens made as the token endpoint makes them):
it costs the same queries as an API token, a token bound to a patient sees that patient only (reads, searches,
writes), and an expired token, a revoked app or a deactivated user is a 401 like any refused token."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken

from careconductor.accounts.actions import do_create_token, do_use_token
from careconductor.core import clock
from careconductor.smart import actions
from careconductor.smart.models import AppKind, SmartApp, TokenContext
from tests.fhir.conftest import BASE, query_count, register_patient
from tests.personas import World

pytestmark = pytest.mark.django_db


def _app(world: World) -> SmartApp:
    details = actions.AppDetails(
        name="Coach", kind=AppKind.LAUNCH, description="", redirect_uris=["https://coach.example.org/cb"],
        launch_url="", allowed_scopes=["launch/patient", "patient/*.cruds", "user/*.rs"], confidential=False,
        jwks={}, service_user=None,
    )  # fmt: skip
    return actions.do_register_app(world.adam, details).app


def _token(app: SmartApp, user, scope: str, patient=None, expires_in: int = 3600) -> str:  # type: ignore[no-untyped-def]
    secret = secrets.token_urlsafe(30)
    token = AccessToken.objects.create(
        user=user, application=app.client, scope=scope, expires=clock.now() + dt.timedelta(seconds=expires_in),
        token="", token_checksum=hashlib.sha256(secret.encode()).hexdigest(),
    )  # fmt: skip
    if patient is not None:
        TokenContext.objects.create(access_token=token, patient=patient)
    return secret


def _get(client: Client, secret: str, path: str):  # type: ignore[no-untyped-def]
    return client.get(BASE + path, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_smart_token_costs_the_queries_of_an_api_token(world: World, client: Client) -> None:
    app = _app(world)
    smart = _token(app, world.alice, "user/*.rs")
    _, api = do_create_token(world.alice, name="t", scopes=("user/*.rs",))
    do_use_token(api)
    assert (
        _get(client, smart, f"Patient/{world.paula.pk}").status_code == 200
    )  # its use written once a minute
    by_app = query_count(lambda: _get(client, smart, f"Patient/{world.paula.pk}"))
    by_api = query_count(lambda: _get(client, api, f"Patient/{world.paula.pk}"))
    assert by_app == by_api


def test_a_token_bound_to_a_patient_reads_and_writes_that_patient_only(world: World, client: Client) -> None:
    app = _app(world)
    other = register_patient(world.alice, "Omar", "Haddad")
    secret = _token(app, world.alice, "launch/patient patient/*.cruds", patient=world.paula)
    assert _get(client, secret, f"Patient/{world.paula.pk}").status_code == 200
    assert _get(client, secret, f"Patient/{other.pk}").status_code == 404
    found = _get(client, secret, "Patient?_count=50").json()
    assert [e["resource"]["id"] for e in found.get("entry", [])] == [str(world.paula.pk)]
    flag = {"resourceType": "Flag", "status": "active", "code": {"text": "Lives alone"},
            "subject": {"reference": f"Patient/{other.pk}"}}  # fmt: skip
    refused = client.post(BASE + "Flag", flag, content_type="application/fhir+json",
                          HTTP_AUTHORIZATION=f"Bearer {secret}")  # fmt: skip
    assert refused.status_code in (403, 404, 422)
    assert _get(client, secret, f"Flag?patient={other.pk}").json().get("total") == 0


@pytest.mark.parametrize("what", ["expired", "revoked", "deactivated", "other organisation"])
def test_a_token_no_longer_in_force_is_a_401(what: str, world: World, client: Client) -> None:
    app = _app(world)
    user = world.charlie if what == "other organisation" else world.alice
    secret = _token(app, user, "user/*.rs", expires_in=-1 if what == "expired" else 3600)
    if what == "revoked":
        actions.do_revoke_app(world.adam, app)
    if what == "deactivated":
        world.alice.is_active = False
        world.alice.save(update_fields=["is_active"])
    answer = _get(client, secret, f"Patient/{world.paula.pk}")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"].startswith("Bearer")
