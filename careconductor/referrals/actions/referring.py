"""Making a referral (a draft from the chart, a plan intervention, a barrier's response or a finding), sending it
with the patient's consent where the recipient needs one, attaching documents, and cancelling it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from careconductor.accounts.models import User
from careconductor.assessments.models import Finding
from careconductor.careplans.models import Barrier, Goal, Intervention
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.directory.choices import Need, ServiceStatus
from careconductor.directory.models import Service
from careconductor.engagement.attachments import check_all
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentStatus, ConsentType, Sensitivity
from careconductor.privacy.models import Consent

from .. import rules
from ..choices import Actor, Origin, ReferralStatus, SharedItem, Urgency
from ..models import Referral, ReferralAttachment
from .links import issue_link
from .moving import move


def do_create_referral(
    user: User,
    patient: Patient,
    *,
    need: str,
    reason: str,
    urgency: str = Urgency.ROUTINE,
    service: Service | None = None,
    recipient_name: str = "",
    recipient_contact: str = "",
    recipient_hipaa_covered: bool = False,
    shared: Sequence[str] = (),
    patient_instructions: str = "",
    origin: str = Origin.CHART,
    intervention: Intervention | None = None,
    barrier: Barrier | None = None,
    goal: Goal | None = None,
    finding: Finding | None = None,
) -> Referral:
    """A draft referral: nothing leaves until it is sent."""
    policy.require(user, policy.Action.CHANGE, patient)
    errors: dict[str, str] = {}
    if need not in Need.values:
        errors["need"] = "Choose the need this referral is for."
    sensitivity = Sensitivity.PART2 if need == Need.SUBSTANCE_USE else Sensitivity.NORMAL
    if sensitivity not in policy.record_sensitivities(user, patient):
        errors["need"] = (
            "Only someone who may read this patient's Part 2 records may refer for substance use."
        )
    if not reason.strip():
        errors["reason"] = "Say why you are referring, in a sentence the organisation will understand."
    if urgency not in Urgency.values:
        errors["urgency"] = "Choose how urgent it is."
    if service is None and not recipient_name.strip():
        errors["service"] = "Choose a service from the directory, or name the person you refer to."
    if service is not None and service.organization_id != patient.organization_id:
        errors["service"] = "Choose a service from your organisation's directory."
    elif service is not None and service.status != ServiceStatus.ACTIVE:
        errors["service"] = (
            f"{service.name} is {service.get_status_display().lower()}; choose another service."
        )
    unknown = set(shared) - set(SharedItem.values)
    if unknown:
        errors["shared"] = "Choose what to share from the list."
    for thing in (intervention, barrier, goal, finding):
        owner = (
            getattr(thing, "patient_id", None) if not isinstance(thing, Barrier) else thing.goal.patient_id
        )
        if thing is not None and owner != patient.pk:
            errors["origin"] = "That part of the plan belongs to another patient."
    if errors:
        raise ActionRefused(errors)
    if goal is None and barrier is not None:
        goal = barrier.goal
    if goal is None and intervention is not None:
        goal = intervention.goal
    case = (
        Case.objects.open().filter(patient=patient).order_by("-referred_at").first()
        if goal is None
        else goal.plan.case
    )
    with transaction.atomic():
        referral = Referral.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            case=case,
            need=need,
            reason=reason.strip(),
            urgency=urgency,
            service=service,
            recipient_name=recipient_name.strip()[:200],
            recipient_contact=recipient_contact.strip()[:200],
            recipient_hipaa_covered=service.provider.hipaa_covered
            if service is not None
            else recipient_hipaa_covered,
            sensitivity=sensitivity,
            shared=[item for item in SharedItem.values if item in set(shared)],
            patient_instructions=patient_instructions.strip()
            or (service.application_process if service else ""),
            origin=origin,
            intervention=intervention,
            barrier=barrier,
            goal=goal,
            finding=finding,
            requested_by=user,
            status_changed_at=clock.now(),
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=referral)
    return referral


def _consent_for(
    user: User, referral: Referral, consent: Consent | None, record: dict | None
) -> Consent | None:
    """The consent the referral is sent under: one the patient gave for this organisation, or one recorded now.
    A recipient that is a HIPAA covered entity needs none (rules.needs_sharing_consent), except for a Part 2
    referral, which always needs the patient's Part 2 consent naming the organisation (clinical.md §9.4)."""
    part2 = referral.sensitivity == Sensitivity.PART2
    if not part2 and not rules.needs_sharing_consent(referral.recipient_hipaa_covered):
        return None
    consent_type = ConsentType.PART2 if part2 else ConsentType.SHARING
    recipient = referral.service.provider.name if referral.service is not None else referral.recipient_name
    if consent is None and record:
        given_on = record.get("given_on") or clock.today()
        consent = do_record_consent(
            user,
            referral.patient,
            consent_type=consent_type,
            method=ConsentMethod(record.get("method") or ConsentMethod.VERBAL),
            given_on=given_on,
            expires_on=record.get("expires_on"),
            recipient=recipient,
            scope_note=f"Referral for {referral.get_need_display().lower()}"[:300],
        )
    if consent is None:
        why = (
            "a substance use referral is a Part 2 record: record the patient's Part 2 consent"
            if part2
            else f"{recipient} is not a HIPAA covered entity: record the patient's consent to share with them"
        )
        raise ActionRefused({"consent": f"Before sending, {why}."})
    ok = consent.patient_id == referral.patient_id and rules.consent_covers(
        consent_recipient=consent.recipient,
        consent_active=consent.status == ConsentStatus.ACTIVE and consent.consent_type == consent_type,
        given_on=consent.given_on,
        expires_on=consent.expires_on,
        recipient=recipient,
        today=clock.today(),
    )
    if not ok:
        raise ActionRefused({"consent": f"That consent does not cover sharing with {recipient} today."})
    return consent


def do_send_referral(
    user: User,
    referral: Referral,
    *,
    consent: Consent | None = None,
    record_consent: dict | None = None,
    note: str = "",
) -> tuple[Referral, str]:
    """Send a draft: the consent first where the recipient needs one, then the status, then a single-use link
    for an organisation that answers without an account. Returns the referral and the link's token ('' when the
    recipient has no address to send it to and answers by phone or through its log-in)."""
    policy.require(user, policy.Action.CHANGE, referral.patient)
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("service__provider", "patient")
            .get(pk=referral.pk)
        )
        if referral.status != ReferralStatus.DRAFT:
            raise ActionRefused({"status": "This referral has already been sent."})
        chosen = _consent_for(user, referral, consent, record_consent)
        if chosen is not None:
            referral.consent = chosen
            referral.save(update_fields=["consent", "updated_at"])
        move(referral, ReferralStatus.SENT, side=rules.Side.REFERRER, actor=Actor.STAFF, user=user, note=note)
        token = issue_link(referral, by=user)
    return referral, token


def do_cancel_referral(user: User, referral: Referral, *, reason: str) -> Referral:
    policy.require(user, policy.Action.CHANGE, referral.patient)
    if not reason.strip():
        raise ActionRefused({"note": "Say why the referral is cancelled; the organisation is told."})
    with transaction.atomic():
        referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        move(
            referral,
            ReferralStatus.CANCELLED,
            side=rules.Side.REFERRER,
            actor=Actor.STAFF,
            user=user,
            note=reason,
        )
        referral.links.filter(used_at__isnull=True).update(used_at=clock.now())
    return referral


def do_add_attachments(
    user: User, referral: Referral, files: Sequence[UploadedFile]
) -> list[ReferralAttachment]:
    """Documents for the organisation (a letter, a form): pictures and PDFs only, checked by their first bytes.
    They are shared only when the referral says so (SharedItem.ATTACHMENTS)."""
    policy.require(user, policy.Action.CHANGE, referral.patient)
    if rules.is_terminal(referral.status):
        raise ActionRefused({"attachments": "This referral is closed; documents cannot be added."})
    checked = check_all(files)
    now = clock.now()
    with transaction.atomic():
        added = [
            ReferralAttachment.objects.create(
                referral=referral,
                name=item.name,
                content_type=item.content_type,
                data=b"".join(item.file.chunks()),
                added_at=now,
                added_by=user,
            )
            for item in checked
        ]
        for attachment in added:
            audit.record(user, AuditAction.CREATE, patient=referral.patient_id, obj=attachment)
    return added


def sent_on(referral: Referral) -> dt.date | None:
    return clock.localdate(referral.sent_at) if referral.sent_at else None
