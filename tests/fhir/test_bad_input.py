"""Bad input to the FHIR API: every malformed, oversized, mistyped or unauthorised request gets a 4xx
OperationOutcome (never a 500) and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.accounts.actions import do_create_token, do_revoke_token
from careconductor.patients.models import Patient
from tests.personas import World

from .conftest import BASE, FHIR_JSON, validate_fhir

pytestmark = pytest.mark.django_db


def _outcome(response: Any, status: int) -> dict[str, Any]:
    """The response is the status asked for, as a FHIR OperationOutcome that validates."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = json.loads(response.content)
    validate_fhir(body)
    assert body["resourceType"] == "OperationOutcome", body
    assert body["issue"], body
    return body  # type: ignore[no-any-return]


def _diagnostics(body: dict[str, Any]) -> str:
    return " ".join(i.get("diagnostics", "") for i in body["issue"])


PATIENT = {
    "resourceType": "Patient",
    "name": [{"use": "official", "family": "Lindqvist", "given": ["Astrid"]}],
    "gender": "female",
    "birthDate": "1950-02-03",
}


# --- bodies ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"resourceType": "Patient",}',
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"   ",
        b'{"resourceType": "Patient", "name": [{"family": "A"}]',
    ],
)
def test_unparseable_json_is_400(client: Client, auth, snapshot, raw: bytes) -> None:
    before = snapshot()
    _outcome(client.post(BASE + "Patient", raw, content_type=FHIR_JSON, **auth), 400)
    _outcome(client.post(BASE, raw, content_type=FHIR_JSON, **auth), 400)
    assert snapshot() == before


@pytest.mark.parametrize("depth", [41, 1_000, 10_000, 100_000])
def test_deeply_nested_json_is_400(client: Client, auth, snapshot, depth: int) -> None:
    before = snapshot()
    lists = "[" * depth + "]" * depth
    objects = '{"a":' * depth + "1" + "}" * depth
    for raw in (lists, objects, '{"resourceType":"Patient","extension":' + lists + "}"):
        body = _outcome(client.post(BASE + "Patient", raw, content_type=FHIR_JSON, **auth), 400)
        assert "nested" in _diagnostics(body)
        _outcome(client.post(BASE, raw, content_type=FHIR_JSON, **auth), 400)
    assert snapshot() == before


def test_body_over_10_mb_is_413(client: Client, auth, snapshot) -> None:
    before = snapshot()
    big = json.dumps({**PATIENT, "text": {"status": "generated", "div": "x" * (10 * 1024 * 1024 + 10)}})
    _outcome(client.post(BASE + "Patient", big, content_type=FHIR_JSON, **auth), 413)
    _outcome(client.post(BASE, big, content_type=FHIR_JSON, **auth), 413)
    assert snapshot() == before


@pytest.mark.parametrize(
    "kind", ["text/plain", "application/xml", "application/fhir+xml", "multipart/form-data"]
)
def test_wrong_content_type_is_415(client: Client, world: World, auth, snapshot, kind: str) -> None:
    before = snapshot()
    body = json.dumps(PATIENT)
    _outcome(client.post(BASE + "Patient", body, content_type=kind, **auth), 415)
    _outcome(client.post(BASE, body, content_type=kind, **auth), 415)
    _outcome(client.put(BASE + f"Patient/{world.paula.pk}", body, content_type=kind, **auth), 415)
    assert snapshot() == before


def test_put_with_an_id_other_than_the_urls_is_400(client: Client, world: World, auth, snapshot) -> None:
    before = snapshot()
    current = json.loads(client.get(BASE + f"Patient/{world.paula.pk}", **auth).content)
    changed = {**current, "id": str(world.paula.pk + 1000), "name": [{"family": "Changed", "given": ["X"]}]}
    body = _outcome(
        client.put(BASE + f"Patient/{world.paula.pk}", json.dumps(changed), content_type=FHIR_JSON, **auth),
        400,
    )
    assert "Patient.id" in [p for i in body["issue"] for p in i.get("expression", [])]
    no_id = {k: v for k, v in changed.items() if k != "id"}
    _outcome(
        client.put(BASE + f"Patient/{world.paula.pk}", json.dumps(no_id), content_type=FHIR_JSON, **auth),
        400,
    )
    assert snapshot() == before


def test_body_of_another_type_is_400(client: Client, auth, snapshot) -> None:
    before = snapshot()
    other = {"resourceType": "Practitioner", "name": [{"family": "X"}]}
    _outcome(client.post(BASE + "Patient", json.dumps(other), content_type=FHIR_JSON, **auth), 400)
    not_a_resource = [PATIENT]
    _outcome(client.post(BASE + "Patient", json.dumps(not_a_resource), content_type=FHIR_JSON, **auth), 400)
    assert snapshot() == before


# --- content negotiation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml", "text/html", "text/turtle"])
def test_accept_of_a_format_not_served_is_406(client: Client, world: World, auth, accept: str) -> None:
    for path in (f"Patient/{world.paula.pk}", "Patient?family=Reyes", "metadata"):
        _outcome(client.get(BASE + path, HTTP_ACCEPT=accept, **auth), 406)


@pytest.mark.parametrize("fmt", ["xml", "application/fhir+xml", "ttl", "html"])
def test_format_parameter_not_served_is_406(client: Client, world: World, auth, fmt: str) -> None:
    for path in (
        f"Patient/{world.paula.pk}?_format={fmt}",
        f"Patient?_format={fmt}",
        f"metadata?_format={fmt}",
    ):
        _outcome(client.get(BASE + path, **auth), 406)


def test_json_accept_and_format_are_served(client: Client, world: World, auth) -> None:
    for headers in ({"HTTP_ACCEPT": "application/fhir+json"}, {"HTTP_ACCEPT": "application/json, */*;q=0.1"}):
        assert client.get(BASE + f"Patient/{world.paula.pk}", **headers, **auth).status_code == 200
    assert client.get(BASE + f"Patient/{world.paula.pk}?_format=json", **auth).status_code == 200


# --- search parameters ---------------------------------------------------------------------------------------


def test_unknown_search_parameter_is_400_naming_it(client: Client, auth) -> None:
    body = _outcome(client.get(BASE + "Patient?shoe-size=44", **auth), 400)
    assert "shoe-size" in _diagnostics(body)
    assert "shoe-size" in [p for i in body["issue"] for p in i.get("expression", [])]
    body = _outcome(client.get(BASE + "Patient?family=Reyes&name.given=Paula", **auth), 400)
    assert "name.given" in _diagnostics(body)


def test_control_characters_of_a_bad_parameter_are_written_out_in_the_outcome(client: Client, auth) -> None:
    # R4 strings should not hold them, and Medplum's validator refuses an outcome that does (found by it).
    body = _outcome(client.get(BASE + "Patient?shoe%08size=44", **auth), 400)
    assert body["issue"][0]["expression"] == ["shoe\\u0008size"]
    assert "\x08" not in _diagnostics(body)


def test_unknown_search_parameter_with_lenient_handling_is_a_warning(
    client: Client, world: World, auth
) -> None:
    response = client.get(BASE + "Patient?family=Reyes&shoe-size=44", HTTP_PREFER="handling=lenient", **auth)
    assert response.status_code == 200, response.content
    bundle = json.loads(response.content)
    validate_fhir(bundle)
    matches = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    assert matches == [str(world.paula.pk)]
    outcomes = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert len(outcomes) == 1 and outcomes[0]["resourceType"] == "OperationOutcome"
    assert outcomes[0]["issue"][0]["severity"] == "warning"
    assert "shoe-size" in outcomes[0]["issue"][0]["diagnostics"]
    # The links never carry the ignored parameter forward.
    assert all("shoe-size" not in link["url"] for link in bundle["link"])


@pytest.mark.parametrize(
    "query",
    [
        "birthdate=ge20x",
        "birthdate=1956-13-01",
        "birthdate=1956-02-30",
        "birthdate=gt",
        "birthdate=",
        "birthdate=ge1956-03-14T25:00",
        "_lastUpdated=lt2026-99",
        "_count=abc",
        "_count=-1",
        "_sort=shoe-size",
        "_summary=data",
        "gender:fuzzy=female",
        "family:missing=true",
        "_include=Patient:nothing",
        "_include=Nothing:patient",
        "_revinclude=Patient",
        "_include=a:b:c:d",
    ],
)
def test_bad_search_values_are_400(client: Client, auth, query: str) -> None:
    _outcome(client.get(BASE + "Patient?" + query, **auth), 400)


def test_tampered_page_token_is_400(client: Client, world: World, auth) -> None:
    for n in range(3):
        client.post(
            BASE + "Patient",
            json.dumps({**PATIENT, "name": [{"family": "Reyesa", "given": [f"N{n}"]}]}),
            content_type=FHIR_JSON,
            **auth,
        )
    first = json.loads(client.get(BASE + "Patient?family=Reyes&_count=1", **auth).content)
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    token = following.split("_page=")[1]
    assert client.get(following, **auth).status_code == 200
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (tampered, "x", "", "eyJzIjo5OTk5OTk5OSwibyI6MH0:bogus:signature", "%00%ff"):
        _outcome(client.get(BASE + f"Patient?family=Reyes&_count=1&_page={bad}", **auth), 400)


# --- authentication and routes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer cc_not-a-real-token",
        "Basic YWxpY2U6cGFzcw==",
        "bearer\x00x",
        "Token abc",
    ],
)
def test_missing_or_invalid_token_is_401_with_www_authenticate(client: Client, world: World, header) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    for path in (
        f"Patient/{world.paula.pk}",
        "Patient?family=Reyes",
        f"Patient/{world.paula.pk}/$everything",
    ):
        response = client.get(BASE + path, **extra)
        _outcome(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
    response = client.post(BASE + "Patient", json.dumps(PATIENT), content_type=FHIR_JSON, **extra)
    _outcome(response, 401)
    assert "WWW-Authenticate" in response


def test_revoked_token_is_401(client: Client, world: World, snapshot) -> None:
    token, secret = do_create_token(world.alice, name="soon revoked", scopes=("user/*.*",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(BASE + f"Patient/{world.paula.pk}", **auth).status_code == 200
    do_revoke_token(world.alice, token)
    before = snapshot()
    response = client.get(BASE + f"Patient/{world.paula.pk}", **auth)
    _outcome(response, 401)
    assert "WWW-Authenticate" in response
    _outcome(client.post(BASE + "Patient", json.dumps(PATIENT), content_type=FHIR_JSON, **auth), 401)
    assert snapshot() == before


def test_a_session_cookie_is_no_substitute_for_a_token(client: Client, world: World) -> None:
    client.force_login(world.alice)
    _outcome(client.get(BASE + f"Patient/{world.paula.pk}"), 401)


@pytest.mark.parametrize("kind", ["MedicationDispense", "Foo", "Patients", "OperationOutcome"])
def test_unknown_resource_type_is_404(client: Client, auth, kind: str) -> None:
    _outcome(client.get(BASE + kind, **auth), 404)
    _outcome(client.get(BASE + f"{kind}/1", **auth), 404)
    _outcome(
        client.post(BASE + kind, json.dumps({"resourceType": kind}), content_type=FHIR_JSON, **auth), 404
    )


def test_unknown_or_odd_ids_are_404(client: Client, auth) -> None:
    for resource_id in ("999999999", "abc", "1.5", "-1", "0", "9" * 40):
        _outcome(client.get(BASE + f"Patient/{resource_id}", **auth), 404)
        _outcome(client.get(BASE + f"Patient/{resource_id}/_history", **auth), 404)
        _outcome(client.get(BASE + f"Patient/{resource_id}/$everything", **auth), 404)


def test_delete_is_405(client: Client, world: World, auth, snapshot) -> None:
    before = snapshot()
    _outcome(client.delete(BASE + f"Patient/{world.paula.pk}", **auth), 405)
    _outcome(client.delete(BASE + "Patient", **auth), 405)
    _outcome(client.delete(BASE + "Patient?family=Reyes", **auth), 405)
    assert snapshot() == before


def test_other_methods_are_405(client: Client, world: World, auth, snapshot) -> None:
    before = snapshot()
    _outcome(client.patch(BASE + f"Patient/{world.paula.pk}", "[]", content_type=FHIR_JSON, **auth), 405)
    _outcome(client.get(BASE, **auth), 405)
    _outcome(client.put(BASE + "Patient", json.dumps(PATIENT), content_type=FHIR_JSON, **auth), 405)
    _outcome(
        client.post(BASE + f"Patient/{world.paula.pk}/_history", "{}", content_type=FHIR_JSON, **auth), 405
    )
    _outcome(client.post(BASE + "metadata", "{}", content_type=FHIR_JSON, **auth), 405)
    assert snapshot() == before


# --- bundles -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bundle",
    [
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "searchset"},
        {"resourceType": "Bundle", "type": "transaction", "entry": {"not": "a list"}},
        {"resourceType": "Bundle", "type": "transaction", "entry": [1, 2]},
        {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": PATIENT}]},
        {"resourceType": "Bundle", "type": "transaction", "entry": [{"request": {"method": "POST"}}]},
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}},
                {"resource": PATIENT, "request": {"method": "DELETE", "url": "Patient/1"}},
            ],
        },
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}},
                {
                    "resource": {**PATIENT, "managingOrganization": {"reference": "urn:uuid:nowhere"}},
                    "request": {"method": "POST", "url": "Patient"},
                },
            ],
        },
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}},
                {
                    "resource": {**PATIENT, "birthDate": "1950-02-31"},
                    "request": {"method": "POST", "url": "Patient"},
                },
            ],
        },
    ],
)
def test_bad_transactions_change_nothing(client: Client, auth, snapshot, bundle: dict[str, Any]) -> None:
    before = snapshot()
    response = client.post(BASE, json.dumps(bundle), content_type=FHIR_JSON, **auth)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    _outcome(response, response.status_code)
    assert snapshot() == before


def test_too_many_bundle_entries_is_413(client: Client, auth, snapshot) -> None:
    before = snapshot()
    entry = {"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}}
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [entry] * 5001}
    _outcome(client.post(BASE, json.dumps(bundle), content_type=FHIR_JSON, **auth), 413)
    assert snapshot() == before


# --- arbitrary JSON -----------------------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        ["Patient", "Bundle", "transaction", "batch", "POST", "PUT", "GET", "urn:uuid:1", "1950-01-01"]
    )
)
KEYS = st.text(max_size=12) | st.sampled_from(
    [
        "resourceType",
        "id",
        "name",
        "family",
        "given",
        "birthDate",
        "gender",
        "identifier",
        "system",
        "value",
        "extension",
        "url",
        "entry",
        "request",
        "method",
        "resource",
        "fullUrl",
        "reference",
        "type",
        "telecom",
        "communication",
    ]
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)
PATIENTISH = st.dictionaries(KEYS, JSON, max_size=6).map(lambda d: {**d, "resourceType": "Patient"})
BUNDLEISH = st.builds(
    lambda kind, entries: {"resourceType": "Bundle", "type": kind, "entry": entries},
    st.sampled_from(["transaction", "batch"]),
    st.lists(
        st.builds(
            lambda method, url, resource, extra: {
                "request": {"method": method, "url": url},
                "resource": resource,
                **extra,
            },
            st.sampled_from(["POST", "PUT", "GET", "DELETE", "PATCH", 3]),
            st.sampled_from(
                ["Patient", "Patient/1", "Patient/abc", "Patient?family=x", "", "Patient/1/_history/1", "Foo"]
            )
            | st.text(max_size=15),
            PATIENTISH | JSON,
            st.dictionaries(st.sampled_from(["fullUrl", "ifNoneExist"]), st.text(max_size=15), max_size=2),
        ),
        max_size=4,
    ),
)


def _dumps(value: Any) -> str:
    return json.dumps(value)  # NaN and Infinity go out as the bare words, which a lenient parser might take


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON | PATIENTISH)
def test_arbitrary_json_to_patient_never_500s(client: Client, auth, body: Any) -> None:
    before = Patient.objects.count()
    response = client.post(BASE + "Patient", _dumps(body), content_type=FHIR_JSON, **auth)
    assert response.status_code < 500, (response.status_code, body, response.content[:500])
    validate_fhir(json.loads(response.content))
    if response.status_code != 201:
        assert Patient.objects.count() == before, body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON | PATIENTISH | BUNDLEISH)
def test_arbitrary_json_to_the_base_never_500s(client: Client, auth, body: Any) -> None:
    before = Patient.objects.count()
    response = client.post(BASE, _dumps(body), content_type=FHIR_JSON, **auth)
    assert response.status_code < 500, (response.status_code, body, response.content[:500])
    answer = json.loads(response.content)
    validate_fhir(answer)
    # A batch may create some entries and refuse others, and a transaction that succeeded created its
    # entries; anything else created nothing.
    if not (response.status_code == 200 and answer.get("type") in ("batch-response", "transaction-response")):
        assert Patient.objects.count() == before, body


def test_nan_and_infinity_are_refused(client: Client, auth, snapshot) -> None:
    before = snapshot()
    for raw in (
        '{"resourceType": "Patient", "birthDate": NaN}',
        '{"resourceType": "Patient", "x": Infinity}',
    ):
        response = client.post(BASE + "Patient", raw, content_type=FHIR_JSON, **auth)
        assert 400 <= response.status_code < 500
        _outcome(response, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "Patient/abc_def",  # an id with a character FHIR ids do not have
        "Patient/" + "7" * 65,  # longer than an id may be
        "Spaceship/1/$launch",
        "Patient/1/$unknown-operation",
        "metadata/extra",
    ],
)
def test_paths_that_name_no_interaction_answer_an_operation_outcome(
    client: Client, auth: dict[str, str], path: str
) -> None:
    """Every error under /fhir/ is JSON: an unknown path is a 404 OperationOutcome, not Django's HTML page."""
    body = _outcome(client.get(BASE + path, **auth), 404)
    assert body["issue"][0]["code"] == "not-found" and "No FHIR interaction" in _diagnostics(body)
    _outcome(client.get(BASE + path), 401)  # without a token: refused first, as JSON too


def test_a_transaction_posted_to_the_base_without_its_slash_is_processed(
    client: Client, auth: dict[str, str], snapshot
) -> None:  # type: ignore[no-untyped-def]
    """POST /fhir/r4 (no trailing slash) is the base: no 301, which clients turn into a GET."""
    before = snapshot()
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"fullUrl": "urn:uuid:astrid", "resource": PATIENT, "request": {"method": "POST", "url": "Patient"}}]}  # fmt: skip
    response = client.post(BASE.rstrip("/"), json.dumps(bundle), content_type=FHIR_JSON, **auth)
    assert response.status_code == 200, response.content[:300]
    reply = json.loads(response.content)
    assert reply["type"] == "transaction-response" and reply["entry"][0]["response"]["status"].startswith(
        "201"
    )
    assert snapshot()[0] == before[0] + 1
    _outcome(client.get(BASE.rstrip("/"), **auth), 405)  # the base takes only a POST


def test_ids_are_read_one_way_unicode_digits_are_not_numbers(
    client: Client, auth: dict[str, str], world: World
) -> None:
    """ "²" and "٣" are digits to Python's isdigit and int: not ids here (core.ids), in search and in references."""
    pk = str(world.paula.pk)
    arabic = "".join(chr(0x0660 + int(d)) for d in pk)  # Paula's id in Arabic-Indic digits
    for query in (f"_id={arabic}", "_id=\u00b2", f"subject=Patient/{arabic}"):
        kind = "Condition" if query.startswith("subject") else "Patient"
        response = client.get(f"{BASE}{kind}?{query}", **auth)
        assert response.status_code == 200, (query, response.content[:200])
        assert json.loads(response.content).get("total", 0) == 0, query  # no match, not Paula
    assert json.loads(client.get(f"{BASE}Patient?_id={pk}", **auth).content)["total"] == 1
    _outcome(client.get(f"{BASE}Patient?_count=\u00b2", **auth), 400)
    condition = {"resourceType": "Condition", "subject": {"reference": f"Patient/{arabic}"},
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"}]}}  # fmt: skip
    refused = client.post(f"{BASE}Condition", json.dumps(condition), content_type=FHIR_JSON, **auth)
    assert 400 <= refused.status_code < 500, refused.content[:200]


def test_text_longer_than_its_column_is_refused_naming_the_element(
    client: Client, auth: dict[str, str], snapshot
) -> None:  # type: ignore[no-untyped-def]
    """A 200-character family name (the column holds 100): a 422 naming Patient.name.family on both databases —
    PostgreSQL answered 500, SQLite stored it whole — and nothing is created (core.lengths)."""
    before = snapshot()
    long_name = {**PATIENT, "name": [{"use": "official", "family": "L" * 200, "given": ["Astrid"]}]}
    body = _outcome(client.post(f"{BASE}Patient", json.dumps(long_name), content_type=FHIR_JSON, **auth), 422)
    assert "Keep it to 100 characters (this has 200)" in _diagnostics(body)
    assert body["issue"][0]["expression"] == ["Patient.name.family"]
    assert snapshot() == before
