"""The single-use links a receiving organisation without an account answers through: a random token (only its
SHA-256 kept) tied to one referral, good for one answer and until it expires. Each answer spends the link and,
while the referral is still open, gives a new one for the next step (the confirmation page shows it and the
organisation is e-mailed it). Every refused attempt is audited, and an address with too many refusals in 15
minutes is refused whatever it sends."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, AuditOutcome
from careconductor.privacy.models import AuditEvent

from .. import rules
from ..models import PartnerLink, Referral
from ..tasks import send_link

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REFUSAL_WINDOW = dt.timedelta(minutes=15)
PARTNER = "partner link"  # the audit trail's name for whoever holds a link


class LinkRefused(Exception):
    """The link does not open: unknown, tampered, for another referral, used, expired, or too many tries."""

    def __init__(self, reason: str, status: int = 404) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_address(referral: Referral) -> str:
    """Where the organisation gets its link: the service's e-mail, else its provider's, else the person's."""
    if referral.service is not None:
        for address in (referral.service.email, referral.service.provider.email):
            if address:
                return address
    contact = referral.recipient_contact.strip()
    return contact if EMAIL.match(contact) else ""


def partner_url(referral_id: int, token: str) -> str:
    return settings.SITE_URL + reverse("referrals:partner_link", args=[referral_id, token])


def issue_link(referral: Referral, *, by: User | None) -> str:
    """A new link for the referral (older unused ones stop working), e-mailed after the transaction commits.
    Returns the token; '' when the referral is closed."""
    if rules.is_terminal(referral.status):
        return ""
    now = clock.now()
    token = secrets.token_urlsafe(32)
    address = link_address(referral)
    referral.links.filter(used_at__isnull=True).update(used_at=now)
    link = PartnerLink.objects.create(
        referral=referral,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.PARTNER_LINK_DAYS),
        sent_to=address,
    )
    audit.record(
        by, AuditAction.CREATE, patient=referral.patient_id, obj=link, username=PARTNER if by is None else ""
    )
    if address:
        url = partner_url(referral.pk, token)
        transaction.on_commit(lambda: send_link(address, referral.organization.name, url, link.expires_at))
    return token


def do_issue_link(user: User, referral: Referral) -> str:
    """Staff send the organisation a fresh link (the last one expired or was lost)."""
    policy.require(user, policy.Action.CHANGE, referral.patient)
    if rules.is_terminal(referral.status) or referral.status == "draft":
        raise ActionRefused(
            {"link": "Only a referral that has been sent and is still open can get a new link."}
        )
    with transaction.atomic():
        return issue_link(referral, by=user)


def _refuse(reason: str, referral_id: int | None, status: int = 404) -> LinkRefused:
    audit.record(
        None,
        AuditAction.REFUSED,
        object_type="PartnerLink",
        object_id=str(referral_id or ""),
        outcome=AuditOutcome.MINOR_FAILURE,
        detail=reason,
        username=PARTNER,
    )
    return LinkRefused(reason, status)


def too_many_refusals() -> bool:
    """The request's address was refused too often lately (the audit context's address; the audit trail is the
    counter, so it holds across processes)."""
    client_address = audit.client_address()
    if not client_address:
        return False
    since = clock.now() - REFUSAL_WINDOW
    refused = AuditEvent.objects.filter(
        recorded_at__gte=since,
        action=AuditAction.REFUSED,
        object_type="PartnerLink",
        client_address=client_address,
    )
    return refused.count() >= settings.PARTNER_LINK_REFUSALS


def open_link(referral_id: int, token: str, *, for_update: bool = False) -> PartnerLink:
    """The link the token opens, or LinkRefused (audited). The same answer for every kind of wrong token, so a
    guess learns nothing about which referrals exist."""
    if too_many_refusals():
        raise _refuse("too many refused attempts from this address", referral_id, status=429)
    links = PartnerLink.objects.select_related("referral__patient", "referral__service__provider")
    if for_update:
        links = links.select_for_update(of=("self",))
    link = links.filter(token_hash=digest(token)).first() if 20 <= len(token) <= 100 else None
    if link is None:
        raise _refuse("unknown link", referral_id)
    if link.referral_id != referral_id:
        raise _refuse(f"link of referral {link.referral_id} used for another referral", referral_id)
    if link.used_at is not None:
        raise _refuse("link already used", referral_id, status=410)
    if link.expires_at <= clock.now():
        raise _refuse("link expired", referral_id, status=410)
    return link
