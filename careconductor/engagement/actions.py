"""The only code that changes portal state: invitations, proxies, self-reports and the alerts they raise,
thresholds, messages. Patients and proxies act with Action.REPORT on the records they may see; the patient
alone grants and revokes proxies. Alerts go through coordination's flag and task actions in the same
transaction as the report that raised them."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.careplans.actions import do_record_reading
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.models import Goal, Reading
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.notify import do_notify
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import do_link_portal_user
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import alerts, attachments, rules
from .choices import CheckInKind, GoalRating, InvitationKind, ProxyRelationship, Symptom, ThresholdMeasure
from .models import CheckIn, Message, MessageAttachment, PortalInvitation, PortalUse, ProxyGrant, Threshold
from .queries import case_manager_for, limits_for, team_phone

INVITATION_DAYS = 7


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_own_record(user: User, patient: Patient) -> None:
    policy.require(user, policy.Action.REPORT, patient)
    if not policy.is_own_record(user, patient):
        raise ActionRefused(_("Only the patient can do this."))


# --- invitations and proxies ---------------------------------------------------------------------------------
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


# --- self-reports and alerts ---------------------------------------------------------------------------------
@dataclass
class ReportOutcome:
    """What a report saved, and what the patient must be told at once (empty when all is well)."""

    readings: list[Reading] = field(default_factory=list)
    check_in: CheckIn | None = None
    breach: rules.Breach | None = None


def _phone(patient: Patient) -> str:
    """The number the patient's instructions give: the team's, or where to find it when none is on file."""
    return team_phone(patient) or _("the number on your care plan")


def _check(patient: Patient, check: Callable[[str], rules.Breach | None]) -> rules.Breach | None:
    """Run a limit check, and look up the team's number only when a breach's instruction names it: most
    reports are within their limits, and the number costs queries."""
    if check("") is None:
        return None
    return check(_phone(patient))


def _taken_at(value: dt.datetime | None) -> dt.datetime:
    now = clock.now()
    if value is None:
        return now
    if value > now + dt.timedelta(minutes=5):
        raise ActionRefused({"taken_at": _("The time cannot be in the future.")})
    if value < now - dt.timedelta(days=7):
        raise ActionRefused({"taken_at": _("Report readings from the last 7 days only.")})
    return min(value, now)


def _check_values(values: dict[str, Decimal]) -> None:
    errors = {k: e for k, v in values.items() if (e := rules.check_reading_value(k, v))}
    if errors:
        raise ActionRefused(errors)


def do_report_blood_pressure(
    user: User,
    patient: Patient,
    *,
    systolic: Decimal,
    diastolic: Decimal,
    taken_at: dt.datetime | None = None,
) -> ReportOutcome:
    policy.require(user, policy.Action.REPORT, patient)
    _check_values({"bp-systolic": systolic, "bp-diastolic": diastolic})
    if diastolic >= systolic:
        raise ActionRefused({"bp-diastolic": _("The bottom number must be smaller than the top number.")})
    when = _taken_at(taken_at)
    with transaction.atomic():
        outcome = ReportOutcome(
            readings=[
                do_record_reading(
                    user,
                    patient,
                    measure_key=key,
                    value=value,
                    taken_at=when,
                    source=ReadingSource.SELF_REPORT,
                )
                for key, value in (("bp-systolic", systolic), ("bp-diastolic", diastolic))
            ]
        )
        limits = limits_for(patient)
        breach = _check(patient, lambda phone: rules.check_blood_pressure(systolic, diastolic, limits, phone))
        if breach is not None:
            alerts.alert(
                user,
                patient,
                breach,
                f"Observation/reading-{outcome.readings[0].pk}",
                readings=outcome.readings,
            )
            outcome.breach = breach
    return outcome


def do_report_reading(
    user: User, patient: Patient, *, measure: str, value: Decimal, taken_at: dt.datetime | None = None
) -> ReportOutcome:
    """Blood sugar (mg/dL), weight (kg) or peak flow (L/min)."""
    policy.require(user, policy.Action.REPORT, patient)
    if measure not in ("glucose", "weight", "peak-flow"):
        raise ActionRefused({"measure": _("Choose what you measured.")})
    _check_values({measure: value})
    when = _taken_at(taken_at)
    limits = limits_for(patient)
    with transaction.atomic():
        earlier = list(
            Reading.objects.filter(
                patient=patient, measure="weight", taken_at__gte=when - rules.WEIGHT_WINDOW, taken_at__lt=when
            ).values_list("taken_at", "value")
        )
        reading = do_record_reading(
            user, patient, measure_key=measure, value=value, taken_at=when, source=ReadingSource.SELF_REPORT
        )
        if measure == "glucose":
            breach = _check(patient, lambda phone: rules.check_glucose(value, limits, phone))
        elif measure == "weight":
            breach = _check(patient, lambda phone: rules.check_weight(value, when, earlier, limits, phone))
        else:
            breach = _check(patient, lambda phone: rules.check_peak_flow(value, limits, phone))
        if breach is not None:
            alerts.alert(user, patient, breach, f"Observation/reading-{reading.pk}", readings=[reading])
    return ReportOutcome(readings=[reading], breach=breach)


def do_check_in_goal(user: User, goal: Goal, *, rating: str, note: str = "") -> CheckIn:
    """'How did it go this week?' for one of the patient's goals."""
    patient = goal.plan.patient
    policy.require(user, policy.Action.REPORT, patient)
    if rating not in GoalRating.values:
        raise ActionRefused({"rating": _("Choose how it went.")})
    with transaction.atomic():
        check_in = CheckIn.objects.create(
            patient=patient,
            kind=CheckInKind.GOAL,
            goal=goal,
            rating=rating,
            note=note.strip()[:2000],
            reported_at=clock.now(),
            reported_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=check_in, detail="goal check-in")
    return check_in


def do_report_wellbeing(
    user: User, patient: Patient, *, mood: int | None, symptoms: Sequence[str], note: str = ""
) -> ReportOutcome:
    policy.require(user, policy.Action.REPORT, patient)
    errors: dict[str, str] = {}
    if mood is not None and not 1 <= mood <= 5:
        errors["mood"] = _("Choose how you feel.")
    if any(s not in Symptom.values for s in symptoms):
        errors["symptoms"] = _("Choose from the list.")
    if mood is None and not symptoms and not note.strip():
        errors["mood"] = _("Tell us how you feel, or pick a symptom.")
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        check_in = CheckIn.objects.create(
            patient=patient,
            kind=CheckInKind.WELLBEING,
            mood=mood,
            symptoms=sorted(set(symptoms)),
            note=note.strip()[:2000],
            reported_at=clock.now(),
            reported_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=check_in, detail="wellbeing")
        breach = _check(patient, lambda phone: rules.check_wellbeing(mood, symptoms, phone))
        focus = f"Observation/check-in-{check_in.pk}"
        if breach is not None:
            alerts.alert(user, patient, breach, focus, symptoms=set(check_in.symptoms), report_pk=check_in.pk)
        alerts.add_symptoms_to_open_alerts(user, patient, check_in)
    return ReportOutcome(check_in=check_in, breach=breach)


# --- thresholds ------------------------------------------------------------------------------------------------
def do_set_threshold(
    user: User,
    patient: Patient,
    *,
    measure: str,
    low: Decimal | None,
    high: Decimal | None,
    reason: str = "",
) -> Threshold:
    """This patient's own alert limit for a measure (replaces the programme's or the default)."""
    policy.require(user, policy.Action.CHANGE, patient)
    if measure not in ThresholdMeasure.values:
        raise ActionRefused({"measure": _("Choose a measure.")})
    errors = rules.check_limit_values(measure, low, high)
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        threshold, created = Threshold.objects.update_or_create(
            patient=patient,
            measure=measure,
            defaults={
                "organization_id": patient.organization_id,
                "low": low,
                "high": high,
                "set_by": user,
                "reason": reason.strip()[:200],
            },
        )
        audit.record(
            user,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            patient=patient,
            obj=threshold,
            detail=measure,
        )
    return threshold


def do_clear_threshold(user: User, threshold: Threshold) -> None:
    """Back to the programme's or the default limit."""
    if threshold.patient is None:
        raise NotVisible
    policy.require(user, policy.Action.CHANGE, threshold.patient)
    with transaction.atomic():
        audit.record(
            user, AuditAction.DELETE, patient=threshold.patient, obj=threshold, detail=threshold.measure
        )
        threshold.delete()


# --- messages --------------------------------------------------------------------------------------------------
def do_send_message(
    user: User,
    patient: Patient,
    *,
    subject: str,
    body: str,
    files: Sequence[UploadedFile] = (),
    reply_to: Message | None = None,
) -> Message:
    """A secure message: from the patient's side to the care team, or from staff to the patient. Attachments
    are checked (pictures and PDFs, by their content, not their name) before anything is saved."""
    from_patient = user.role == Role.PATIENT
    policy.require(user, policy.Action.REPORT if from_patient else policy.Action.MESSAGE, patient)
    errors: dict[str, str] = {}
    if not body.strip():
        errors["body"] = _("Write your message.")
    elif len(body) > 5000:
        errors["body"] = _("Keep the message under 5,000 characters.")
    if reply_to is not None and reply_to.patient_id != patient.pk:
        raise NotVisible
    subject = subject.strip() or (f"Re: {reply_to.subject}" if reply_to else "")
    if not subject:
        errors["subject"] = _("Give the message a subject.")
    checked: list[attachments.Checked] = []
    try:
        checked = attachments.check_all(files)
    except ActionRefused as exc:
        errors.update(exc.errors)
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        message = Message.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            from_patient=from_patient,
            sender=user,
            subject=subject[:120],
            body=body.strip(),
            sent_at=clock.now(),
            reply_to=reply_to,
        )
        for item in checked:
            MessageAttachment.objects.create(
                message=message,
                file=item.file,
                name=item.name,
                content_type=item.content_type,
                size=item.size,
            )
        audit.record(
            user, AuditAction.CREATE, patient=patient, obj=message, detail=f"{len(checked)} attachments"
        )
        if from_patient:
            # A message that mentions symptoms is not routine: an alert and a task, as a reading past its limit.
            if found := rules.message_symptoms(f"{message.subject}\n{message.body}"):
                alerts.alert(
                    user,
                    patient,
                    rules.message_breach(found),
                    f"Communication/message-{message.pk}",
                    symptoms=set(found),
                    report_pk=message.pk,
                )
            manager = case_manager_for(patient)
            if manager is not None:
                do_notify(
                    [manager],
                    NotificationKind.PORTAL_MESSAGE,
                    f"Message from {patient.full_name}: {message.subject}",
                    url=f"/patients/{patient.pk}/messages/",
                    patient=patient,
                )
        else:
            _tell_patient(patient)
    return message


def _tell_patient(patient: Patient) -> None:
    """E-mail the patient that a message is waiting: the e-mail says nothing else."""
    address = patient.portal_user.email if patient.portal_user else ""
    address = address or patient.email
    if not address or patient.portal_user_id is None:
        return
    link = f"{settings.SITE_URL.rstrip('/')}/portal/messages/"
    transaction.on_commit(
        lambda: send_mail(
            "You have a new message from your care team",
            f"Log in to your portal to read it: {link}\n",
            None,
            [address],
            fail_silently=True,
        )
    )


def do_mark_read(user: User, message: Message) -> Message:
    """The other side has opened the message. Staff reading a patient's message, or the patient (or proxy)
    reading the team's; opening one's own message changes nothing."""
    patient_side = user.role == Role.PATIENT
    if message.from_patient == patient_side or message.read_at is not None:
        return message
    policy.require(user, policy.Action.VIEW, message.patient)
    with transaction.atomic():
        now = clock.now()
        # One statement so two readers at once mark it once; version and updated_at move as a save would
        # move them (the FHIR Communication gains `received`, a new version).
        updated = Message.objects.filter(pk=message.pk, read_at__isnull=True).update(
            read_at=now, read_by=user, version=F("version") + 1, updated_at=now
        )
        if updated:
            message.refresh_from_db(fields=["read_at", "read_by", "version", "updated_at"])
            audit.record(user, AuditAction.UPDATE, patient=message.patient, obj=message, detail="read")
    return message


def do_mark_patient_messages_read(user: User, patient: Patient) -> int:
    """Staff opened the patient's messages: every unread one from the patient's side is read now."""
    policy.require(user, policy.Action.VIEW, patient)
    with transaction.atomic():
        now = clock.now()
        count = Message.objects.filter(patient=patient, from_patient=True, read_at__isnull=True).update(
            read_at=now, read_by=user, version=F("version") + 1, updated_at=now
        )
        if count:
            audit.record(
                user, AuditAction.UPDATE, patient=patient, object_type="Message", detail=f"{count} read"
            )
    return count


def _require_admin(user: User) -> int:
    return policy.require_admin(user, "Only an administrator sets the organisation's alert limits.")


def do_set_programme_threshold(
    user: User, *, program: str, measure: str, low: Decimal | None, high: Decimal | None, reason: str = ""
) -> Threshold:
    """The organisation's default limit for a measure in one programme (blank: every programme). A patient's
    own limit still comes first."""
    from careconductor.cases.choices import Program

    org_id = _require_admin(user)
    errors = rules.check_limit_values(measure, low, high)
    if program and program not in Program.values:
        errors["program"] = "Choose a programme."
    if measure not in ThresholdMeasure.values:
        errors["measure"] = "Choose a measure."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        threshold, created = Threshold.objects.update_or_create(
            organization_id=org_id,
            patient=None,
            program=program,
            measure=measure,
            defaults={"low": low, "high": high, "set_by": user, "reason": reason.strip()[:200]},
        )
        audit.record(
            user,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=threshold,
            detail=f"{program or 'all'} {measure}",
        )
    return threshold


def do_clear_programme_threshold(user: User, threshold: Threshold) -> None:
    org_id = _require_admin(user)
    if threshold.patient_id is not None or threshold.organization_id != org_id:
        raise NotVisible
    with transaction.atomic():
        audit.record(
            user,
            AuditAction.DELETE,
            obj=threshold,
            detail=f"{threshold.program or 'all'} {threshold.measure}",
        )
        threshold.delete()
