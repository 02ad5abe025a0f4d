"""Who is calling the API and what their token's SMART scopes let them do.

Scopes follow SMART App Launch: `<context>/<resource type or *>.<permissions>`, where the context is
`patient`, `user` or `system` and the permissions are v1 `read`, `write` or `*`, or v2 letters from `cruds`
(create, read, update, delete, search). Scopes only narrow: what a token's user may see and change is still
decided by privacy.policy, exactly as on the screens. A patient's token needs `patient/` scopes and sees that
patient only; `patient/` scopes on a staff token give nothing unless an app was launched for a patient (SMART App
Launch, careconductor.smart): then its token is bound to that patient and every read and write stays inside
that record (policy.launched_for). A partner organisation's token (role partner, no organisation of ours)
reaches only PARTNER_TYPES.

Two kinds of bearer token reach here: the product's own API tokens (`careconductor token create`, secrets
starting `cc_`) and the access tokens SMART apps and system clients get from the OAuth server (/oauth/token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from django.http import HttpRequest
from oauth2_provider.models import AccessToken

from careconductor.accounts.actions import do_use_found_token, find_token
from careconductor.accounts.choices import Role
from careconductor.accounts.models import ApiToken, User
from careconductor.accounts.rules import token_in_force
from careconductor.accounts.tokens import TOKEN_PREFIX, parse_scope
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit
from careconductor.smart import access as smart

from .errors import FhirError

# What a partner organisation's token may reach at all (its referrals and its subscriptions); every other type
# answers 403, whatever its scopes say.
PARTNER_TYPES = frozenset({"ServiceRequest", "Task", "Subscription"})


@dataclass(frozen=True)
class Caller:
    user: User
    scopes: tuple[str, ...]
    # The patient a launched app's token is bound to (SMART launch context); None for every other token.
    patient_id: int | None = None
    # The SMART app or system client whose token this is; None for an API token.
    app_id: int | None = None

    def contexts(self) -> frozenset[str]:
        """The scope contexts that count for this caller: a patient's own `patient/`; staff `user/` and `system/`,
        and `patient/` too when an app was launched for a patient."""
        if self.user.role == Role.PATIENT:
            return frozenset({"patient"})
        if self.patient_id is not None:
            return frozenset({"patient", "user"})
        return frozenset({"user", "system"})

    def allows(self, resource_type: str, letter: str) -> bool:
        """Whether the token's scopes grant the interaction (`c`, `r`, `u`, `d` or `s`) on the type."""
        if self.user.role == Role.PARTNER and resource_type not in PARTNER_TYPES:
            return False
        contexts = self.contexts()
        for text in self.scopes:
            parsed = parse_scope(text)
            if parsed is None:
                continue
            context, resource, letters = parsed
            if context in contexts and resource in ("*", resource_type) and letter in letters:
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


Credential: TypeAlias = "ApiToken | AccessToken"


def find_credential(secret: str) -> Credential | None:
    """The API token (secrets start `cc_`) or SMART access token a bearer secret names: one lookup either way."""
    return find_token(secret) if secret.startswith(TOKEN_PREFIX) else smart.find_access_token(secret)


def _caller(token: Credential) -> Caller:
    if isinstance(token, AccessToken):
        user = smart.acting_user(token)
        assert user is not None  # in force: checked by use_token, or refused there
        app = smart.app_of(token)
        return Caller(
            user=user,
            scopes=tuple(token.scope.split()),
            patient_id=smart.patient_of(token),
            app_id=app.pk if app else None,
        )
    if token.user.role == Role.PARTNER:
        # A receiving organisation's system: no organisation of ours; it reads only the referrals sent to it.
        return Caller(user=token.user, scopes=tuple(str(s) for s in token.scopes or ()))
    if token.user.organization_id is None:
        raise FhirError(403, "The token's user belongs to no organisation.", code="forbidden")
    return Caller(user=token.user, scopes=tuple(str(s) for s in token.scopes or ()))


def _in_force(token: Credential) -> bool:
    if isinstance(token, AccessToken):
        return smart.in_force(token, clock.now())
    return token_in_force(token, clock.now())


def use_token(token: Credential | None) -> Credential:
    """The token checked and its use audited (do_use_found_token, smart.do_use_access_token), or a 401."""
    try:
        if isinstance(token, AccessToken):
            used: Credential = smart.do_use_access_token(token)
            audit.using_credential(smart.credential(used))
            return used
        used = do_use_found_token(token)
    except ActionRefused as exc:
        raise FhirError(401, str(exc), code="login") from exc
    audit.using_credential(used.credential)  # every event recorded for the request names the token
    return used


def authenticate(request: HttpRequest) -> Caller:
    """The caller behind the request's bearer token (its use audited), or a 401."""
    return _caller(use_token(find_credential(_secret(request))))


def identify(request: HttpRequest) -> tuple[Caller, Credential]:
    """For a read: who the bearer token names, without using it yet, and the token for `confirm` once the
    answer is built. A token that names no one, or a SMART token no longer in force, is used (refused and
    audited) at once. Writes authenticate first."""
    token = find_credential(_secret(request))
    if token is None or (isinstance(token, AccessToken) and not _in_force(token)):
        use_token(token)  # raises the 401
    assert token is not None
    audit.using_credential(smart.credential(token) if isinstance(token, AccessToken) else token.credential)
    return _caller(token), token


def confirm(token: Credential) -> None:
    """Use the token of a read and write the read's audit events before the answer is sent (durably: committed
    together with those of concurrent requests, privacy.chain.append_durably). If the token is refused now
    (expired while the answer was built) the answer is not sent: 401, and the reads it would have shown are not
    recorded, only the refusal."""
    if not _in_force(token):
        audit.discard_reads()  # before the refusal is recorded (written when the request's batch ends)
    use_token(token)  # the 401 of a refused token
    audit.flush()


def owner_of(request: HttpRequest) -> dict[str, object]:
    """Who owns the jobs a request starts or reads ($export): its API token, or a SMART client (whose short-lived
    tokens change between the kick-off and the status polls). Found by fhir_view already."""
    token = find_credential(_secret(request))
    if token is None:
        raise FhirError(401, "Send an access token: Authorization: Bearer <token>.", code="login")
    if isinstance(token, AccessToken):
        app = smart.app_of(token)
        return {"app_id": app.pk if app else None, "token": None}
    return {"token": token}
