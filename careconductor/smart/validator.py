"""django-oauth-toolkit's validator, taught SMART: private_key_jwt client assertions (Backend Services), scopes
narrowed to what was registered, refresh tokens only when asked for, and the patient a token is bound to."""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.oauth2_validators import OAuth2Validator

from careconductor.core import clock

from . import scopes
from .models import AppKind, GrantContext, SmartApp, TokenContext, UsedAssertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ["RS384", "ES384"]
# SMART Backend Services: an assertion's `exp` at most five minutes ahead.
ASSERTION_MAX_LIFETIME = 300


# The token endpoint's address as the client called it (set by authorize.TokenView for its request).
called_token_url: contextvars.ContextVar[str] = contextvars.ContextVar("smart_token_url", default="")


def token_urls() -> set[str]:
    """What a backend client's assertion may name as `aud`: the token endpoint's URL as the client called it,
    or as CARECONDUCTOR_SITE_URL names it (behind a proxy that rewrites the host)."""
    from .discovery import absolute

    return {called_token_url.get(), absolute("smart:token")} - {""}


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _smart(client: Application | None) -> SmartApp | None:
    return getattr(client, "smart", None) if client is not None else None


class SmartValidator(OAuth2Validator):
    def _load_application(self, client_id: str, request: Any) -> Application | None:
        client = super()._load_application(client_id, request)
        app = _smart(client)
        if client is None or app is None or app.revoked_at is not None:
            request.client = None  # unregistered with SMART, or revoked: as if unknown
            return None
        return client

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        kind = getattr(request, "client_assertion_type", None)
        if kind is None:
            return bool(super().authenticate_client(request, *args, **kwargs))
        return kind == ASSERTION_TYPE and self._authenticate_assertion(request)

    def _authenticate_assertion(self, request: Any) -> bool:
        """RFC 7523 as SMART Backend Services asks: signed by a key of the client's registered JWK Set, `iss` =
        `sub` = client_id, `aud` = the token URL, `exp` at most 5 minutes ahead, `jti` never seen before."""
        assertion = getattr(request, "client_assertion", None) or ""
        try:
            unverified = json.loads(jwt.JWT(jwt=assertion).token.objects["payload"])
            client_id = str(unverified["iss"])
        except (JWException, ValueError, KeyError, TypeError):
            return False
        if unverified.get("sub") != client_id or self._load_application(client_id, request) is None:
            return False
        app = _smart(request.client)
        if app is None or app.kind != AppKind.BACKEND or not app.jwks:
            return False
        try:
            keys = jwk.JWKSet.from_json(json.dumps(app.jwks))
            checked = jwt.JWT(
                jwt=assertion,
                key=keys,
                algs=ASSERTION_ALGORITHMS,
                check_claims={"iss": client_id, "sub": client_id, "exp": None, "jti": None},
            )
            claims = json.loads(checked.claims)
        except (JWException, ValueError, TypeError):
            return False
        audience = claims.get("aud")
        if not isinstance(audience, str) or audience not in token_urls():
            return False
        now = int(clock.now().timestamp())
        if not isinstance(claims.get("exp"), int) or claims["exp"] - now > ASSERTION_MAX_LIFETIME:
            return False
        expires = dt.datetime.fromtimestamp(claims["exp"], tz=dt.UTC)
        try:
            with transaction.atomic():
                UsedAssertion.objects.filter(app=app, expires_at__lt=clock.now()).delete()
                UsedAssertion.objects.create(app=app, jti=str(claims["jti"])[:200], expires_at=expires)
        except IntegrityError:
            return False  # a replayed assertion
        request.client_id = client_id
        return True

    def validate_scopes(
        self, client_id: str, requested: list[str], client: Any, request: Any, *a: Any, **kw: Any
    ) -> bool:
        """Grant what was asked for, narrowed to the registration and the kind of app (SMART lets a server grant
        less); refuse only when nothing is left."""
        app = _smart(client)
        if app is None:
            return False
        contexts = frozenset({"system"}) if app.kind == AppKind.BACKEND else frozenset({"patient", "user"})
        granted = scopes.grantable(requested, app.allowed_scopes.split(), contexts)
        if not scopes.resource_scopes(granted):
            return False
        requested[:] = granted
        request.scopes = granted
        return True

    def get_default_scopes(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> list[str]:
        app = _smart(request.client)
        return app.allowed_scopes.split() if app else []

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *a: Any, **kw: Any
    ) -> None:
        super().save_authorization_code(client_id, code, request, *a, **kw)
        patient_id = getattr(request, "smart_patient_id", None)
        if patient_id is not None:
            GrantContext.objects.create(
                code_hash=_hash(code["code"]), patient_id=patient_id, created_at=clock.now()
            )

    def validate_code(self, client_id: str, code: str, client: Any, request: Any, *a: Any, **kw: Any) -> bool:
        if not super().validate_code(client_id, code, client, request, *a, **kw):
            return False
        context = GrantContext.objects.filter(code_hash=_hash(code)).first()
        request.smart_patient_id = context.patient_id if context else None
        return True

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *a: Any, **kw: Any
    ) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *a, **kw):
            return False
        previous = request.refresh_token_instance.access_token
        context = TokenContext.objects.filter(access_token=previous).first() if previous else None
        request.smart_patient_id = context.patient_id if context else None
        return True

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> None:
        granted = set(request.scopes or ())
        if "refresh_token" in token and not granted & {"offline_access", "online_access"}:
            del token["refresh_token"]  # SMART: a refresh token only for an app that asked to stay connected
        super().save_bearer_token(token, request, *args, **kwargs)
        patient_id = getattr(request, "smart_patient_id", None)
        if patient_id is not None:
            access = AccessToken.objects.get(token_checksum=_hash(token["access_token"]))
            TokenContext.objects.create(access_token=access, patient_id=patient_id)
            token["patient"] = str(patient_id)
            token["need_patient_banner"] = True
        if request.grant_type == "authorization_code":
            GrantContext.objects.filter(created_at__lt=clock.now() - dt.timedelta(hours=1)).delete()
