from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .choices import Role
from .models import ApiToken, Organization, User
from .tokens import hash_secret, new_secret

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
