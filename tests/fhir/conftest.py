"""Shared by the FHIR API tests: a client that sends bearer tokens and validates every resource the server
returns twice, with the FHIR R4 models of fhir.resources (R4B) and with Medplum's validator (second_validator.py),
so no test can pass on invalid output, nor on a misreading of R4 that our own models share."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B import get_fhir_model_class

from careconductor.accounts.actions import do_create_token, do_use_token
from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient
from tests.personas import World

from .care_plan_kit import Plan, build_plan, publish
from .second_validator import second_validator

BASE = "/fhir/r4/"
FHIR_JSON = "application/fhir+json"


def validate_fhir(body: Any) -> None:
    """Validate a resource the server returned, and every resource inside a Bundle, with both validators."""
    assert isinstance(body, dict) and "resourceType" in body, body
    _validate_with_models(body)
    # Medplum walks into the resources a Bundle holds (entries and response outcomes) by itself.
    issues = second_validator().issues(body)
    assert not issues, f"Medplum's validator refuses this {body['resourceType']}: {issues}"


def _validate_with_models(body: dict[str, Any]) -> None:
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    if body["resourceType"] == "Bundle":
        for entry in body.get("entry", []):
            if "resource" in entry:
                _validate_with_models(entry["resource"])
            if "outcome" in entry.get("response", {}):
                _validate_with_models(entry["response"]["outcome"])


def query_count(action: Callable[[], object]) -> int:
    """How many SQL queries the action runs (for "a page costs the same number of queries" checks)."""
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries.captured_queries)


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: Any

    def issue_paths(self) -> list[str]:
        return [p for i in self.body.get("issue", []) for p in i.get("expression", [])]


class Api:
    """The API as one token holder sees it. Paths are relative to /fhir/r4/."""

    def __init__(self, client: Client, secret: str) -> None:
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def _reply(self, response: Any) -> Reply:
        body = json.loads(response.content) if response.content else {}
        if body:
            validate_fhir(body)
        assert response["Content-Type"].startswith(FHIR_JSON)
        return Reply(response.status_code, body, response)

    def get(self, path: str, **headers: str) -> Reply:
        return self._reply(self.client.get(BASE + path, **self.auth, **headers))

    def post(self, path: str, body: Any, **headers: str) -> Reply:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self._reply(
            self.client.post(BASE + path, data, content_type=FHIR_JSON, **self.auth, **headers)
        )

    def put(self, path: str, body: Any, **headers: str) -> Reply:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self._reply(self.client.put(BASE + path, data, content_type=FHIR_JSON, **self.auth, **headers))

    def search(self, path: str, **headers: str) -> list[dict[str, Any]]:
        """The matched resources of a search (not the _include-d ones)."""
        reply = self.get(path, **headers)
        assert reply.status == 200, reply.body
        return [
            e["resource"] for e in reply.body.get("entry", []) if e.get("search", {}).get("mode") == "match"
        ]


def every_page(api: Api, path: str) -> set[tuple[str, str]]:
    """(type, id) of the resources a search finds over all its pages (following `next`)."""
    found: set[tuple[str, str]] = set()
    while path:
        reply = api.get(path)
        assert reply.status == 200, reply.body
        found |= {(e["resource"]["resourceType"], e["resource"]["id"]) for e in reply.body.get("entry", [])}
        following = [link["url"] for link in reply.body.get("link", []) if link["relation"] == "next"]
        path = following[0].split(BASE, 1)[1] if following else ""
    return found


@pytest.fixture
def api(world: World, client: Client) -> Callable[..., Api]:
    """api(user, scopes=...) → an Api for a fresh token of that user (default scopes: user/*.*). The token is
    used once at once, so its use is not written again within the minute (TOKEN_USE_RECORDED_EVERY) and the
    queries a test counts are those of its requests alone."""

    def make(user: User, scopes: tuple[str, ...] = ("user/*.*",)) -> Api:
        _, secret = do_create_token(user, name="test", scopes=scopes)
        do_use_token(secret)
        return Api(client, secret)

    return make


def register_patient(
    user: User, family: str, given: str = "Test", born: dt.date = dt.date(1960, 1, 1), sex: Sex = Sex.MALE
) -> Patient:
    """A patient registered with a referral the user carries (a case manager keeps access), as on the screens."""
    return do_register_and_refer(
        user,
        PatientDetails(given_name=given, family_name=family, birth_date=born, sex=sex),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Registered for a test",
    )


def assert_bad_change_refused(
    client: Api,
    kind: str,
    row: Any,
    new_body: dict[str, Any],
    change: dict[str, Any],
    path: str,
    shape: Callable[[dict[str, Any]], dict[str, Any]] = lambda body: body,
) -> None:
    """A create with the bad element and an update of `row` with it both answer 422 naming `path`; no row is
    added and `row` keeps its version. `shape` tidies a body before it is sent."""
    model = type(row)._default_manager
    before = model.count()
    created = client.post(kind, shape(new_body))
    assert created.status == 422, created.body
    assert path in created.issue_paths()
    assert model.count() == before
    current = client.get(f"{kind}/{row.pk}").body
    updated = client.put(f"{kind}/{row.pk}", shape({**current, **change}))
    assert updated.status == 422, updated.body
    assert path in updated.issue_paths()
    version = row.version
    row.refresh_from_db()
    assert row.version == version


# --- care plans (test_care_plan.py, test_care_plan_search.py) ----------------------------------------------------
@pytest.fixture
def no_approval(settings) -> None:
    """Plans of the complex programme need a supervisor's approval by default; these come into force at once."""
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()


@pytest.fixture
def draft(world, no_approval) -> Plan:
    """Paula's care plan, not yet published (care_plan_kit.build_plan)."""
    return build_plan(world)


@pytest.fixture
def active(world, draft) -> Plan:
    """The same plan, published as its first version."""
    publish(world, draft.plan, "First version")
    return draft


# Bad input (test_bad_input.py, test_patient_input.py): a token of Alice and what must not change.
@pytest.fixture
def auth(world: World) -> dict[str, str]:
    _, secret = do_create_token(world.alice, name="bad-input", scopes=("user/*.*",))
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def snapshot(world: World):  # type: ignore[no-untyped-def]
    """What must not change: how many patients there are and Paula's version and name."""

    def take() -> tuple[int, int, str]:
        world.paula.refresh_from_db()
        return Patient.objects.count(), world.paula.version, world.paula.family_name

    return take
