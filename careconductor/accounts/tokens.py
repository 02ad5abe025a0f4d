"""Bearer tokens: a random secret shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_PREFIX = "cc_"


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # A 256-bit random secret needs no slow hash: SHA-256 cannot be brute-forced at that entropy.
    return hashlib.sha256(secret.encode()).hexdigest()


# SMART App Launch scopes: `<context>/<resource type or *>.<permissions>` (see fhir/auth.py for their use).
SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)$")
V1 = {"read": "rs", "write": "cud", "*": "cruds"}


def parse_scope(text: str) -> tuple[str, str, str] | None:
    """(context, resource type or *, letters) for a valid scope, else None. Unknown scopes are ignored,
    as SMART asks (e.g. `openid`, `launch`)."""
    found = SCOPE.match(text)
    if not found or not found.group(3):
        return None
    context, resource, permission = found.groups()
    return context, resource, V1.get(permission, permission)


def valid_scope(text: str) -> bool:
    return parse_scope(text) is not None or text in {"openid", "fhirUser", "launch", "offline_access"}
