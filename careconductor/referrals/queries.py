"""Permission-checked reads of referrals: staff through the access policy (the patient's relationship and the
referral's sensitivity), a partner organisation's log-in through policy.partner_rows (only what was sent to its
own organisation), and what the chart, the case page, the plan and the portal show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _lazy

from careconductor.accounts.models import User
from careconductor.assessments.models import Finding
from careconductor.careplans.models import Barrier, Goal, Intervention
from careconductor.careplans.queries import access_barrier, access_goal, access_intervention
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.ids import whole_number
from careconductor.directory.choices import Need
from careconductor.directory.models import Service
from careconductor.directory.rules import NEED_OF_FINDING
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, ConsentStatus, ConsentType, Sensitivity
from careconductor.privacy.models import Consent

from . import rules
from .choices import Origin, ReferralStatus, SharedItem
from .models import PartnerAccount, Referral, ReferralAttachment, ReferralEvent

RELATED = ("patient", "service__provider", "requested_by", "case", "goal", "barrier", "consent")


def visible_referrals(user: User) -> QuerySet[Referral]:
    """Every referral the user may read: the patient's relationship and the referral's sensitivity, decided by
    the policy in the query."""
    return Referral.objects.filter(policy.patient_q(user), policy.sensitivity_q(user))


def access_referral(user: User, referral_id: int, *, for_change: bool = False) -> Referral:
    referral = (
        visible_referrals(user)
        .select_related(*RELATED)
        .prefetch_related(
            Prefetch("events", queryset=ReferralEvent.objects.select_related("user")),
            "attachments",
            "appointments",  # the visits booked with its service
        )
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise NotVisible
    if for_change:
        policy.require(user, policy.Action.CHANGE, referral.patient)
    audit.record(user, AuditAction.READ, patient=referral.patient, obj=referral)
    return referral


def patient_referrals(user: User, patient: Patient) -> list[Referral]:
    """The patient's referrals the user may read, newest first (one query; the caller audited the chart)."""
    return list(
        visible_referrals(user).filter(patient=patient).select_related("service__provider", "requested_by")
    )


def partner_referrals(user: User) -> QuerySet[Referral]:
    """What a partner organisation's log-in reads (policy.partner_rows)."""
    return policy.partner_rows(user)


def partner_referral(user: User, referral_id: int, *, for_update: bool = False) -> Referral:
    """A referral sent to the partner's organisation (never a draft), or NotVisible."""
    rows = partner_referrals(user)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    referral = rows.filter(pk=referral_id).first()
    if referral is None:
        raise NotVisible
    return referral


def referrals_for_partner(user: User) -> QuerySet[Any]:
    """The relationship lookup the referrals app registers with the policy: referrals sent (never drafts) to the
    services of the partner's organisation, in the organisation whose directory lists it. A Part 2 referral only
    while the patient's Part 2 consent it was sent under is in force (sending needs one naming the
    organisation: actions.referring); revoked, the partner no longer reads it."""
    account = PartnerAccount.objects.filter(user=user).select_related("provider").first()
    if account is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            organization_id=account.provider.organization_id, service__provider_id=account.provider_id
        )
        .exclude(status=ReferralStatus.DRAFT)
        .filter(Q(sensitivity=Sensitivity.NORMAL) | Q(consent__status=ConsentStatus.ACTIVE))
        .select_related("patient", "service__provider", "organization")
    )


def partner_account(user: User) -> PartnerAccount:
    account = PartnerAccount.objects.filter(user=user).select_related("provider").first()
    if account is None:
        raise NotVisible
    return account


# --- what the screens need ------------------------------------------------------------------------------------------


@dataclass
class Start:
    """Where a new referral starts: the service chosen in the directory and the part of the plan or the finding
    it comes from, each fetched through its own app's permission-checked read; what the form shows first."""

    initial: dict[str, Any] = field(default_factory=dict)
    service: Service | None = None
    origin: str = Origin.CHART
    goal: Goal | None = None
    barrier: Barrier | None = None
    intervention: Intervention | None = None
    finding: Finding | None = None


def _id(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name, "")
    return whole_number(value)


def service_for(user: User, service_id: int) -> Service:
    service = (
        Service.objects.filter(organization_id=user.org_id, pk=service_id).select_related("provider").first()
    )
    if service is None:
        raise ActionRefused({"service": "That service is not in your organisation's directory."})
    return service


def referral_start(user: User, patient: Patient, params: Mapping[str, str]) -> Start:
    """The new-referral page's start from its parameters (?service=&need=&goal=&barrier=&intervention=&finding=).
    A part of another patient's plan, or one the user may not see, is NotVisible (404)."""
    start = Start()
    if (service_id := _id(params, "service")) is not None:
        start.service = service_for(user, service_id)
        start.initial["service"] = start.service.pk
    if (barrier_id := _id(params, "barrier")) is not None:
        start.barrier = access_barrier(user, barrier_id)
        start.goal, start.origin = start.barrier.goal, Origin.BARRIER
        start.initial["reason"] = f"{start.barrier.get_kind_display()}: {start.barrier.description}"
    if (intervention_id := _id(params, "intervention")) is not None:
        start.intervention = access_intervention(user, intervention_id)
        start.goal, start.origin = start.intervention.goal, Origin.INTERVENTION
        start.initial["reason"] = start.intervention.title + (
            f". {start.intervention.detail}" if start.intervention.detail else ""
        )
    if (goal_id := _id(params, "goal")) is not None and start.goal is None:
        start.goal = access_goal(user, goal_id)
    if (finding_id := _id(params, "finding")) is not None:
        start.finding = Finding.objects.filter(policy.patient_q(user), patient=patient, pk=finding_id).first()
        if start.finding is None:
            raise NotVisible
        start.origin = Origin.FINDING
        start.initial["reason"] = start.finding.get_domain_display() + (
            f": {start.finding.detail}" if start.finding.detail else ""
        )
        start.initial["need"] = NEED_OF_FINDING.get(start.finding.domain, "")
    goals = [start.goal, start.barrier.goal if start.barrier else None]
    for part in (*goals, start.intervention):
        if part is not None and part.patient_id != patient.pk:
            raise NotVisible
    need = params.get("need", "")
    if need in Need.values:
        start.initial["need"] = need
    elif "need" not in start.initial and start.service is not None and start.service.needs:
        start.initial["need"] = start.service.needs[0]
    if start.barrier is not None and start.barrier.kind == "transport" and "need" not in start.initial:
        start.initial["need"] = Need.TRANSPORT  # a ride; a cost barrier could be any need
    if start.goal is not None and "need" not in start.initial:
        # The goal's own need: the finding its problem came from ("food insecurity" → food).
        domains = start.goal.problems.filter(finding__isnull=False).values_list("finding__domain", flat=True)
        found = next((NEED_OF_FINDING[d] for d in domains if d in NEED_OF_FINDING), None)
        if found is not None:
            start.initial["need"] = found
    return start


def needs_consent(referral: Referral) -> bool:
    return referral.sensitivity == Sensitivity.PART2 or rules.needs_sharing_consent(
        referral.recipient_hipaa_covered
    )


def consents_for(referral: Referral) -> list[Consent]:
    """The patient's consents in force that could cover this referral (the action checks the one chosen)."""
    if not needs_consent(referral):
        return []
    kind = ConsentType.PART2 if referral.sensitivity == Sensitivity.PART2 else ConsentType.SHARING
    today = clock.today()
    return list(
        Consent.objects.filter(
            patient_id=referral.patient_id,
            consent_type=kind,
            status=ConsentStatus.ACTIVE,
            given_on__lte=today,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .order_by("-given_on", "-pk")
    )


def consent_of(referral: Referral, consent_id: int) -> Consent | None:
    return next((c for c in consents_for(referral) if c.pk == consent_id), None)


def consent_words(consent: Consent) -> str:
    return f"{consent.recipient} · {consent.get_method_display().lower()}, {consent.given_on:%-d %b %Y}"


def shared_words(referral: Referral) -> list[str]:
    words = {"name": "Name", "need": "The need"} | dict(SharedItem.choices)
    return [words[item] for item in rules.shared_fields(referral.shared)]


def attachment_of(referral: Referral, attachment_id: int) -> ReferralAttachment:
    item = next((a for a in referral.attachments.all() if a.pk == attachment_id), None)
    if item is None:
        raise NotVisible
    return item


@dataclass(frozen=True)
class PortalReferral:
    referral: Referral
    where: str
    address: str
    phone: str
    when: dt.datetime | None
    bring: str
    status_words: str


def portal_referrals(patient: Patient) -> list[PortalReferral]:
    """What the patient sees of their referrals (the portal guard checked whose record this is): sent ones, not
    drafts, and not Part 2 ones, which the portal does not show (a proxy may be reading). Two queries."""
    rows = (
        Referral.objects.filter(patient=patient, sensitivity=Sensitivity.NORMAL)
        .exclude(status=ReferralStatus.DRAFT)
        .select_related("service__provider")
        .prefetch_related("service__locations", "service__phones")
    )
    shown = []
    for r in rows:
        location = next(iter(r.service.locations.all()), None) if r.service else None
        phone = next(iter(r.service.phones.all()), None) if r.service else None
        shown.append(
            PortalReferral(
                referral=r,
                where=r.service.provider.name if r.service else r.recipient_name,
                address=", ".join(p for p in (location.address_1, location.city) if p) if location else "",
                phone=phone.number if phone else "",
                when=r.proposed_at if r.status == ReferralStatus.SCHEDULED else None,
                bring=r.patient_instructions,
                status_words=str(PORTAL_STATUS[ReferralStatus(r.status)]),
            )
        )
    return shown


# In the patient's words (translated in the portal's language).
PORTAL_STATUS = {
    ReferralStatus.DRAFT: _lazy("Not sent yet"),
    ReferralStatus.SENT: _lazy("Sent, waiting for their answer"),
    ReferralStatus.RECEIVED: _lazy("They have it and will answer soon"),
    ReferralStatus.ACCEPTED: _lazy("They said yes and will contact you"),
    ReferralStatus.DECLINED: _lazy("They cannot help; your care team will find another place"),
    ReferralStatus.SCHEDULED: _lazy("You have an appointment"),
    ReferralStatus.COMPLETED: _lazy("Done"),
    ReferralStatus.NO_SHOW: _lazy("You missed the appointment; your care team will call you"),
    ReferralStatus.CANCELLED: _lazy("Cancelled"),
}
