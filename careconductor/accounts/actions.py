from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction, AuditOutcome

from .choices import Role
from .models import ApiToken, Organization, User
from .rules import token_in_force
from .tokens import hash_secret, new_secret, valid_scope

DEFAULT_SCOPES = ("user/*.read",)


def do_create_user(
    username: str,
    role: Role,
    organization: Organization,
    password: str,
    *,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    acting_user: User | None = None,
) -> User:
    if User.objects.filter(username=username).exists():
        raise ActionRefused({"username": f"The user name {username!r} is taken."})
    candidate = User(username=username, first_name=first_name, last_name=last_name, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ActionRefused({"password": " ".join(exc.messages)}) from exc
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            role=role,
            organization=organization,
            first_name=first_name,
            last_name=last_name,
            email=email,
        )
        audit.record(acting_user, AuditAction.CREATE, obj=user, object_type="User")
    return user


def do_create_token(
    user: User, *, name: str = "", scopes: Sequence[str] = DEFAULT_SCOPES, days: int | None = 90
) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is never stored and cannot be shown again."""
    if not user.is_active:
        raise ActionRefused("That user is deactivated.")
    unknown = [s for s in scopes if not valid_scope(s)]
    if unknown:
        raise ActionRefused(
            {
                "scopes": f"Not a scope: {', '.join(unknown)}. Use e.g. user/*.read, user/Patient.write, patient/*.read."
            }
        )
    secret = new_secret()
    expires = clock.now() + dt.timedelta(days=days) if days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[:10],
            key_hash=hash_secret(secret),
            scopes=list(scopes),
            expires_at=expires,
        )
        audit.record(user, AuditAction.CREATE, obj=token, object_type="ApiToken")
    return token, secret


def do_revoke_token(user: User, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(user, AuditAction.UPDATE, obj=token, object_type="ApiToken", detail="revoked")
    return token


# --- second factor (django-otp) -------------------------------------------------------------------------

RECOVERY_CODE_COUNT = 10


def _refuse_if_throttled(device: Device) -> None:
    """django-otp slows guessing: after a wrong code a device accepts nothing for 1, 2, 4 … seconds."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        wait = ""
        if info and info.get("locked_until"):
            seconds = max(1, int((info["locked_until"] - clock.now()).total_seconds()) + 1)
            wait = f" {seconds} second{'s' if seconds != 1 else ''}"
        raise ActionRefused(
            {"token": f"Too many tries. Wait{wait or ' a moment'}, then enter the newest code."}
        )


def do_begin_totp_enrolment(user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator, made if there is none (so reloading shows the same QR code)."""
    existing = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if existing is not None:
        return existing
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def do_reset_second_factor(acting_user: User | None, user: User) -> None:
    """Remove every second-factor device (lost phone and codes); the user sets up a new one at next log-in."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(
            acting_user, AuditAction.DELETE, obj=user, object_type="MfaDevice", detail=f"reset for {user.pk}"
        )


def do_confirm_totp(user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code from it; returns fresh single-use recovery codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise ActionRefused("Start the set-up again.")
    _refuse_if_throttled(device)
    if not device.verify_token(token.strip().replace(" ", "")):
        raise ActionRefused(
            {"token": "That code does not match. Check the time on your phone and try the newest code."}
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one authenticator at a time
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        audit.record(
            user, AuditAction.CREATE, obj=device, object_type="MfaDevice", detail="authenticator confirmed"
        )
    return codes


def do_regenerate_recovery_codes(user: User) -> list[str]:
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record(user, AuditAction.UPDATE, object_type="MfaDevice", detail="recovery codes replaced")
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def do_verify_second_factor(user: User, token: str) -> Device:
    """The device that accepts this code (an authenticator code or an unused recovery code, which is then
    spent); ActionRefused otherwise. Both outcomes are audited."""
    token = token.strip().replace(" ", "").lower()
    # A 6-digit code goes to the authenticator, anything else to the recovery codes: trying a recovery code on
    # the authenticator would count as a wrong code there and slow the user down.
    is_authenticator_code = len(token) == 6 and token.isdigit()
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, StaticDevice) == is_authenticator_code:
            continue
        _refuse_if_throttled(device)
        if token and device.verify_token(token):
            kind = "recovery code" if isinstance(device, StaticDevice) else "authenticator"
            audit.record(user, AuditAction.LOGIN, detail=f"second factor: {kind}")
            return device
    audit.record(user, AuditAction.LOGIN_FAILED, detail="second factor", outcome=AuditOutcome.MINOR_FAILURE)
    raise ActionRefused(
        {"token": "That code is not right. Try the newest code from your app, or a recovery code."}
    )


def do_set_mfa_roles(user: User, organization: Organization, roles: Sequence[str]) -> Organization:
    if user.role != Role.ADMIN or user.organization_id != organization.pk:
        raise ActionRefused("Only an administrator of this organisation may change this.")
    unknown = set(roles) - {str(r) for r in Role}
    if unknown:
        raise ActionRefused({"mfa_required_roles": f"Unknown roles: {', '.join(sorted(unknown))}"})
    with transaction.atomic():
        organization.mfa_required_roles = sorted(set(roles))
        organization.save(update_fields=["mfa_required_roles", "updated_at"])
        audit.record(
            user,
            AuditAction.UPDATE,
            obj=organization,
            detail="second-factor roles: " + ",".join(sorted(set(roles))),
        )
    return organization


# How often a token's use is written down: its `last_used_at` and a `login` event. The API names the token in
# every event it records for the request ("token <prefix>", fhir.auth), so each read and change is still
# attributed to the token; writing the use itself on every call cost a row update and a second event per read
# (issue 18).
TOKEN_USE_RECORDED_EVERY = dt.timedelta(minutes=1)


def find_token(secret: str) -> ApiToken | None:
    """The token (with its user) a bearer secret names, if any; not yet checked or used."""
    return ApiToken.objects.select_related("user").filter(key_hash=hash_secret(secret.strip())).first()


def do_use_token(secret: str) -> ApiToken:
    """Authenticate an API request by its bearer token: the one path every API call goes through."""
    return do_use_found_token(find_token(secret))


def do_use_found_token(token: ApiToken | None) -> ApiToken:
    """Use a token looked up by `find_token` in this request (so it is not read twice).

    A token in force is used: its use is written
    (`last_used_at`, a `login` event with the token's prefix) at most once per TOKEN_USE_RECORDED_EVERY, by
    whichever request finds it due first. An unknown, expired or revoked token is refused and the refusal
    audited every time. The same words for all three, so a caller cannot tell them apart."""
    now = clock.now()
    if not token_in_force(token, now):
        audit.record(
            token.user if token else None,
            AuditAction.LOGIN_FAILED,
            object_type="ApiToken",
            object_id=token.prefix if token else "",
            outcome=AuditOutcome.MINOR_FAILURE,
            detail="API token refused",
        )
        raise ActionRefused("The access token is not valid.")
    assert token is not None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RECORDED_EVERY:
        with transaction.atomic():
            due = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_USE_RECORDED_EVERY)
            # Only the request that moves last_used_at writes the event: concurrent ones find it moved.
            if ApiToken.objects.filter(due, pk=token.pk).update(last_used_at=now):
                audit.record(
                    token.user,
                    AuditAction.LOGIN,
                    object_type="ApiToken",
                    object_id=token.prefix,
                    detail="API token used",
                )
        token.last_used_at = now
    return token
