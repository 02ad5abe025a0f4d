"""The administrator's Connected apps pages: register (errors beside fields), the secret shown once, last use,
revoke; nobody else reaches them."""

from __future__ import annotations

import pytest
from oauth2_provider.models import Application

from careconductor.smart.models import SmartApp
from tests.personas import World

pytestmark = pytest.mark.django_db


def test_register_show_the_secret_once_and_revoke(world: World, login) -> None:  # type: ignore[no-untyped-def]
    admin = login(world.adam)
    empty = admin.get("/setup/apps/")
    assert empty.status_code == 200 and "No apps yet." in empty.content.decode()

    wrong = admin.post("/setup/apps/", {"name": "Coach", "kind": "launch", "allowed_scopes": "patient/*.rs",
                                        "redirect_uris": "http://coach.example.org/cb"})  # fmt: skip
    assert wrong.status_code == 400
    assert "plain http:// is allowed only for localhost" in wrong.content.decode()
    assert not SmartApp.objects.exists()

    made = admin.post("/setup/apps/", {"name": "Coach", "kind": "launch", "allowed_scopes": "patient/*.rs launch",
                                       "redirect_uris": "https://coach.example.org/cb", "confidential": "on"})  # fmt: skip
    app = SmartApp.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/setup/apps/{app.pk}/"
    page = admin.get(made["Location"]).content.decode()
    assert "shown only once" in page
    secret = page.split('id="client-secret">')[1].split("<")[0]
    assert len(secret) > 30
    assert Application.objects.get().client_secret != secret  # only a hash is kept
    assert "shown only once" not in admin.get(made["Location"]).content.decode()

    assert admin.post(f"/setup/apps/{app.pk}/").status_code == 302
    app.refresh_from_db()
    assert app.revoked_at is not None and app.revoked_by == world.adam
    assert "Revoked" in admin.get("/setup/apps/").content.decode()

    other = login(world.charlie)  # another organisation's case manager
    assert other.get(f"/setup/apps/{app.pk}/").status_code == 403
    assert login(world.alice).get("/setup/apps/").status_code == 403
