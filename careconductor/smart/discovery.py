"""SMART discovery: `[FHIR base]/.well-known/smart-configuration`, public and always JSON."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from careconductor.privacy.guards import public

from .scopes import CONTEXT_SCOPES

CAPABILITIES = [
    "launch-ehr",
    "launch-standalone",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "context-ehr-patient",
    "context-standalone-patient",
    "context-banner",
    "permission-patient",
    "permission-user",
    "permission-offline",
    "permission-online",
    "permission-v1",
    "permission-v2",
]


def absolute(name: str, request: HttpRequest | None = None) -> str:
    """An endpoint's absolute URL: from the request where there is one (the address the client used), else
    from CARECONDUCTOR_SITE_URL."""
    from django.conf import settings

    path = reverse(name)
    return request.build_absolute_uri(path) if request is not None else f"{settings.SITE_URL}{path}"


def origin(url: str) -> str:
    """scheme://host[:port] of an address (what a Content-Security-Policy names)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def fhir_base(request: HttpRequest) -> str:
    """The FHIR base as `aud` and `iss` name it: no trailing slash."""
    return request.build_absolute_uri("/fhir/r4")


@public
@require_GET
def smart_configuration(request: HttpRequest) -> JsonResponse:
    body = {
        "issuer": fhir_base(request),
        "authorization_endpoint": absolute("smart:authorize", request),
        "token_endpoint": absolute("smart:token", request),
        "revocation_endpoint": absolute("smart:revoke", request),
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "scopes_supported": [
            *CONTEXT_SCOPES,
            "patient/*.rs",
            "patient/*.cruds",
            "user/*.rs",
            "user/*.cruds",
            "system/*.rs",
            "patient/*.read",
            "user/*.read",
            "system/*.read",
        ],
        "capabilities": CAPABILITIES,
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"  # browser apps read it before they have a token
    return response
