"""The demo's SMART apps: an app staff and patients open (standalone, from a chart, or from the portal) and a
nightly system feed with its own key pair, the private key kept in the data folder for a newcomer to try."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from jwcrypto import jwk
from oauth2_provider.models import AccessToken, RefreshToken

from careconductor.accounts.models import Organization, User
from careconductor.core import clock
from careconductor.patients.models import Patient
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.smart.actions import AppDetails, do_register_app
from careconductor.smart.models import AppKind, SmartApp, TokenContext

KEY_FILE = "demo-feed-key.pem"


def add_smart_scenario(org: Organization) -> int:
    """Register the two apps; returns how many."""
    admin = User.objects.get(organization=org, username="admin")
    do_register_app(
        admin,
        AppDetails(
            name="Blood pressure coach",
            kind=AppKind.LAUNCH,
            description="Charts home blood pressure readings with the patient",
            redirect_uris=["http://localhost:8765/callback"],
            launch_url="http://localhost:8765/launch",
            allowed_scopes=["launch", "launch/patient", "offline_access", "patient/*.rs", "user/*.rs"],
            confidential=False,
            jwks={},
            service_user=None,
        ),
    )
    # The key is made afresh for each demo (never the same private key in two installations).
    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwk.JWK.from_pyca(key.public_key()).export_public())
    do_register_app(
        admin,
        AppDetails(
            name="Nightly data warehouse",
            kind=AppKind.BACKEND,
            description="Copies the organisation's records to the analytics warehouse every night ($export)",
            redirect_uris=[],
            launch_url="",
            allowed_scopes=["system/*.rs"],
            confidential=True,
            jwks={"keys": [{**public, "kid": "warehouse-1", "alg": "ES384", "use": "sig"}]},
            service_user=admin,
        ),
    )
    path = Path(settings.DATA_HOME) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return 2


def add_portal_app_connection(org: Organization) -> bool:
    """The demo patient allowed the blood pressure app on their phone a week ago, staying connected: the portal
    lists it under People who help me, where it can be disconnected. Tokens as the authorisation server makes
    them (random, kept hashed by django-oauth-toolkit), bound to the patient's record."""
    login = User.objects.filter(username="patient").first()
    patient = Patient.objects.filter(portal_user=login).first() if login is not None else None
    app = SmartApp.objects.filter(organization=org, client__name="Blood pressure coach").select_related(
        "client"
    )
    found = app.first()
    if login is None or patient is None or found is None:
        return False
    allowed = clock.now() - dt.timedelta(days=7)
    scope = "launch/patient patient/*.rs offline_access"
    access = AccessToken.objects.create(
        user=login, application=found.client, token=secrets.token_urlsafe(32), scope=scope,
        expires=clock.now() + dt.timedelta(hours=1),
    )  # fmt: skip
    RefreshToken.objects.create(user=login, application=found.client, token=secrets.token_urlsafe(32),
                                access_token=access)  # fmt: skip
    AccessToken.objects.filter(pk=access.pk).update(created=allowed)
    TokenContext.objects.create(access_token=access, patient=patient)
    audit.record(
        login,
        AuditAction.UPDATE,
        patient=patient,
        obj=found,
        detail=f"allowed app {found.client.name}: {scope}",
    )
    return True
