"""An app opened from a chart (SMART EHR launch): the administrator registers it on Connected apps, the case
manager opens Paula's chart, chooses the app, sees what it asks for on the consent screen (laptop and phone) and
allows it; the app — played by the test with fhirclient, its web address answered by the browser's request
routing so nothing leaves the machine — gets a token bound to Paula and reads her record."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fhirclient import client as smart_client
from fhirclient.models.patient import Patient as SmartPatient

from careconductor.smart.models import SmartApp

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
