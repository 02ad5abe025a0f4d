"""Using a SMART access token at the FHIR API: found by its hash, checked, its use written down.

The FHIR layer (fhir.auth) asks here when a bearer secret is not one of the product's own API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from oauth2_provider.models import AccessToken

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction, AuditOutcome

from .models import SmartApp

# As for API tokens: an app's use is written down (last_used_at and a log-in event) at most once a minute; every
# event the request records names the app.
USE_RECORDED_EVERY = dt.timedelta(minutes=1)


def find_access_token(secret: str) -> AccessToken | None:
    checksum = hashlib.sha256(secret.strip().encode()).hexdigest()
    return (
        AccessToken.objects.select_related("application__smart__service_user", "user", "smart_context")
        .filter(token_checksum=checksum)
        .first()
    )


def app_of(token: AccessToken) -> SmartApp | None:
    return getattr(token.application, "smart", None) if token.application_id else None


def acting_user(token: AccessToken) -> User | None:
    """Who the token acts as: the person who authorised the app, or a system client's service account."""
    app = app_of(token)
    return token.user if token.user_id else (app.service_user if app else None)


def patient_of(token: AccessToken) -> int | None:
    """The patient a launched app's token is bound to, if any."""
    context = getattr(token, "smart_context", None)
    return context.patient_id if context else None


def in_force(token: AccessToken | None, now: dt.datetime) -> bool:
    if token is None:
        return False
    app, user = app_of(token), acting_user(token)
    return (
        app is not None
        and app.revoked_at is None
        and token.expires > now
        and user is not None
        and user.is_active
        and user.organization_id == app.organization_id
    )


def credential(token: AccessToken) -> str:
    app = app_of(token)
    return f"app {app.pk}: {token.application.name}"[:60] if app else "app ?"


def do_use_access_token(token: AccessToken | None) -> AccessToken:
    """Check a SMART token and write its use down (at most once a minute per app); refused alike whether unknown,
    expired or revoked, and the refusal audited."""
    now = clock.now()
    if not in_force(token, now):
        refused_app = app_of(token) if token else None
        audit.record(
            acting_user(token) if token else None,
            AuditAction.LOGIN_FAILED,
            object_type="SmartApp",
            object_id=str(refused_app.pk) if refused_app else "",
            outcome=AuditOutcome.MINOR_FAILURE,
            detail="SMART access token refused",
        )
        raise ActionRefused("The access token is not valid.")
    assert token is not None
    app = app_of(token)
    assert app is not None
    if app.last_used_at is None or now - app.last_used_at >= USE_RECORDED_EVERY:
        with transaction.atomic():
            if SmartApp.objects.filter(pk=app.pk, last_used_at=app.last_used_at).update(last_used_at=now):
                audit.record(
                    acting_user(token),
                    AuditAction.LOGIN,
                    object_type="SmartApp",
                    object_id=str(app.pk),
                    detail=f"SMART app used: {token.application.name}"[:200],
                )
        app.last_used_at = now
    return token
