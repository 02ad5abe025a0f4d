"""An app opened from a chart (SMART EHR launch): the administrator registers it on Connected apps, the case
manager opens Paula's chart, chooses the app, sees what it asks for on the consent screen (laptop and phone) and
allows it; the app — played by the test with fhirclient, its web address answered by the browser's request
routing so nothing leaves the machine — gets a token bound to Paula and reads her record."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fhirclient import client as smart_client
from fhirclient.models.patient import Patient as SmartPatient
from fhirclient.server import FHIRUnauthorizedException

from careconductor.smart import actions
from careconductor.smart.models import AppKind, SmartApp

from ..fhir.test_portal_observation import portal_login
from ..personas import build_world
from .test_morning import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

APP = "http://127.0.0.1:9"  # the app's address: answered by page.route, never reached


def test_a_case_manager_opens_an_app_from_the_chart(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    admin_ctx, page = log_in(browser, live_server.url, world.adam, {"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/setup/apps/")
    page.get_by_label("Name").fill("Blood pressure coach")
    page.get_by_label("What it does").fill("Charts home readings with the patient")
    page.get_by_label("Scopes it may ask for").fill("launch patient/*.rs")
    page.get_by_label("Redirect addresses").fill(f"{APP}/callback")
    page.get_by_label("Launch address").fill(f"{APP}/launch")
    page.get_by_role("button", name="Register").click()
    assert "Blood pressure coach registered." in page.locator(".flash").inner_text()
    screenshot("smart-app-registered", page)
    admin_ctx.close()
    app = SmartApp.objects.select_related("client").get()

    for label, viewport in (
        ("laptop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        context, page = log_in(browser, live_server.url, world.alice, viewport)
        smart: dict[str, smart_client.FHIRClient] = {}

        def the_app(route, request, smart=smart) -> None:  # type: ignore[no-untyped-def]
            """The app's two pages: launch (start the authorisation) and callback (take the code)."""
            url = request.url
            if "/launch" in url:
                query = parse_qs(urlsplit(url).query)
                client = smart_client.FHIRClient(settings={
                    "app_id": app.client.client_id, "api_base": query["iss"][0], "redirect_uri": f"{APP}/callback",
                    "scope": "patient/*.rs", "launch_token": query["launch"][0],
                })  # fmt: skip
                smart["client"] = client
                route.fulfill(status=302, headers={"Location": client.authorize_url})
            else:
                smart["client"].handle_callback(url)
                route.fulfill(status=200, content_type="text/html", body="<h1>Connected</h1>")

        page.route(f"{APP}/**", the_app)
        page.goto(f"{live_server.url}/patients/{world.paula.pk}/")
        page.get_by_role("link", name="Open in an app").click()
        page.get_by_role("button", name="Open").click()
        page.wait_for_url(lambda url: "/oauth/authorize/" in url)
        consent = page.locator("main").inner_text()
        assert "Blood pressure coach wants to connect" in consent
        assert "Read and search all records of the chosen patient" in consent
        assert "Paula Reyes" in consent
        screenshot(f"smart-consent-{label}", page)
        page.get_by_role("button", name="Allow", exact=True).click()
        page.wait_for_url(lambda url: url.startswith(f"{APP}/callback"))
        assert "Connected" in page.content()
        client = smart["client"]
        assert client.patient_id == str(world.paula.pk)
        assert SmartPatient.read(str(world.paula.pk), client.server).name[0].family == "Reyes"
        client.server.session.close()
        context.close()


def test_a_patient_connects_an_app_and_disconnects_it_in_the_portal(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    """Paula (who reads Spanish) connects the blood pressure app on her phone, finds it in the portal under the
    people who help her, and disconnects it: the app's next read is refused."""
    world = build_world()
    app = actions.do_register_app(world.adam, actions.AppDetails(
        name="Blood pressure coach", kind=AppKind.LAUNCH, description="Charts home readings",
        redirect_uris=[f"{APP}/callback"], launch_url="", allowed_scopes=["launch/patient", "patient/*.rs",
        "offline_access"], confidential=False, jwks={}, service_user=None,
    )).app  # fmt: skip
    login = portal_login(world.alice, world.paula, "paula.reyes")
    context, page = log_in(browser, live_server.url, login, {"width": 390, "height": 844})
    client = smart_client.FHIRClient(settings={
        "app_id": app.client.client_id, "api_base": f"{live_server.url}/fhir/r4", "redirect_uri": f"{APP}/callback",
        "scope": "launch/patient patient/*.rs offline_access",
    })  # fmt: skip

    def the_app(route, request) -> None:  # type: ignore[no-untyped-def]
        client.handle_callback(request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Connected</h1>")

    page.route(f"{APP}/**", the_app)
    page.goto(client.authorize_url)
    consent = page.locator("main").inner_text()
    assert "Puede desconectarla cuando quiera en el portal" in consent
    page.get_by_role("button", name="Permitir", exact=True).click()
    page.wait_for_url(lambda url: url.startswith(f"{APP}/callback"))
    assert SmartPatient.read(str(world.paula.pk), client.server).id == str(world.paula.pk)

    page.goto(f"{live_server.url}/portal/people/")
    apps = page.locator("#apps + p + ul").inner_text()
    assert "Blood pressure coach" in apps and "sigue conectada" in apps
    screenshot("portal-apps-phone", page)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("portal-apps-laptop", page)
    page.get_by_role("button", name="Desconectar").click()
    assert "ya no puede usar su expediente" in page.locator("main").inner_text()
    assert "Ninguna aplicación." in page.locator("#apps + p + ul").inner_text()
    with pytest.raises(FHIRUnauthorizedException):
        SmartPatient.read(str(world.paula.pk), client.server)
    client.server.session.close()
    context.close()
