"""Secure messages between the patient's side and the care team, with checked attachments, and marking them
read. A patient's message that mentions symptoms raises an alert."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.notify import do_notify
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import alerts, attachments, rules
from ..models import Message, MessageAttachment
from ..queries import case_manager_for


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
