"""What changes SMART apps: registering and revoking them (an administrator), launching one from a chart,
authorising one and taking that back (the person who uses it). Each is one transaction and audited."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .models import AppKind, Launch, SmartApp, TokenContext

LAUNCH_VALID_FOR = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class AppDetails:
    name: str
    kind: str
    description: str
    redirect_uris: list[str]
    launch_url: str
    allowed_scopes: list[str]
    confidential: bool
    jwks: dict[str, Any]
    service_user: User | None


@dataclass(frozen=True)
class Registered:
    app: SmartApp
    client_secret: str  # shown once; only its hash is kept


def do_register_app(admin: User, details: AppDetails) -> Registered:
    org_id = policy.require_admin(admin, "Only an administrator registers apps.")
    problems = rules.registration_problems(
        kind=details.kind,
        redirect_uris=details.redirect_uris,
        allowed_scopes=details.allowed_scopes,
        jwks=details.jwks,
        service_user_org=details.service_user.organization_id if details.service_user else None,
        org_id=org_id,
    )
    if problems:
        raise ActionRefused(problems)
    backend = details.kind == AppKind.BACKEND
    secret = secrets.token_urlsafe(32) if details.confidential and not backend else ""
    with transaction.atomic():
        client = Application(
            name=details.name,
            client_type=Application.CLIENT_CONFIDENTIAL if backend or secret else Application.CLIENT_PUBLIC,
            authorization_grant_type=(
                Application.GRANT_CLIENT_CREDENTIALS if backend else Application.GRANT_AUTHORIZATION_CODE
            ),
            redirect_uris=" ".join(details.redirect_uris),
            client_secret=secret,
            hash_client_secret=True,
            skip_authorization=False,
            algorithm="",
        )
        client.save()
        app = SmartApp.objects.create(
            client=client,
            organization_id=org_id,
            kind=details.kind,
            description=details.description,
            launch_url=details.launch_url if not backend else "",
            allowed_scopes=" ".join(details.allowed_scopes),
            jwks=details.jwks if backend else {},
            service_user=details.service_user if backend else None,
            registered_by=admin,
        )
        audit.record(admin, AuditAction.CREATE, obj=app, detail=f"registered app {details.name}"[:200])
    return Registered(app=app, client_secret=secret)


def do_revoke_app(admin: User, app: SmartApp) -> SmartApp:
    """Revoke an app: its tokens stop working at once and it can get no more."""
    org_id = policy.require_admin(admin, "Only an administrator revokes apps.")
    if app.organization_id != org_id:
        raise ActionRefused("No such app.")
    if app.revoked_at is not None:
        raise ActionRefused("The app is already revoked.")
    with transaction.atomic():
        app.revoked_at, app.revoked_by = clock.now(), admin
        app.save(update_fields=["revoked_at", "revoked_by"])
        RefreshToken.objects.filter(application=app.client).delete()
        AccessToken.objects.filter(application=app.client).delete()
        Grant.objects.filter(application=app.client).delete()
        audit.record(admin, AuditAction.UPDATE, obj=app, detail=f"revoked app {app.client.name}"[:200])
    return app


def do_disconnect_app(user: User, app: SmartApp) -> SmartApp:
    """A person takes back what they allowed an app: their own tokens for it stop at once (others' stay; the app
    stays registered). Recorded on each record the app could reach for them."""
    with transaction.atomic():
        tokens = AccessToken.objects.filter(user=user, application=app.client)
        refresh = RefreshToken.objects.filter(user=user, application=app.client)
        if not (
            tokens.filter(expires__gt=clock.now()).exists() or refresh.filter(revoked__isnull=True).exists()
        ):
            raise ActionRefused(_("This app has no access to take back."))
        patients = set(
            TokenContext.objects.filter(access_token__in=tokens).values_list("patient_id", flat=True)
        )
        refresh.delete()
        tokens.delete()
        Grant.objects.filter(user=user, application=app.client).delete()
        detail = f"disconnected app {app.client.name}"[:200]
        reached: list[int | None] = [*sorted(patients)] or [None]
        for patient_id in reached:
            audit.record(user, AuditAction.UPDATE, patient=patient_id, obj=app, detail=detail)
    return app


def do_launch(user: User, app: SmartApp, patient: Patient) -> Launch:
    """Open an app from a patient's chart (EHR launch): a one-time launch id the app echoes when it asks to
    be authorised, which binds its token to this patient."""
    policy.require(user, policy.Action.VIEW, patient)
    if app.organization_id != user.organization_id or app.revoked_at or not app.launch_url:
        raise ActionRefused("This app cannot be opened from a chart.")
    now = clock.now()
    with transaction.atomic():
        launch = Launch.objects.create(
            key=secrets.token_urlsafe(24),
            app=app,
            user=user,
            patient=patient,
            created_at=now,
            expires_at=now + LAUNCH_VALID_FOR,
        )
        audit.record(
            user, AuditAction.READ, patient=patient, obj=app, detail=f"launched app {app.client.name}"[:200]
        )
    return launch


def launch_patient(user: User, app: SmartApp, key: str) -> Patient:
    """The patient of a launch this user started for this app, still unused and in time; refused otherwise."""
    launch = Launch.objects.select_related("patient").filter(key=key, app=app, user=user).first()
    if launch is None or launch.used_at is not None or launch.expires_at <= clock.now():
        raise ActionRefused("This launch has expired or was already used: open the app again from the chart.")
    policy.require(user, policy.Action.VIEW, launch.patient)
    return launch.patient


def do_record_authorisation(
    user: User,
    app: SmartApp,
    scopes: list[str],
    patient: Patient | None,
    *,
    allowed: bool,
    launch_key: str = "",
) -> None:
    """Write down the person's answer on the consent screen (and use up the launch it came from)."""
    with transaction.atomic():
        if launch_key:
            Launch.objects.filter(key=launch_key, app=app, user=user, used_at__isnull=True).update(
                used_at=clock.now()
            )
        words = "allowed" if allowed else "refused"
        audit.record(
            user,
            AuditAction.UPDATE if allowed else AuditAction.REFUSED,
            patient=patient,
            obj=app,
            detail=f"{words} app {app.client.name}: {' '.join(scopes)}"[:200],
        )
