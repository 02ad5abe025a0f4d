"""Reminding patients of their appointments: the worker's sweep (tasks.py, every five minutes) finds the
reminders due in each organisation's own time zone (rules.reminder_plan), makes each one's row first (unique per
appointment, offset and booked time: two workers, or a sweep run twice, send it once), then sends it by the
patient's preferred channel (rules.channel_for) in their language: a text message through core.sms (the SMS
interface staff notifications use), an e-mail, or the portal, which shows it on the patient's home page.

What goes out says when and where, never what the appointment is for or with whom (the purpose can tell a
stranger reading a phone's lock screen about the patient's care), and carries the portal link where the
patient confirms or asks to change."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from careconductor.accounts.models import Organization
from careconductor.core import clock, sms
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from . import rules
from .actions import reminder_offsets
from .choices import AppointmentStatus, Channel, Mode, ReminderOutcome
from .models import Appointment, Reminder

logger = logging.getLogger(__name__)


def zone_of(organization: Organization) -> ZoneInfo:
    return ZoneInfo(organization.time_zone or settings.TIME_ZONE)


def portal_link(appointment: Appointment) -> str:
    return settings.SITE_URL + reverse("portal:appointment", kwargs={"appointment_id": appointment.pk})


def reminder_text(appointment: Appointment, zone: ZoneInfo) -> str:
    """The reminder in the active language: when, where (or how), and the portal link."""
    local = appointment.starts_at.astimezone(zone)
    day = formats.date_format(local, "l, j F")
    time = formats.time_format(local, "H:i")
    if appointment.mode == Mode.PHONE:
        where = _("by phone")
    elif appointment.mode == Mode.VIDEO:
        where = _("by video")
    else:
        where = _("at %(place)s") % {"place": appointment.location}
    return _(
        "Reminder: you have an appointment on %(day)s at %(time)s, %(where)s. "
        "Confirm it or ask to change it here: %(link)s"
    ) % {"day": day, "time": time, "where": where, "link": portal_link(appointment)}


def _send(appointment: Appointment, channel: str, zone: ZoneInfo, language: str) -> None:
    patient = appointment.patient
    with translation.override(language):
        text = reminder_text(appointment, zone)
        if channel == Channel.SMS:
            sms.send_sms(patient.phone, text)
        elif channel == Channel.EMAIL:
            address = patient.email or (patient.portal_user.email if patient.portal_user else "")
            body = text
            if appointment.what_to_bring:
                body += "\n\n" + _("What to bring:") + "\n" + appointment.what_to_bring
            send_mail(_("Your appointment"), body + "\n", None, [address])
        # The portal: the home page shows the reminder; nothing goes out.


def _make(
    appointment: Appointment,
    offset: rules.Offset,
    due: dt.datetime,
    channel: str,
    language: str,
    outcome: str,
) -> Reminder | None:
    """The reminder's row, or None when another sweep made it first."""
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                appointment=appointment,
                offset=offset.code,
                for_start=appointment.starts_at,
                due_at=due,
                made_at=clock.now(),
                channel=channel,
                language=language,
                outcome=outcome,
            )
    except IntegrityError:
        return None


def do_send_due_reminders() -> int:
    """Send the reminders due now, in every organisation; the number sent. Safe to run twice or at once."""
    now = clock.now()
    sent = 0
    for organization in Organization.objects.order_by("pk"):
        offsets = reminder_offsets(organization.pk)
        if not offsets:
            continue
        zone = zone_of(organization)
        appointments = list(
            Appointment.objects.filter(
                organization=organization,
                status=AppointmentStatus.BOOKED,
                starts_at__gt=now,
                starts_at__lte=now + rules.horizon(offsets),
            ).select_related("patient", "patient__portal_user")
        )
        made: dict[tuple[int, dt.datetime], set[str]] = {}
        for appointment_id, offset, for_start in Reminder.objects.filter(
            appointment__in=[a.pk for a in appointments]
        ).values_list("appointment_id", "offset", "for_start"):
            made.setdefault((appointment_id, for_start), set()).add(offset)
        for appointment in appointments:
            done = made.get((appointment.pk, appointment.starts_at), set())
            plan = rules.reminder_plan(
                offsets,
                starts_at=appointment.starts_at,
                booked_at=appointment.created_at,
                now=now,
                zone=zone,
                done=done,
            )
            sent += _carry_out(appointment, plan, zone)
    return sent


def _carry_out(appointment: Appointment, plan: rules.Plan, zone: ZoneInfo) -> int:
    patient = appointment.patient
    language = patient.preferred_language or "en"
    for offset in plan.skip:
        _make(
            appointment,
            offset,
            rules.reminder_due(offset, appointment.starts_at, zone),
            Channel.NONE,
            language,
            ReminderOutcome.SKIPPED,
        )
    if plan.send is None:
        return 0
    portal = patient.portal_user is not None and patient.portal_user.is_active
    channel = rules.channel_for(
        patient.preferred_contact_method,
        phone=bool(patient.phone.strip()),
        email=bool(patient.email or (portal and patient.portal_user and patient.portal_user.email)),
        portal=portal,
    )
    due = rules.reminder_due(plan.send, appointment.starts_at, zone)
    outcome = ReminderOutcome.SENT if channel != Channel.NONE else ReminderOutcome.FAILED
    reminder = _make(appointment, plan.send, due, channel, language, outcome)
    if reminder is None or channel == Channel.NONE:
        return 0
    try:
        _send(appointment, channel, zone, language)
    except Exception:  # a provider's failure: recorded, and the reminder is not tried again
        logger.exception("Reminder %s of appointment %s could not be sent", reminder.pk, appointment.pk)
        Reminder.objects.filter(pk=reminder.pk).update(outcome=ReminderOutcome.FAILED)
        return 0
    # What left the system for the patient: a disclosure to the patient, kept in the audit log.
    audit.record(
        None, AuditAction.EXPORT, patient=patient, obj=reminder, detail=f"appointment reminder by {channel}"
    )
    return 1
