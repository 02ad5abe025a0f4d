"""The only code that changes education records. Every change checks the policy, runs in one transaction and
writes an audit event; a refusal changes nothing."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import library, rules
from .choices import AssignmentStatus, MaterialFormat, TeachBackResult
from .models import Assignment, Delivery

MAX_NOTE = 2000


def do_assign_material(
    user: User,
    patient: Patient,
    *,
    slug: str,
    language: str = "",
    reason: str = "",
    due: dt.date | None = None,
) -> Assignment:
    """Assign a library material. The language defaults to the patient's, falling back to English (marked on
    the assignment) when the material is not written in it."""
    policy.require(user, policy.Action.CHANGE, patient)
    material = library.material(slug)
    if material is None:
        raise ActionRefused({"material": "Pick a material from the library."})
    wanted = language or patient.preferred_language
    picked = rules.pick_language(material.languages, wanted)
    if language and rules.base_language(language) not in material.languages:
        raise ActionRefused(
            {"language": f"This material is written in {', '.join(material.languages)} only."}
        )
    if picked is None:  # unreachable while English is required, kept for deployer files of the future
        raise ActionRefused({"language": "This material is not written in a language the patient reads."})
    code, fallback = picked
    if language:  # staff chose: a fall-back only when it is not what the patient reads
        fallback = code != rules.base_language(patient.preferred_language)
    if due is not None and due < clock.today():
        raise ActionRefused({"due": "The date to go through it by cannot be in the past."})
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                organization_id=patient.organization_id,
                patient=patient,
                material_slug=material.slug,
                title=material.text(code).title,
                topic=material.topic,
                format=material.format,
                language=code,
                language_fallback=fallback,
                reading_level=material.reading_level,
                reason=reason.strip()[:MAX_NOTE],
                due=due,
                assigned_by=user,
                assigned_at=clock.now(),
            )
            audit.record(user, AuditAction.CREATE, patient=patient, obj=assignment, detail=material.slug)
    except IntegrityError as exc:
        raise ActionRefused(
            {"material": "This material is already assigned and waiting to be gone through."}
        ) from exc
    return assignment


def do_record_delivery(
    user: User,
    assignment: Assignment,
    *,
    format_used: str,
    teach_back: str,
    note: str = "",
    delivered_at: dt.datetime | None = None,
    acknowledge_print_prompt: bool = False,
) -> Delivery:
    """Record that staff went through the material with the patient. Handing over print alone to someone who
    prefers another way of learning is refused until staff have seen the gentle prompt and chosen to go ahead
    (`acknowledge_print_prompt`)."""
    patient = assignment.patient
    policy.require(user, policy.Action.CHANGE, patient)
    if format_used not in MaterialFormat.values:
        raise ActionRefused({"format_used": "Choose how the material was given."})
    if teach_back not in TeachBackResult.values:
        raise ActionRefused({"teach_back": "Choose the teach-back result."})
    now = clock.now()
    when = delivered_at or now
    if when > now:
        raise ActionRefused({"delivered_at": "A delivery cannot be in the future."})
    if when < assignment.assigned_at - dt.timedelta(days=1):
        raise ActionRefused({"delivered_at": "This is before the material was assigned."})
    if len(note) > MAX_NOTE:
        raise ActionRefused({"note": f"Keep the note under {MAX_NOTE} characters."})
    prompt = rules.print_prompt(
        format_used,
        patient.learning_preferences or [],
        name=patient.preferred_name or patient.given_name,
        teach_back=teach_back,
    )
    if prompt and not acknowledge_print_prompt:
        raise ActionRefused({"acknowledge_print_prompt": prompt})
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if not rules.can_deliver(locked.status):
            raise ActionRefused("This material was withdrawn; assign it again to go through it.")
        delivery = Delivery.objects.create(
            assignment=locked,
            patient=patient,
            delivered_at=when,
            delivered_by=user,
            format_used=format_used,
            teach_back=teach_back,
            note=note.strip(),
            print_prompt_acknowledged=bool(prompt),
        )
        if locked.status != AssignmentStatus.DELIVERED:
            locked.status = AssignmentStatus.DELIVERED
            locked.save(update_fields=["status"])
        audit.record(
            user, AuditAction.CREATE, patient=patient, obj=delivery, detail=f"{format_used}; {teach_back}"
        )
    assignment.status, assignment.version = locked.status, locked.version
    return delivery


def do_withdraw_assignment(user: User, assignment: Assignment, *, reason: str) -> Assignment:
    """Take a material off the patient's list (it no longer fits, or was assigned by mistake); kept on record."""
    policy.require(user, policy.Action.CHANGE, assignment.patient)
    if not reason.strip():
        raise ActionRefused({"reason": "Say why it is withdrawn."})
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if not rules.can_withdraw(locked.status):
            raise ActionRefused("This material is already withdrawn.")
        locked.status = AssignmentStatus.WITHDRAWN
        locked.withdrawn_at = clock.now()
        locked.withdrawn_reason = reason.strip()[:MAX_NOTE]
        locked.save(update_fields=["status", "withdrawn_at", "withdrawn_reason"])
        audit.record(user, AuditAction.UPDATE, patient=assignment.patient, obj=locked, detail="withdrawn")
    return locked


def do_mark_opened(user: User, assignment: Assignment) -> Assignment:
    """The patient (or their proxy) opened the material in the portal: the first time is kept on the
    assignment; every opening is in the audit trail."""
    policy.require(user, policy.Action.REPORT, assignment.patient)
    if assignment.status == AssignmentStatus.WITHDRAWN:
        raise ActionRefused("This material was taken off your list.")
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.opened_at is None:
            locked.opened_at = clock.now()
            locked.save(update_fields=["opened_at"])
        audit.record(user, AuditAction.UPDATE, patient=assignment.patient, obj=locked, detail="opened")
    assignment.opened_at, assignment.version = locked.opened_at, locked.version
    return assignment
