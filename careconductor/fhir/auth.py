"""Who is calling the API and what their token's SMART scopes let them do.

Scopes follow SMART App Launch: `<context>/<resource type or *>.<permissions>`, where the context is
`patient`, `user` or `system` and the permissions are v1 `read`, `write` or `*`, or v2 letters from `cruds`
(create, read, update, delete, search). Scopes only narrow: what a token's user may see and change is still
decided by privacy.policy, exactly as on the screens. A patient's token needs `patient/` scopes and sees that
patient only; `patient/` scopes on a staff token give nothing, as there is no launch context to name a patient.
A partner organisation's token (role partner, no organisation of ours) reaches only PARTNER_TYPES.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from careconductor.accounts.actions import do_use_found_token, find_token
from careconductor.accounts.choices import Role
from careconductor.accounts.models import ApiToken, User
from careconductor.accounts.rules import token_in_force
from careconductor.accounts.tokens import parse_scope
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit

from .errors import FhirError

# What a partner organisation's token may reach at all (its referrals and its subscriptions); every other type
# answers 403, whatever its scopes say.
PARTNER_TYPES = frozenset({"ServiceRequest", "Task", "Subscription"})


@dataclass(frozen=True)
class Caller:
    user: User
    scopes: tuple[str, ...]

    def allows(self, resource_type: str, letter: str) -> bool:
        """Whether the token's scopes grant the interaction (`c`, `r`, `u`, `d` or `s`) on the type."""
        own_context = "patient" if self.user.role == Role.PATIENT else None
        if self.user.role == Role.PARTNER and resource_type not in PARTNER_TYPES:
            return False
        for text in self.scopes:
            parsed = parse_scope(text)
            if parsed is None:
                continue
            context, resource, letters = parsed
            if own_context == "patient" and context != "patient":
                continue
            if own_context is None and context == "patient":
                continue
            if resource in ("*", resource_type) and letter in letters:
                return True
        return False

    def require(self, resource_type: str, letter: str) -> None:
        if not self.allows(resource_type, letter):
            words = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}[letter]
            raise FhirError(
                403,
                f"The access token's scopes do not allow you to {words} {resource_type} resources.",
                code="forbidden",
            )


def _secret(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    kind, _, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise FhirError(401, "Send an access token: Authorization: Bearer <token>.", code="login")
    return secret


def _caller(token: ApiToken) -> Caller:
    if token.user.role == Role.PARTNER:
        # A receiving organisation's system: no organisation of ours; it reads only the referrals sent to it.
        return Caller(user=token.user, scopes=tuple(str(s) for s in token.scopes or ()))
    if token.user.organization_id is None:
        raise FhirError(403, "The token's user belongs to no organisation.", code="forbidden")
    return Caller(user=token.user, scopes=tuple(str(s) for s in token.scopes or ()))


def use_token(token: ApiToken | None) -> ApiToken:
    """do_use_found_token (checked and audited), or a 401."""
    try:
        used = do_use_found_token(token)
    except ActionRefused as exc:
        raise FhirError(401, str(exc), code="login") from exc
    audit.using_credential(used.credential)  # every event recorded for the request names the token
    return used


def authenticate(request: HttpRequest) -> Caller:
    """The caller behind the request's bearer token (audited by do_use_found_token), or a 401."""
    return _caller(use_token(find_token(_secret(request))))


def identify(request: HttpRequest) -> tuple[Caller, ApiToken]:
    """For a read: who the bearer token names, without using it yet, and the token for `confirm` once the
    answer is built. A token that names no one is used (refused and audited) at once. Writes authenticate first."""
    token = find_token(_secret(request))
    if token is None:
        use_token(token)  # raises the 401
    assert token is not None
    audit.using_credential(token.credential)  # the reads recorded while the answer is built name the token
    return _caller(token), token


def confirm(token: ApiToken) -> None:
    """Use the token of a read and write the read's audit events before the answer is sent (durably: committed
    together with those of concurrent requests, privacy.chain.append_durably). If the token is refused now
    (expired while the answer was built) the answer is not sent: 401, and the reads it would have shown are not
    recorded, only the refusal."""
    if not token_in_force(token, clock.now()):
        audit.discard_reads()  # before the refusal is recorded (written when the request's batch ends)
    use_token(token)  # the 401 of a refused token
    audit.flush()


def token_of(request: HttpRequest) -> ApiToken:
    """The token of a request the caller was already authenticated for (fhir_view did): the job it owns."""
    token = find_token(_secret(request))
    if token is None:
        raise FhirError(401, "Send an access token: Authorization: Bearer <token>.", code="login")
    return token
