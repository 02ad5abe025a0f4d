"""SMART scope and registration rules as tables (SMART App Launch 2.2 scopes; smart/scopes.py, smart/rules.py)."""

from __future__ import annotations

import pytest

from careconductor.accounts.choices import Role
from careconductor.smart import rules, scopes

REGISTERED = ["launch", "launch/patient", "offline_access", "patient/*.rs", "user/Observation.cruds"]
APP = frozenset({"patient", "user"})


@pytest.mark.parametrize(
    ("requested", "contexts", "granted"),
    [
        (["patient/*.read"], APP, ["patient/*.rs"]),  # v1 spelled as v2
        (["patient/Observation.rs"], APP, ["patient/Observation.rs"]),  # narrower than registered
        (["patient/Observation.sr"], APP, []),  # letters out of order: not understood
        (["patient/*.cruds"], APP, []),  # more than registered
        (["user/Observation.rs", "user/Patient.rs"], APP, ["user/Observation.rs"]),
        (["system/*.rs"], APP, []),  # an app people open gets no system scopes
        (["openid", "fhirUser", "patient/*.rs"], APP, ["patient/*.rs"]),  # identity not offered
        (["launch", "launch/patient", "offline_access", "online_access"], APP, ["launch", "launch/patient", "offline_access"]),
        (["patient/*.rs", "patient/*.read"], APP, ["patient/*.rs"]),  # once
        (["patient/*.rs"], frozenset({"system"}), []),
    ],
)  # fmt: skip
def test_what_is_granted(requested: list[str], contexts: frozenset[str], granted: list[str]) -> None:
    assert scopes.grantable(requested, REGISTERED, contexts) == granted


@pytest.mark.parametrize(
    ("role", "asked", "has_patient", "kept"),
    [
        (Role.PATIENT, ["launch/patient", "patient/*.rs", "user/*.rs"], True, ["launch/patient", "patient/*.rs"]),
        (Role.CASE_MANAGER, ["patient/*.rs", "user/*.rs"], False, ["user/*.rs"]),
        (Role.CASE_MANAGER, ["launch/patient", "patient/*.rs"], True, ["launch/patient", "patient/*.rs"]),
        (Role.ADMIN, ["offline_access", "user/*.rs"], False, ["offline_access", "user/*.rs"]),
    ],
)  # fmt: skip
def test_what_a_role_can_give(role: Role, asked: list[str], has_patient: bool, kept: list[str]) -> None:
    assert rules.role_scopes(role, asked, has_patient=has_patient) == kept


@pytest.mark.parametrize(
    ("scope", "own", "words"),
    [
        ("patient/Observation.rs", False, "Read and search readings, results and scores of the chosen patient"),
        ("patient/*.rs", True, "Read and search all records in your record"),
        ("user/CarePlan.cu", False, "Add and change care plans you can see"),
        ("system/Patient.cruds", False, "Add, read, change, delete and search identity and contact details of the whole organisation"),
        ("offline_access", False, "Stay connected after you log out, until you revoke it"),
    ],
)  # fmt: skip
def test_scopes_in_words(scope: str, own: bool, words: str) -> None:
    assert scopes.describe(scope, own=own) == words


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://app.example.org/cb", None),
        ("http://127.0.0.1:8123/cb", None),
        ("http://localhost/cb", None),
        ("http://app.example.org/cb", "plain http:// is allowed only for localhost"),
        ("app.example.org/cb", "must be an absolute https:// address"),
        ("https://app.example.org/cb#x", "must not have a #fragment"),
        ("javascript:alert(1)", "must be an absolute https:// address"),
    ],
)
def test_redirect_addresses(uri: str, problem: str | None) -> None:
    found = rules.redirect_problem(uri)
    assert (found is None) if problem is None else (problem in (found or ""))


KEY = {"kty": "RSA", "kid": "k1", "n": "xyz", "e": "AQAB"}


@pytest.mark.parametrize(
    ("kind", "scopes_", "jwks", "user_org", "fields"),
    [
        ("backend", ["system/*.rs"], {"keys": [KEY]}, 1, set()),
        ("backend", ["system/*.rs"], {"keys": [{**KEY, "d": "secret"}]}, 1, {"jwks"}),  # a private key pasted
        ("backend", ["system/*.rs"], {}, 1, {"jwks"}),
        ("backend", ["patient/*.rs"], {"keys": [KEY]}, 1, {"allowed_scopes"}),
        ("backend", ["system/*.rs"], {"keys": [KEY]}, 2, {"service_user"}),  # another organisation's account
        ("backend", ["system/*.rs"], {"keys": [KEY]}, None, {"service_user"}),
        ("launch", ["patient/*.rs"], {}, None, set()),
        ("launch", ["system/*.rs"], {}, None, {"allowed_scopes"}),
        ("launch", ["patient/*.rz"], {}, None, {"allowed_scopes"}),
        ("launch", ["launch"], {}, None, {"allowed_scopes"}),  # no resource scope at all
    ],
)  # fmt: skip
def test_registrations(
    kind: str, scopes_: list[str], jwks: dict, user_org: int | None, fields: set[str]
) -> None:
    redirects = ["https://app.example.org/cb"] if kind == "launch" else []
    problems = rules.registration_problems(
        kind=kind,
        redirect_uris=redirects,
        allowed_scopes=scopes_,
        jwks=jwks,
        service_user_org=user_org,
        org_id=1,
    )
    assert set(problems) == fields
