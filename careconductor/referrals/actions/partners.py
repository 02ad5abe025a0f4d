"""Partner log-ins: an administrator gives a receiving organisation of the directory a limited log-in. It belongs
to none of our organisations (so it is never staff to pick, assign or mention), must pass a second factor, and
reads only the referrals sent to its own organisation (policy.partner_rows)."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.administration.staff import invitation_path
from careconductor.core.errors import ActionRefused
from careconductor.directory.models import Provider
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..models import PartnerAccount

USERNAME = re.compile(r"^[\w.@+-]{2,150}$")
ADMIN_ONLY = "Only an administrator gives partner organisations log-ins."


def do_invite_partner(
    admin: User, provider: Provider, *, username: str, first_name: str, last_name: str, email: str
) -> tuple[User, str]:
    """A log-in for someone at the organisation, without a password until they follow the e-mailed one-time
    link. Returns the user and the link's path."""
    org_id = policy.require_admin(admin, ADMIN_ONLY)
    errors: dict[str, str] = {}
    if provider.organization_id != org_id:
        errors["provider"] = "That organisation is not in your directory."
    username = username.strip()
    if not USERNAME.match(username):
        errors["username"] = "2 to 150 letters, digits and . @ + - _ only."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"The user name {username!r} is taken."
    if not email.strip():
        errors["email"] = "The invitation goes to this address."
    if not first_name.strip():
        errors["first_name"] = "Give their first name."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=None,
            email=email.strip(),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            role=Role.PARTNER,
            organization=None,
        )
        PartnerAccount.objects.create(user=user, provider=provider)
        audit.record(
            admin, AuditAction.CREATE, obj=user, object_type="User", detail=f"partner of {provider.pk}"
        )
        path = invitation_path(user)
        link = settings.SITE_URL + path
        referring = admin.organization.name if admin.organization else "CareConductor"
        transaction.on_commit(
            lambda: send_mail(
                f"Your log-in for referrals from {referring}",
                f"Hello {user.first_name},\n\n{referring} gave {provider.name} a log-in to see and answer the "
                f"referrals it sends you. Your user name is {user.username}. Open this link to choose your "
                f"password (it works once):\n\n{link}\n\nYou will also set up an authenticator app.",
                None,
                [user.email],
                fail_silently=True,
            )
        )
    return user, path


def do_end_partner_login(admin: User, account: PartnerAccount) -> PartnerAccount:
    org_id = policy.require_admin(admin, ADMIN_ONLY)
    if account.provider.organization_id != org_id:
        raise ActionRefused("That log-in is not one of your directory's organisations.")
    with transaction.atomic():
        account.user.is_active = False
        account.user.save(update_fields=["is_active"])
        audit.record(admin, AuditAction.UPDATE, obj=account.user, object_type="User", detail="partner ended")
    return account
