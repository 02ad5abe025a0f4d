"""A token issued to an app is written to the audit trail (django-oauth-toolkit's app_authorized signal)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import AccessToken
from oauth2_provider.signals import app_authorized

from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction


def _token_issued(sender: Any, request: Any, token: AccessToken, **kwargs: Any) -> None:
    from .access import acting_user, app_of, patient_of

    app = app_of(token)
    audit.record(
        acting_user(token),
        AuditAction.LOGIN,
        patient=patient_of(token),
        object_type="SmartApp",
        object_id=str(app.pk) if app else "",
        detail=f"SMART token issued to {token.application.name}: {token.scope}"[:200],
    )


def connect() -> None:
    app_authorized.connect(_token_issued, dispatch_uid="smart-token-issued")
