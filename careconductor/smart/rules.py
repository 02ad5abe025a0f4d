"""Pure decisions about SMART apps: what makes a registration acceptable, and which scopes a person's role may
grant an app they authorise."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from careconductor.accounts.choices import Role
from careconductor.accounts.tokens import parse_scope

from .models import AppKind
from .scopes import CONTEXT_SCOPES, valid_registration

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
# Who may authorise an app with their own access: people who keep charts, and patients for their own record.
AUTHORISING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER, Role.CARE_TEAM, Role.PATIENT})


def redirect_problem(uri: str) -> str | None:
    """An app's redirect address must be absolute, https (plain http only on this machine, RFC 8252's loopback
    apps), and carry no fragment."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"{uri} is not an address."
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return f"{uri} must be an absolute https:// address."
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return f"{uri}: plain http:// is allowed only for localhost; use https://."
    if parts.fragment:
        return f"{uri} must not have a #fragment."
    return None


def registration_problems(
    *,
    kind: str,
    redirect_uris: list[str],
    allowed_scopes: list[str],
    jwks: dict[str, Any],
    service_user_org: int | None,
    org_id: int,
) -> dict[str, str]:
    """Each problem of an app's registration beside its field; empty when it may be registered."""
    problems: dict[str, str] = {}
    unknown = valid_registration(allowed_scopes)
    if unknown:
        problems["allowed_scopes"] = f"Not SMART scopes this server understands: {', '.join(unknown)}."
    elif not [s for s in allowed_scopes if parse_scope(s)]:
        problems["allowed_scopes"] = "Give at least one resource scope, e.g. patient/*.rs."
    contexts = {parsed[0] for parsed in (parse_scope(s) for s in allowed_scopes) if parsed}
    if kind == AppKind.BACKEND:
        if contexts - {"system"} or set(allowed_scopes) & set(CONTEXT_SCOPES):
            problems.setdefault("allowed_scopes", "A system feed has only system/ scopes.")
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys:
            problems["jwks"] = 'Paste the client\'s public keys as a JWK Set: {"keys": [...]}.'
        elif any(not isinstance(k, dict) or "d" in k for k in keys):
            problems["jwks"] = (
                'Paste only public keys: a key with a private part ("d") must stay with the client.'
            )
        if service_user_org is None:
            problems["service_user"] = "Choose the account whose access the feed uses."
        elif service_user_org != org_id:
            problems["service_user"] = "Choose an account of your organisation."
    else:
        if "system" in contexts:
            problems.setdefault(
                "allowed_scopes", "An app people open has patient/ and user/ scopes, not system/."
            )
        if not redirect_uris:
            problems["redirect_uris"] = "Give the address the app receives its answer at."
        for uri in redirect_uris:
            problem = redirect_problem(uri)
            if problem:
                problems["redirect_uris"] = problem
                break
    return problems


def role_scopes(role: str, scopes: list[str], *, has_patient: bool) -> list[str]:
    """The scopes a person of this role can give an app: a patient only `patient/` ones (their own record);
    staff `user/` ones, and `patient/` ones only when the app works on a chosen patient."""
    kept = []
    for scope in scopes:
        parsed = parse_scope(scope)
        if parsed is None:
            kept.append(scope)  # launch and access scopes name no data
            continue
        context = parsed[0]
        if (role == Role.PATIENT and context == "patient") or (
            role != Role.PATIENT and (context == "user" or (context == "patient" and has_patient))
        ):
            kept.append(scope)
    return kept
