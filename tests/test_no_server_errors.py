"""No page or endpoint answers 500 for anything a user can send.

Every URL pattern gets random query strings and random form fields (text in any script, 10,000-character
strings, NUL bytes, huge and negative numbers, impossible dates, repeated fields), as the people who use it
and as people who should not. Bad input is a 4xx with words, never a crash.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from .personas import World

pytestmark = pytest.mark.django_db


def _walk(patterns: list, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            found += _walk(p.url_patterns, prefix + (f"{p.namespace}:" if p.namespace else ""))
        else:
            found.append((prefix + (p.name or ""), p))
    return found


ALL_PATTERNS = dict(_walk(get_resolver().url_patterns))


def _form_field_names() -> list[str]:
    """Every field name of every form in the project, so random values reach the forms' parsing."""
    for app in apps.get_app_configs():
        if app.name.startswith("careconductor."):
            with contextlib.suppress(ModuleNotFoundError):
                importlib.import_module(f"{app.name}.forms")
    names: set[str] = set()
    pending: list[type[forms.Form]] = [forms.Form]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.startswith("careconductor."):
            names |= set(cls.base_fields)
    return sorted(names)


FIELD_NAMES = [
    *_form_field_names(),
    # Read straight from the request by views.
    "next",
    "page",
    "format",
    "patient_id",
    "username",
    "password",
]

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "2026-02-30",
    "2028-02-29",  # a leap day: "the same day n years earlier" does not exist (the accounting page crashed)
    "2026-13-01",
    "0000-00-00",
    "9999-12-31",
    "31/12/2026",
    "-1",
    "0",
    "99999999999999999999",
    "-99999999999999999999",
    "1e309",
    "NaN",
    "on",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "//evil.example/",
    "javascript:alert(1)",
    "\u202e\ufeff\U0001f600",
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(str),
    st.builds(lambda s, n: (s * n)[:10_000], st.text(min_size=1, max_size=3), st.integers(2_000, 10_000)),
)
fields = st.dictionaries(
    st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12)),
    st.lists(values, min_size=1, max_size=3),
    max_size=8,
)
BIG = 99999999999999999999


class EveryField(dict):
    """Every field name with one value. Hypothesis prints an explicit example's arguments each time it runs one;
    printed whole (hundreds of fields, 10,000-character values) that was a quarter of this module's time."""

    def __init__(self, value: Any) -> None:
        super().__init__(dict.fromkeys(FIELD_NAMES, value))
        self.value = value

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"every field = {str(self.value)[:60]!r}")


def _every_field(value: Any) -> dict[str, Any]:
    return EveryField(value)


def _url(name: str, world: World, ids: dict[str, int]) -> str:
    pattern = ALL_PATTERNS[name]
    known = {"patient_id": world.paula.pk, "case_id": world.paula_case.pk}
    if not pattern.pattern.converters and pattern.pattern.regex.groupindex:
        # The FHIR API's regex routes (fuzzed with tokens in tests/fhir/test_search.py).
        fhir = {
            "resource_type": "Patient",
            "resource_id": str(ids.get("patient_id", world.paula.pk)),
            "version_id": "1",
            "job_id": "00000000-0000-4000-8000-000000000000",
            "name": "Patient.ndjson",
        }
        return reverse(name, kwargs={k: fhir[k] for k in pattern.pattern.regex.groupindex})
    return reverse(name, kwargs={k: ids.get(k, known.get(k, 1)) for k in pattern.pattern.converters})


@pytest.fixture
def as_persona(request: pytest.FixtureRequest, world: World, login, client: Client) -> Client:
    """The test client, logged in as the test's `persona` once (hypothesis runs every example with it)."""
    persona = request.node.callspec.params["persona"]
    if persona == "anonymous":
        return client
    if persona == "bob before the second factor":
        return login(world.bob, second_factor=False)
    return login(getattr(world, persona))


# Known crashes in code this suite may not change; strict, so the mark must go when the bug is fixed.
KNOWN_CRASHES: dict[str, Any] = {}


def _cases() -> list[Any]:
    cases = []
    for name, pattern in ALL_PATTERNS.items():
        policy = pattern.callback.access_policy
        # The UM screens refuse case staff at the door: fuzz them as the UM nurse and the medical director, who
        # reach their forms.
        # The population pages likewise: the administrator reaches the registry forms, the supervisor the outcomes.
        personas = (
            ["uma", "mo"]
            if name.startswith("um:")
            else ["adam", "sam"]
            if name.startswith("population:")
            else ["alice", "sam"]
        )
        if policy != "staff":
            personas += ["anonymous", "bob before the second factor"]
        marks = [KNOWN_CRASHES[name]] if name in KNOWN_CRASHES else []
        cases += [pytest.param(name, persona, marks=marks) for persona in personas]
    return cases


def test_every_pattern_is_fuzzed() -> None:
    assert {case.values[0] for case in _cases()} == set(ALL_PATTERNS)
    assert {"given_on", "acuity_tier", "case_manager", "mfa_required_roles", "target"} <= set(FIELD_NAMES)


# Examples are derandomised, so a second pass would send the same random ones again: the PostgreSQL pass sends
# only the explicit examples below, which reach the database's own limits (NUL bytes, 10,000-character strings,
# ids past 64 bits) where PostgreSQL and SQLite differ. Two random examples per page and persona (about 1,200 in
# all) beside the three explicit ones: four cost a minute more of CI's time, where the suite is over its 20.
ON_POSTGRESQL = bool(os.environ.get("DATABASE_URL"))


@pytest.mark.parametrize(("name", "persona"), _cases())
@settings(
    max_examples=2,
    phases=[Phase.explicit] if ON_POSTGRESQL else list(Phase),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=fields,
    form=fields,
    ids=st.dictionaries(
        st.sampled_from(["patient_id", "case_id", "grant_id", "consent_id"]),
        st.one_of(st.integers(0, 5), st.just(BIG)),
        max_size=2,
    ),
)
# A field read once gets the last value, one read as a list all of them: unicode digits ("٣", "²": digits to
# Python's isdigit and int, not ids, core.ids) come first where the last value must stay what it was.
@example(
    query=_every_field(["\u0663", "\x00"]), form=_every_field(["\u00b2", "2026-02-30", "a\x00b"]), ids={}
)
@example(query=_every_field(str(BIG)), form=_every_field(str(-BIG)), ids={"case_id": BIG, "patient_id": BIG})
# 5,001 characters: past every form field's limit but three (10,000 and 20,000), and the whole form (343 fields)
# stays under Django's 2.5 MB upload limit, so the forms parse it (10,000 each was refused whole with a 400).
@example(query=_every_field(["abc", "\u00b2"]), form=_every_field(["\u0663", "x" * 5_001]), ids={})
def test_nothing_a_user_sends_causes_a_server_error(
    name: str,
    persona: str,
    query: dict[str, list[str]],
    form: dict[str, list[str]],
    ids: dict[str, int],
    world: World,
    as_persona: Client,
) -> None:
    # State carries over between examples (a random POST may change the case, or log the user out): that
    # is fine, every state a user can reach must answer without a crash too.
    url = _url(name, world, ids)

    got = as_persona.get(url, query)
    assert got.status_code < 500, f"GET {url} {query!r}: {got.status_code}"
    posted = as_persona.post(url, form)
    assert posted.status_code < 500, f"POST {url} {form!r}: {posted.status_code}"


@pytest.mark.parametrize(
    "path",
    [
        "/patients/abc/",
        "/patients/1.5/",
        "/patients/-1/",
        "/patients/%00/",
        "/patients/\u0663/",  # an Arabic-Indic digit three
        "/patients/99999999999999999999/",
        "/patients/99999999999999999999/conditions/",
        "/cases/abc/",
        "/cases/99999999999999999999/",
        "/cases/99999999999999999999/transition/",
        "/cases/99999999999999999999/assign/",
        "/cases/9223372036854775808/",  # one past the largest 64-bit id
        "/privacy/emergency-access/99999999999999999999/review/",
    ],
)
@pytest.mark.parametrize("persona", ["sam", "pia"])
def test_ids_that_are_not_numbers_or_too_big_are_not_found(
    path: str, persona: str, world: World, login
) -> None:
    client = login(getattr(world, persona))
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        # 403 only where the persona's role does not open that kind of page at all (sam and the privacy pages,
        # pia and the case pages), which the guard decides before looking at the id.
        assert response.status_code in (404, 403, 405), f"{method.upper()} {path}: {response.status_code}"
        if response.status_code == 403:
            assert path.startswith("/privacy/") == (persona == "sam")


def test_emergency_access_refuses_a_patient_id_that_is_not_a_number(world: World, login) -> None:
    client = login(world.alice)
    response = client.post(
        reverse("patients:emergency_access"),
        {
            "patient_id": "abc",
            "reason": "emergency_care",
            "explanation": "Called by the ED.",
            "acknowledge": "on",
        },
    )
    assert response.status_code == 200
    assert "Find the patient first." in response.content.decode()
