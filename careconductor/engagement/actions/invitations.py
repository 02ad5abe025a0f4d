"""Portal log-ins: the invitation a case manager sends, the proxies a patient chooses (granted, accepted,
revoked), and the day's use of the portal. The patient alone grants and revokes proxies."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_link_portal_user
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..choices import InvitationKind, ProxyRelationship
from ..models import PortalInvitation, PortalUse, ProxyGrant

INVITATION_DAYS = 7


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_own_record(user: User, patient: Patient) -> None:
    policy.require(user, policy.Action.REPORT, patient)
    if not policy.is_own_record(user, patient):
        raise ActionRefused(_("Only the patient can do this."))


@dataclass(frozen=True)
class Invitation:
    invitation: PortalInvitation
    secret: str  # shown once, never stored

    @property
    def path(self) -> str:
        return f"/portal/join/{self.secret}/"


def _new_invitation(
    user: User, patient: Patient, kind: InvitationKind, email: str, grant: ProxyGrant | None = None
) -> Invitation:
    secret = secrets.token_urlsafe(32)
    days = getattr(settings, "PORTAL_INVITATION_DAYS", INVITATION_DAYS)
    invitation = PortalInvitation.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        grant=grant,
        email=email,
        secret_hash=_hash(secret),
        created_by=user,
        expires_at=clock.now() + dt.timedelta(days=days),
    )
    if email:
        link = f"{settings.SITE_URL.rstrip('/')}/portal/join/{secret}/"
        # The e-mail carries the link only: no name, no clinical detail.
        transaction.on_commit(
            lambda: send_mail(
                "Your CareConductor portal invitation",
                f"You are invited to the CareConductor patient portal. Open this link to make your log-in "
                f"(it works once, for {days} day{'s' if days != 1 else ''}):\n\n{link}\n",
                None,
                [email],
                fail_silently=True,
            )
        )
    return Invitation(invitation, secret)


def do_invite_patient(user: User, patient: Patient, *, email: str = "") -> Invitation:
    """A one-time link for the patient to make their own portal log-in. A new invitation withdraws any
    earlier one that is still open."""
    policy.require(user, policy.Action.CHANGE, patient)
    if patient.portal_user_id is not None:
        raise ActionRefused(_("This patient already has a portal log-in."))
    if patient.deceased_date is not None:
        raise ActionRefused(_("This patient has died; no invitation can be sent."))
    with transaction.atomic():
        PortalInvitation.objects.filter(
            patient=patient, kind=InvitationKind.PATIENT, accepted_at__isnull=True, withdrawn_at__isnull=True
        ).update(withdrawn_at=clock.now())
        made = _new_invitation(user, patient, InvitationKind.PATIENT, email.strip())
        audit.record(
            user, AuditAction.CREATE, patient=patient, obj=made.invitation, detail="portal invitation"
        )
    return made


def do_withdraw_invitation(user: User, invitation: PortalInvitation) -> PortalInvitation:
    if invitation.kind == InvitationKind.PROXY:
        _require_own_record(user, invitation.patient)
    else:
        policy.require(user, policy.Action.CHANGE, invitation.patient)
    with transaction.atomic():
        invitation = PortalInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at or invitation.withdrawn_at:
            raise ActionRefused(_("This invitation is no longer open."))
        invitation.withdrawn_at = clock.now()
        invitation.save(update_fields=["withdrawn_at", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=invitation.patient, obj=invitation, detail="withdrawn")
    return invitation


def open_invitation(secret: str) -> PortalInvitation | None:
    """The invitation a link stands for, if it can still be used."""
    found = (
        PortalInvitation.objects.filter(secret_hash=_hash(secret)).select_related("patient", "grant").first()
    )
    if found is None or found.accepted_at or found.withdrawn_at or found.expires_at <= clock.now():
        return None
    if found.grant is not None and found.grant.revoked_at is not None:
        return None
    return found


def do_accept_invitation(
    secret: str,
    *,
    username: str,
    password: str,
    birth_date: dt.date | None = None,
    first_name: str = "",
    last_name: str = "",
    existing: User | None = None,
) -> User:
    """Make the portal log-in an invitation stands for (or, for a proxy who already has one, use it). A
    patient proves the link reached them with their date of birth. Bad input changes nothing."""
    with transaction.atomic():
        found = open_invitation(secret)
        if found is None:
            raise ActionRefused(_("This link has expired or has already been used. Ask for a new one."))
        invitation = PortalInvitation.objects.select_for_update().get(pk=found.pk)
        patient = found.patient
        if invitation.kind == InvitationKind.PATIENT:
            if birth_date != patient.birth_date:
                audit.record(None, AuditAction.REFUSED, patient=patient, obj=invitation, detail="birth date")
                raise ActionRefused({"birth_date": _("That date of birth does not match our records.")})
            if patient.portal_user_id is not None:
                raise ActionRefused(_("This patient already has a portal log-in."))
        if existing is not None:
            if existing.role != Role.PATIENT or existing.organization_id != patient.organization_id:
                raise ActionRefused(_("Log out first: this invitation is for a portal log-in."))
            if invitation.kind == InvitationKind.PATIENT:
                raise ActionRefused(_("Log out first: this invitation makes a new log-in for the patient."))
            login = existing
        else:
            own = invitation.kind == InvitationKind.PATIENT
            login = do_create_user(
                username.strip(),
                Role.PATIENT,
                patient.organization,
                password,
                # The patient's own log-in carries their name, so staff see who wrote, not a user name.
                first_name=patient.given_name if own else first_name.strip(),
                last_name=patient.family_name if own else last_name.strip(),
                email=invitation.email,
            )
        now = clock.now()
        invitation.accepted_at = now
        invitation.accepted_by = login
        invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
        if invitation.kind == InvitationKind.PATIENT:
            do_link_portal_user(login, patient, login)
        else:
            grant = ProxyGrant.objects.select_for_update().get(pk=invitation.grant_id or 0)
            if grant.proxy_id is not None:
                raise ActionRefused(_("This invitation has already been used."))
            if patient.portal_user_id == login.pk:
                raise ActionRefused(_("You cannot be your own proxy."))
            grant.proxy = login
            grant.accepted_at = now
            grant.save(update_fields=["proxy", "accepted_at", "updated_at"])
            audit.record(login, AuditAction.UPDATE, patient=patient, obj=grant, detail="proxy accepted")
        audit.record(login, AuditAction.UPDATE, patient=patient, obj=invitation, detail="accepted")
    return login


def do_grant_proxy(
    user: User, patient: Patient, *, name: str, relationship: str, email: str = ""
) -> tuple[ProxyGrant, Invitation]:
    """The patient lets someone use the portal for them. The grant is active once that person accepts the
    link; the patient can revoke it at any time."""
    _require_own_record(user, patient)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the person's name.")
    if relationship not in ProxyRelationship.values:
        errors["relationship"] = _("Choose how you know this person.")
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        grant = ProxyGrant.objects.create(
            patient=patient,
            name=name.strip()[:200],
            relationship=relationship,
            email=email.strip(),
            granted_at=clock.now(),
            granted_by=user,
        )
        made = _new_invitation(user, patient, InvitationKind.PROXY, email.strip(), grant)
        audit.record(user, AuditAction.CREATE, patient=patient, obj=grant, detail="proxy granted")
    return grant, made


def do_revoke_proxy(user: User, grant: ProxyGrant) -> ProxyGrant:
    """The patient takes a proxy's access away (or the proxy gives it up). It ends at once."""
    patient = grant.patient
    policy.require(user, policy.Action.REPORT, patient)
    if not (policy.is_own_record(user, patient) or grant.proxy_id == user.pk):
        raise ActionRefused(_("Only the patient can take a proxy's access away."))
    with transaction.atomic():
        grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is not None:
            raise ActionRefused(_("This access has already ended."))
        grant.revoked_at = clock.now()
        grant.revoked_by = user
        grant.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        PortalInvitation.objects.filter(
            grant=grant, accepted_at__isnull=True, withdrawn_at__isnull=True
        ).update(withdrawn_at=clock.now())
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=grant, detail="proxy revoked")
    return grant


def do_note_portal_use(user: User, patient: Patient) -> None:
    """Once a day per person: engagement on the chart is 'days since last use'."""
    policy.require(user, policy.Action.REPORT, patient)
    try:
        with transaction.atomic():
            PortalUse.objects.get_or_create(patient=patient, user=user, day=clock.today())
    except IntegrityError:  # two tabs at once: the other request wrote today's row
        pass
