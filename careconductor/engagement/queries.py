"""Permission-checked reads for the portal and the staff side of engagement, and the figures on the chart's
self-management card."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, User
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.models import Reading
from careconductor.cases.models import Case
from careconductor.coordination.choices import FlagStatus
from careconductor.coordination.models import Flag
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.patients.models import Condition, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, AuditOutcome

from . import pictures, rules
from .choices import CheckInKind, ThresholdMeasure
from .models import CheckIn, Message, MessageAttachment, PortalUse, ProxyGrant, Threshold


# --- who the portal is acting for -------------------------------------------------------------------------------
def portal_patients(user: User) -> list[Patient]:
    """The records a portal log-in may use: their own first, then those who made them their proxy."""
    if user.role != Role.PATIENT:
        return []
    # Sorted here, not in SQL: a handful of rows, and an ORDER BY made SQLite walk the organisation's name index.
    found = sorted(policy.visible_patients(user), key=lambda p: (p.family_name, p.given_name, p.pk))
    return sorted(found, key=lambda p: p.portal_user_id != user.pk)


def choose_portal_patient(user: User, patient_id: int | None) -> tuple[Patient, list[Patient]]:
    """The record the portal acts for (the one asked for if the log-in may use it, else their own), and every
    record the log-in may use (the page's "other records" switch). The guard audits the read with
    `record_portal_read` once it knows the response shows the record."""
    choices = portal_patients(user)
    if not choices:
        raise NotVisible
    return next((p for p in choices if p.pk == patient_id), choices[0]), choices


def record_portal_read(user: User, patient: Patient) -> None:
    audit.record(user, AuditAction.READ, patient=patient, obj=patient, detail="portal")


def case_manager_for(patient: Patient) -> User | None:
    """Who answers for the patient: the case manager of their most recent open case."""
    case = (
        Case.objects.open()
        .filter(patient=patient, primary_case_manager__isnull=False, primary_case_manager__is_active=True)
        .select_related("primary_case_manager")
        .order_by("-referred_at")
        .first()
    )
    return case.primary_case_manager if case is not None else None


def team_phone(patient: Patient) -> str:
    """The number a patient calls: their case manager's work phone (the manager of `case_manager_for`), else
    the organisation's. One query, two when the manager has no work phone."""
    phone = (
        Case.objects.open()
        .filter(patient=patient, primary_case_manager__isnull=False, primary_case_manager__is_active=True)
        .order_by("-referred_at")
        .values_list("primary_case_manager__profile__work_phone", flat=True)
        .first()
    )
    if phone:
        return phone
    org = Organization.objects.filter(pk=patient.organization_id).values("phone", "after_hours_phone").get()
    # Never 911 here: the instructions name emergency services themselves; this is the team's own line.
    return org["phone"] or org["after_hours_phone"]


# --- thresholds -------------------------------------------------------------------------------------------------
def _as_limit(row: Threshold) -> rules.Limit:
    return rules.Limit(row.measure, row.low, row.high)


def _heart_failure_q() -> Q:
    return Q(clinical_status="active", icd10_code__startswith=rules.HEART_FAILURE_ICD10)


def limits_for(patient: Patient, *, heart_failure: bool | None = None) -> dict[str, rules.Limit]:
    """The alert limits in force for the patient: their own, else their open programmes', else the defaults.
    `heart_failure`: whether the patient has an active heart failure condition, when the caller knows."""
    programmes = Case.objects.open().filter(patient=patient).order_by().values("program")
    rows = list(
        Threshold.objects.filter(organization_id=patient.organization_id).filter(
            Q(patient=patient)
            | Q(patient__isnull=True, program="")
            | Q(patient__isnull=True, program__in=programmes)
        )
    )
    # A programme's own row beats the organisation's row for every programme.
    programme_rows = sorted((r for r in rows if r.patient_id is None), key=lambda r: r.program != "")
    if heart_failure is None:
        heart_failure = patient.conditions.filter(_heart_failure_q()).exists()
    return rules.effective_limits(
        heart_failure=heart_failure,
        programme_rows=[_as_limit(r) for r in programme_rows],
        patient_rows=[_as_limit(r) for r in rows if r.patient_id == patient.pk],
    )


def patient_thresholds(patient: Patient) -> dict[str, Threshold]:
    return {t.measure: t for t in Threshold.objects.filter(patient=patient).select_related("set_by")}


def access_threshold(user: User, threshold_id: int) -> Threshold:
    found = (
        Threshold.objects.filter(patient__isnull=False)
        .filter(policy.patient_q(user))
        .select_related("patient")
        .filter(pk=threshold_id)
        .first()
    )
    if found is None or found.patient is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=found.patient, obj=found)
    return found


# --- messages ---------------------------------------------------------------------------------------------------
def patient_messages(patient: Patient, limit: int = 100) -> list[Message]:
    return list(
        Message.objects.filter(patient=patient)
        .select_related("sender", "read_by")
        .prefetch_related("attachments")
        .order_by("-sent_at", "-pk")[:limit]
    )


def access_message(user: User, message_id: int) -> Message:
    found = (
        Message.objects.filter(policy.patient_q(user))
        .select_related("patient", "sender", "read_by")
        .prefetch_related("attachments")
        .filter(pk=message_id)
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=found.patient, obj=found)
    return found


def access_attachment(user: User, attachment_id: int) -> MessageAttachment:
    found = (
        MessageAttachment.objects.filter(policy.patient_q(user, "message__patient"))
        .select_related("message__patient")
        .filter(pk=attachment_id)
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=found.message.patient, obj=found, detail="download")
    return found


class UnsafeAttachment(Exception):
    """A stored file that says it is a picture but is not one of its type (changed on disk, or from before
    pictures were checked): it is not sent."""


def attachment_content(user: User, found: MessageAttachment) -> bytes:
    """The stored file as it may be sent. A picture is checked again first: one that is not a picture of its
    stored type is refused (and the refusal audited); one that still carries metadata (kept before pictures
    were cleaned on upload) is sent as a clean copy, the stored file left as it is."""
    with found.file.open("rb") as stored:
        data = stored.read()
    if not pictures.is_picture(found.content_type):
        return data
    try:
        if pictures.has_metadata(data, found.content_type):
            return pictures.clean(data, found.content_type)
    except pictures.NotAPicture as exc:
        audit.record(
            user,
            AuditAction.REFUSED,
            patient=found.message.patient,
            obj=found,
            outcome=AuditOutcome.MINOR_FAILURE,
            detail=f"download refused: not a {found.content_type} picture ({exc.problem})",
        )
        raise UnsafeAttachment from exc
    return data


def unread_from_patients(patient_ids: list[int]) -> dict[int, int]:
    """Messages from the patient's side nobody on the team has opened, per patient (one query)."""
    if not patient_ids:
        return {}
    rows = (
        Message.objects.filter(from_patient=True, read_at__isnull=True, patient_id__in=patient_ids)
        .values("patient_id")
        .annotate(n=Count("pk"))
    )
    return {r["patient_id"]: r["n"] for r in rows}


def unread_for_patient(patient: Patient) -> int:
    return Message.objects.filter(patient=patient, from_patient=False, read_at__isnull=True).count()


def active_proxies(patient: Patient) -> list[ProxyGrant]:
    return list(
        ProxyGrant.objects.filter(patient=patient, revoked_at__isnull=True)
        .select_related("proxy")
        .order_by("name")
    )


def access_grant(user: User, grant_id: int) -> ProxyGrant:
    found = (
        ProxyGrant.objects.filter(policy.patient_q(user))
        .select_related("patient")
        .filter(pk=grant_id)
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=found.patient, obj=found)
    return found


# --- readings and the self-management card --------------------------------------------------------------------
LABELS = {
    "bp": ("Blood pressure", "mmHg"),
    "glucose": ("Blood sugar", "mg/dL"),
    "weight": ("Weight", "kg"),
    "peak-flow": ("Peak flow", "L/min"),
}


def self_readings(patient: Patient, since: dt.datetime) -> list[Reading]:
    return list(
        Reading.objects.filter(
            patient=patient, source=ReadingSource.SELF_REPORT, taken_at__gte=since
        ).order_by("taken_at", "pk")
    )


@dataclass(frozen=True)
class LatestReading:
    label: str
    text: str  # "182/96 mmHg"
    taken_at: dt.datetime
    past_limit: bool
    limit_text: str  # "alert at 180/120"


def _limit_text(measure: str, limits: dict[str, rules.Limit]) -> str:
    if measure == "bp":
        s, d = limits.get(ThresholdMeasure.BP_SYSTOLIC), limits.get(ThresholdMeasure.BP_DIASTOLIC)
        if s and d and s.high and d.high:
            return f"alert at {s.high:.0f}/{d.high:.0f} or above"
        return ""
    limit = limits.get(measure)
    if limit is None:
        return ""
    parts = []
    if limit.low is not None:
        parts.append(f"below {limit.low:.0f}")
    if limit.high is not None:
        parts.append(
            f"above {limit.high:.0f}" if measure in rules.ABOVE_ONLY else f"{limit.high:.0f} or above"
        )
    return "alert " + " or ".join(parts) if parts else ""


class _Value(NamedTuple):
    value: Decimal
    taken_at: dt.datetime


def latest_readings(patient: Patient, limits: dict[str, rules.Limit]) -> list[LatestReading]:
    """The newest self-reported value of each measure, against the patient's limits (one query)."""
    since = clock.now() - dt.timedelta(days=90)
    rows = (
        Reading.objects.filter(patient=patient, source=ReadingSource.SELF_REPORT, taken_at__gte=since)
        .order_by("taken_at", "pk")
        .values_list("measure", "value", "taken_at")
    )
    # Values, not model instances: a patient reporting daily has a few hundred rows in 90 days.
    newest = {measure: _Value(value, taken_at) for measure, value, taken_at in rows}
    out: list[LatestReading] = []
    sys_, dia = newest.get("bp-systolic"), newest.get("bp-diastolic")
    if sys_ and dia:
        breach = rules.check_blood_pressure(sys_.value, dia.value, limits, "")
        out.append(
            LatestReading(
                "Blood pressure",
                f"{sys_.value:.0f}/{dia.value:.0f} mmHg",
                sys_.taken_at,
                breach is not None,
                _limit_text("bp", limits),
            )
        )
    for key in ("glucose", "weight", "peak-flow"):
        latest = newest.get(key)
        if latest is None:
            continue
        reading = latest
        if key == "glucose":
            past = rules.check_glucose(reading.value, limits, "") is not None
        elif key == "peak-flow":
            past = rules.check_peak_flow(reading.value, limits, "") is not None
        else:
            past = False  # weight alerts are about change, shown by its own flag
        label, unit = LABELS[key]
        limit_key = ThresholdMeasure.WEIGHT_GAIN if key == "weight" else key
        text = _limit_text(limit_key, limits) if key != "weight" else ""
        if key == "weight" and limits.get(ThresholdMeasure.WEIGHT_GAIN):
            gain = limits[ThresholdMeasure.WEIGHT_GAIN].high
            text = f"alert on a gain of {gain:.1f} kg in 3 days" if gain is not None else ""
        out.append(
            LatestReading(label, f"{reading.value.normalize():f} {unit}", reading.taken_at, past, text)
        )
    return out


@dataclass(frozen=True)
class SelfManagement:
    """The chart card: how the patient is managing between contacts."""

    has_portal: bool
    proxies: int
    last_check_in: CheckIn | None
    last_use: dt.date | None
    days_since_use: int | None
    adherence_share: Decimal | None
    adherence_scheduled: int
    adherence_taken: int
    readings: list[LatestReading]
    open_alerts: list[Flag]
    unread_messages: int


def self_management(patient: Patient, active_flags: Iterable[Flag] | None = None) -> SelfManagement:
    """Everything on the card, in a fixed number of queries. `active_flags`: the patient's active flags,
    newest first, when the page has them already (the chart's header)."""
    from careconductor.medications.queries import adherence_for

    today = clock.today()
    figures = _card_figures(patient)
    last_use = figures.last_use
    adherence = adherence_for(patient, days=30)
    if active_flags is None:
        active_flags = Flag.objects.filter(patient=patient, status=FlagStatus.ACTIVE).order_by("-raised_at")
    alerts = [
        f for f in active_flags if f.status == FlagStatus.ACTIVE and f.rule.startswith(rules.ALERT_PREFIX)
    ]
    return SelfManagement(
        has_portal=patient.portal_user_id is not None,
        proxies=figures.proxies,
        last_check_in=CheckIn.objects.filter(patient=patient).select_related("goal").first(),
        last_use=last_use,
        days_since_use=(today - last_use).days if last_use else None,
        adherence_share=adherence.share,
        adherence_scheduled=adherence.scheduled,
        adherence_taken=adherence.taken,
        readings=latest_readings(patient, limits_for(patient, heart_failure=figures.heart_failure)),
        open_alerts=alerts,
        unread_messages=figures.unread,
    )


@dataclass(frozen=True)
class _CardFigures:
    last_use: dt.date | None
    proxies: int
    unread: int
    heart_failure: bool


def _card_figures(patient: Patient) -> _CardFigures:
    """The card's counts in one query: last portal use, active proxies, unread messages from the patient's
    side, and whether an active condition is heart failure (for the limits)."""

    def count(rows: QuerySet[Any]) -> Coalesce:
        per_patient = rows.order_by().values("patient_id").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(per_patient, output_field=IntegerField()), 0)

    here = OuterRef("pk")
    last_use, proxies, unread, heart_failure = (
        Patient.objects.filter(pk=patient.pk)
        .annotate(
            last_use=Subquery(
                PortalUse.objects.filter(patient=here)
                .order_by()
                .values("patient_id")
                .annotate(d=Max("day"))
                .values("d")
            ),
            proxies=count(
                ProxyGrant.objects.filter(patient=here, revoked_at__isnull=True, proxy__isnull=False)
            ),
            unread=count(Message.objects.filter(patient=here, from_patient=True, read_at__isnull=True)),
            heart_failure=Exists(Condition.objects.filter(_heart_failure_q(), patient=here)),
        )
        .values_list("last_use", "proxies", "unread", "heart_failure")
        .get()
    )
    return _CardFigures(last_use, proxies, unread, heart_failure)


def recent_check_ins(patient: Patient, limit: int = 20) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient=patient).select_related("goal", "reported_by")[:limit]


def goal_check_ins(patient: Patient) -> dict[int, CheckIn]:
    """The latest check-in per goal."""
    latest: dict[int, CheckIn] = {}
    for row in CheckIn.objects.filter(patient=patient, kind=CheckInKind.GOAL).order_by("reported_at", "pk"):
        if row.goal_id is not None:
            latest[row.goal_id] = row
    return latest
