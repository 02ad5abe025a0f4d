"""SMART App Launch and Backend Services with a real SMART client library (fhirclient 4.4.0, which runs the
OAuth flow itself: discovery through the CapabilityStatement, PKCE S256, the code exchange, refresh, and
client_credentials with a client assertion) against a live server. The person's part (log in, the consent
screen, the patient picker) is done with the test client on the same database; the assertion is signed with
PyJWT, not the jwcrypto the server checks it with."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from fhirclient import client as smart_client
from fhirclient.models.observation import Observation as SmartObservation
from fhirclient.models.patient import Patient as SmartPatient
from fhirclient.server import FHIRNotFoundException, FHIRUnauthorizedException
from jwcrypto import jwk

from careconductor.core import clock
from careconductor.engagement.actions import do_report_blood_pressure
from careconductor.privacy.models import AuditEvent
from careconductor.smart import actions
from careconductor.smart.models import AppKind, SmartApp
from tests.conftest import log_in
from tests.fhir.conftest import register_patient, validate_fhir
from tests.fhir.test_portal_observation import portal_login
from tests.personas import World

pytestmark = pytest.mark.django_db(transaction=True)

REDIRECT = "http://127.0.0.1:9/callback"  # a loopback app; the test reads the redirect, nothing listens there
_OPEN: list[smart_client.FHIRClient] = []


@pytest.fixture(autouse=True)
def _close_clients():  # type: ignore[no-untyped-def]
    yield
    while _OPEN:
        _OPEN.pop().server.session.close()


@pytest.fixture
def base(live_server) -> str:  # type: ignore[no-untyped-def]
    return live_server.url + "/fhir/r4"


def _register(world: World, **changes: object) -> SmartApp:
    details = {
        "name": "Blood pressure coach",
        "kind": AppKind.LAUNCH,
        "description": "Charts home readings",
        "redirect_uris": [REDIRECT],
        "launch_url": "https://coach.example.org/launch",
        "allowed_scopes": ["launch", "launch/patient", "offline_access", "patient/*.rs", "user/*.rs"],
        "confidential": False,
        "jwks": {},
        "service_user": None,
        **changes,
    }
    return actions.do_register_app(world.adam, actions.AppDetails(**details)).app  # type: ignore[arg-type]


def _client(app: SmartApp, base: str, scope: str, **settings: object) -> smart_client.FHIRClient:
    smart = smart_client.FHIRClient(
        settings={
            "app_id": app.client.client_id,
            "api_base": base,
            "redirect_uri": REDIRECT,
            "scope": scope,
            **settings,
        }
    )
    _OPEN.append(smart)
    return smart


def _as_live(browser: Client, base: str) -> Client:
    """The test client speaks as the live server's host, so `aud` and the FHIR base agree as in a browser."""
    browser.defaults["HTTP_HOST"] = urlsplit(base).netloc
    return browser


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _allow(browser: Client, authorize_url: str, **form: object) -> str:
    """The person allows the app on the consent screen; the redirect back to the app."""
    answer = browser.post(_path(authorize_url), {"allow": "yes", **form})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert answer["Location"].startswith(REDIRECT)
    return answer["Location"]


def test_staff_standalone_launch_with_the_patient_picker(world: World, base: str, client: Client) -> None:
    app = _register(world)
    other = register_patient(world.alice, "Omar", "Haddad")
    do_report_blood_pressure(world.alice, world.paula, systolic=150, diastolic=95)
    do_report_blood_pressure(world.alice, other, systolic=120, diastolic=80)
    smart = _client(app, base, "patient/*.rs offline_access")  # fhirclient adds launch/patient
    url = smart.authorize_url
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["aud"] == [base]

    browser = _as_live(log_in(client, world.alice), base)
    page = browser.get(_path(url))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Blood pressure coach wants to connect" in text
    assert "Read and search all records of the chosen patient" in text
    assert "Stay connected after you log out" in text
    assert "Reyes" not in text  # nobody is listed before a search
    found = browser.get(_path(url) + "&q=reyes").content.decode()
    assert "Paula Reyes" in found
    refused = browser.post(_path(url), {"allow": "yes"})  # no patient chosen
    assert refused.status_code == 400
    assert "Choose the patient the app will work with." in refused.content.decode()

    smart.handle_callback(_allow(browser, url, patient=world.paula.pk))
    assert smart.patient_id == str(world.paula.pk)
    assert smart.launch_context["need_patient_banner"] is True
    assert "patient/*.rs" in smart.launch_context["scope"].split()
    assert smart.server.auth.refresh_token  # offline_access asked for and granted

    read = SmartPatient.read(str(world.paula.pk), smart.server)
    assert read.name[0].family == "Reyes"
    with pytest.raises(FHIRNotFoundException):
        SmartPatient.read(str(other.pk), smart.server)  # alice sees Omar, but the app works on Paula only
    readings = list(
        SmartObservation.where(struct={"category": "vital-signs"}).perform_resources_iter(smart.server)
    )
    assert readings and {o.subject.reference for o in readings} == {f"Patient/{world.paula.pk}"}
    raw = requests.get(
        f"{base}/Patient/{world.paula.pk}",
        headers={"Authorization": f"Bearer {smart.server.auth.access_token}"},
        timeout=30,
    )
    validate_fhir(raw.json())

    old = smart.server.auth.access_token
    assert smart.reauthorize()  # refresh: a new token, still bound to Paula
    assert smart.server.auth.access_token != old
    assert smart.launch_context["patient"] == str(world.paula.pk)
    assert SmartPatient.read(str(world.paula.pk), smart.server).id == str(world.paula.pk)
    gone = requests.get(
        f"{base}/Patient/{world.paula.pk}", headers={"Authorization": f"Bearer {old}"}, timeout=30
    )
    assert gone.status_code == 401  # the refreshed token replaced it

    app.refresh_from_db()
    assert app.last_used_at is not None
    events = AuditEvent.objects.filter(object_type="SmartApp", object_id=str(app.pk))
    assert events.filter(detail__startswith="allowed app Blood pressure coach", patient=world.paula).exists()
    assert events.filter(detail__startswith="SMART token issued").count() == 2
    assert AuditEvent.objects.filter(
        user=world.alice, patient=world.paula, action="read", detail__contains=f"app {app.pk}"
    ).exists()  # reads through the app name the app

    actions.do_revoke_app(world.adam, app)
    refused_now = requests.get(
        f"{base}/Patient/{world.paula.pk}", headers={"Authorization": f"Bearer {smart.server.auth.access_token}"},
        timeout=30,
    )  # fmt: skip
    assert refused_now.status_code == 401
    with pytest.raises(FHIRUnauthorizedException):
        SmartPatient.read(str(world.paula.pk), smart.server)


def test_ehr_launch_from_the_chart(world: World, base: str, client: Client) -> None:
    app = _register(world)
    browser = _as_live(log_in(client, world.alice), base)
    opened = browser.post(f"/patients/{world.paula.pk}/apps/", {"app": app.pk})
    assert opened.status_code == 302
    launch = parse_qs(urlsplit(opened["Location"]).query)
    assert opened["Location"].startswith(app.launch_url)
    assert launch["iss"] == [base]

    smart = _client(
        app, launch["iss"][0], "patient/Observation.rs patient/Patient.rs", launch_token=launch["launch"][0]
    )
    url = smart.authorize_url
    assert "launch" in parse_qs(urlsplit(url).query)["scope"][0].split()
    consent = browser.get(_path(url)).content.decode()
    assert "Paula" in consent and 'name="patient"' not in consent  # the launch names the patient: no picker
    smart.handle_callback(_allow(browser, url))
    assert smart.patient_id == str(world.paula.pk)
    assert smart.server.auth.refresh_token is None  # no offline_access asked for: no refresh token
    assert SmartPatient.read(str(world.paula.pk), smart.server).id == str(world.paula.pk)

    again = browser.get(_path(url))  # a launch is used once
    assert again.status_code == 400
    assert "open the app again from the chart" in again.content.decode()
    stranger = log_in(Client(), world.charlie)  # another organisation: cannot open Paula's launcher
    assert stranger.post(f"/patients/{world.paula.pk}/apps/", {"app": app.pk}).status_code in (403, 404)


def test_patient_facing_launch_sees_only_their_own_record(world: World, base: str, client: Client) -> None:
    app = _register(world, allowed_scopes=["launch/patient", "patient/*.rs", "user/*.rs"])
    login = portal_login(world.alice, world.paula, "paula.reyes")
    do_report_blood_pressure(login, world.paula, systolic=140, diastolic=90)
    smart = _client(app, base, "patient/*.rs user/*.rs")
    url = smart.authorize_url
    browser = _as_live(log_in(client, login), base)
    consent = browser.get(_path(url)).content.decode()
    # Paula reads Spanish: the consent screen is in her language, and user/ scopes are not a patient's to give.
    assert 'lang="es"' in consent and "quiere conectarse" in consent
    assert (
        "Leer y buscar todos los datos de su expediente" in consent and "que usted puede ver" not in consent
    )
    smart.handle_callback(_allow(browser, url))
    assert smart.patient_id == str(world.paula.pk)
    assert smart.launch_context["scope"].split() == ["launch/patient", "patient/*.rs"]
    readings = list(
        SmartObservation.where(struct={"patient": str(world.paula.pk)}).perform_resources_iter(smart.server)
    )
    assert readings


def test_a_patient_disconnects_an_app_in_the_portal_and_its_tokens_stop(
    world: World, base: str, client: Client
) -> None:
    from oauth2_provider.models import AccessToken, RefreshToken

    app = _register(world)
    login = portal_login(world.alice, world.paula, "paula.reyes")
    smart = _client(app, base, "launch/patient patient/*.rs offline_access")
    url = smart.authorize_url
    browser = _as_live(log_in(client, login), base)
    smart.handle_callback(_allow(browser, url))
    assert SmartPatient.read(str(world.paula.pk), smart.server).id == str(world.paula.pk)
    # Someone else's connection to the same app is not Paula's to end.
    others = AccessToken.objects.create(user=world.alice, application=app.client, token="alice-token",
                                        expires=clock.now() + dt.timedelta(hours=1), scope="user/*.rs")  # fmt: skip
    page = browser.get("/portal/people/").content.decode()
    assert "Aplicaciones que permití" in page and "Blood pressure coach" in page
    assert "sigue conectada después de cerrar la sesión" in page  # offline_access: a refresh token
    done = browser.post(f"/portal/people/apps/{app.pk}/disconnect/")
    assert done.status_code == 302
    page = browser.get("/portal/people/").content.decode()
    assert "ya no puede usar su expediente" in page and "Ninguna aplicación." in page
    # Its access token and refresh token are gone: the next read is refused, and no refresh brings it back.
    with pytest.raises(FHIRUnauthorizedException):
        SmartPatient.read(str(world.paula.pk), smart.server)
    assert (
        not AccessToken.objects.filter(user=login).exists()
        and not RefreshToken.objects.filter(user=login).exists()
    )
    assert AccessToken.objects.filter(pk=others.pk).exists()
    event = AuditEvent.objects.get(user=login, detail="disconnected app Blood pressure coach")
    assert event.patient_id == world.paula.pk
    # Nothing left to take back, and another person's app is not hers to touch.
    assert browser.post(f"/portal/people/apps/{app.pk}/disconnect/").status_code == 404


def test_a_refused_consent_and_bad_requests_give_no_code(world: World, base: str, client: Client) -> None:
    app = _register(world)
    smart = _client(app, base, "patient/*.rs")
    url = smart.authorize_url
    browser = _as_live(log_in(client, world.alice), base)
    denied = browser.post(_path(url), {"allow": "no"})
    assert denied.status_code == 302
    back = parse_qs(urlsplit(denied["Location"]).query)
    assert back["error"] == ["access_denied"] and "code" not in back

    wrong_aud = url.replace("aud=", "aud=https%3A%2F%2Fevil.example%2Ffhir&x=")
    assert parse_qs(urlsplit(browser.get(_path(wrong_aud))["Location"]).query)["error"] == ["invalid_request"]
    no_pkce = "&".join(p for p in _path(url).split("&") if not p.startswith("code_challenge"))
    assert "error=invalid_request" in browser.get(no_pkce)["Location"]
    bad_redirect = _path(url).replace("127.0.0.1%3A9", "evil.example")
    assert browser.get(bad_redirect).status_code == 400  # never redirected to an unregistered address
    anonymous = Client().get(_path(url))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def _backend(world: World, key: rsa.RSAPrivateKey) -> SmartApp:
    public = jwk.JWK.from_pyca(key.public_key())
    public_json = json.loads(public.export_public())
    jwks = {"keys": [{**public_json, "kid": "k1", "alg": "RS384", "use": "sig"}]}
    return actions.do_register_app(world.adam, actions.AppDetails(
        name="Nightly warehouse feed", kind=AppKind.BACKEND, description="", redirect_uris=[], launch_url="",
        allowed_scopes=["system/*.rs"], confidential=True, jwks=jwks, service_user=world.adam,
    )).app  # fmt: skip


def _assertion(app: SmartApp, key: rsa.RSAPrivateKey, audience: str, **changes: object) -> str:
    now = int(clock.now().timestamp())
    claims = {"iss": app.client.client_id, "sub": app.client.client_id, "aud": audience, "exp": now + 240,
              "jti": str(uuid.uuid4()), **changes}  # fmt: skip
    return pyjwt.encode(claims, key, algorithm="RS384", headers={"kid": "k1", "typ": "JWT"})


def test_backend_services_with_a_signed_assertion(world: World, base: str, live_server) -> None:  # type: ignore[no-untyped-def]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app = _backend(world, key)
    token_url = live_server.url + "/oauth/token/"
    discovered = requests.get(f"{base}/.well-known/smart-configuration", timeout=30).json()
    assert discovered["token_endpoint"] == token_url
    assert "private_key_jwt" in discovered["token_endpoint_auth_methods_supported"]
    assert "S256" in discovered["code_challenge_methods_supported"]

    assertion = _assertion(app, key, token_url)
    smart = _client(app, base, "system/*.rs", jwt_token=assertion)
    smart.prepare()
    smart.authorize()
    assert smart.launch_context["scope"] == "system/*.rs"
    assert 0 < smart.launch_context.get("expires_in", 300) <= 300 or smart.server.auth.expires_at
    patients = list(SmartPatient.where(struct={"_count": "5"}).perform_resources_iter(smart.server))
    assert {p.id for p in patients} >= {str(world.paula.pk)} or len(patients) == 5

    def token(form_assertion: str) -> requests.Response:
        return requests.post(token_url, data={
            "grant_type": "client_credentials", "scope": "system/*.rs",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": form_assertion,
        }, timeout=30)  # fmt: skip

    assert token(assertion).status_code in (400, 401)  # the same jti again
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert token(_assertion(app, other_key, token_url)).status_code in (400, 401)  # not the registered key
    assert token(_assertion(app, key, base)).status_code in (
        400,
        401,
    )  # aud is the FHIR base, not the token URL
    assert token(_assertion(app, key, token_url, exp=int(clock.now().timestamp()) + 3600)).status_code in (
        400,
        401,
    )
    assert token(_assertion(app, key, token_url)).status_code == 200
    refusals = AuditEvent.objects.filter(action="login_failed", detail__startswith="token request refused")
    assert refusals.count() == 4
