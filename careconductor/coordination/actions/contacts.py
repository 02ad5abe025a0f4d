"""The contact log (Communication), time that was not a contact, and the steps of the unable-to-reach protocol."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from .. import rules
from ..choices import (
    ContactDirection,
    ContactMode,
    ContactParty,
    InterpreterUse,
    MedsTaken,
    OutreachStep,
    TaskKind,
    TeachBack,
    TimeActivity,
)
from ..models import (
    Contact,
    OutreachAttempt,
    TimeEntry,
)
from ..reach import reach_state_for, refresh_last_reached
from .tasks import do_create_task


@dataclass(frozen=True)
class ContactInput:
    """A contact as the form or the API gives it; validated in do_log_contact."""

    contact_at: dt.datetime
    mode: str
    direction: str
    reached: bool
    minutes: int = 0
    party: str = ContactParty.PATIENT
    party_name: str = ""
    interpreter: str = ""
    patient_words: str = ""
    meds_taken: str = ""
    symptoms: str = ""
    goal_progress: str = ""
    barriers: str = ""
    education: str = ""
    teach_back: str = ""
    next_steps: str = ""
    sensitivity: str = (
        ""  # the label of the record the contact is about (a call with the treatment programme)
    )


@dataclass(frozen=True)
class FollowUp:
    """A follow-up task for oneself, made with the contact it follows (due at 17:00 local time that day)."""

    title: str
    due_on: dt.date


def _follow_up_errors(follow_up: FollowUp, today: dt.date) -> dict[str, str]:
    if not follow_up.title.strip():
        return {"follow_up_title": "Say what needs doing."}
    if not today <= follow_up.due_on <= today + dt.timedelta(days=366):
        return {"follow_up_due": "Give a day from today to a year ahead."}
    return {}


def _contact_errors(data: ContactInput, now: dt.datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.mode not in ContactMode.values:
        errors["mode"] = "Choose how the contact happened."
    if data.direction not in ContactDirection.values:
        errors["direction"] = "Choose who reached out."
    if data.party not in ContactParty.values:
        errors["party"] = "Choose who the contact was with."
    if data.interpreter not in InterpreterUse.values:
        errors["interpreter"] = "Choose whether an interpreter was used."
    if data.contact_at > now + dt.timedelta(minutes=5):
        errors["contact_at"] = "A contact cannot be in the future."
    elif data.contact_at < now - dt.timedelta(days=366):
        errors["contact_at"] = "Contacts more than a year old cannot be logged."
    if not 0 <= data.minutes <= 600:
        errors["minutes"] = "Minutes must be between 0 and 600."
    if data.meds_taken not in MedsTaken.values:
        errors["meds_taken"] = "Choose an answer about medicines."
    if data.teach_back not in TeachBack.values:
        errors["teach_back"] = "Choose the teach-back result."
    elif data.teach_back and not data.education.strip():
        errors["education"] = "Say what was taught, so the teach-back result means something."
    elif data.education.strip() and not data.teach_back:
        errors["teach_back"] = "Say whether teach-back confirmed understanding (or that it was not done)."
    if data.reached and data.minutes == 0 and data.mode != ContactMode.PORTAL:
        errors["minutes"] = "Give the minutes spent: they count toward the monthly care-management time."
    if data.party != ContactParty.PATIENT and data.reached and not data.party_name.strip():
        errors["party_name"] = "Name who you spoke with."
    return errors


def do_log_contact(
    user: User,
    patient: Patient,
    data: ContactInput,
    *,
    case: Case | None = None,
    follow_up: FollowUp | None = None,
) -> Contact:
    """Log a contact or an attempt, and the follow-up task it calls for if any: both, or neither. A reached
    contact moves the next due contact at once (the patient's last reached moment is refreshed from the log in
    the same transaction, and the cadence runs from it); a failed attempt counts toward the unable-to-reach
    protocol."""
    policy.require(user, policy.Action.LOG_CONTACT, patient)
    if case is not None and case.patient_id != patient.pk:
        raise ActionRefused({"case": "That case belongs to another patient."})
    errors = _contact_errors(data, clock.now())
    if data.sensitivity not in Sensitivity.values or not policy.may_read_label(
        user, patient, data.sensitivity
    ):
        errors["sensitivity"] = "You may not see records with this label, so you cannot write one."
    if follow_up is not None:
        errors |= _follow_up_errors(follow_up, clock.today())
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        contact = Contact.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            case=case,
            staff=user,
            contact_at=data.contact_at,
            mode=data.mode,
            direction=data.direction,
            party=data.party,
            party_name=data.party_name.strip()[:200],
            interpreter=data.interpreter,
            reached=data.reached,
            minutes=data.minutes,
            patient_words=data.patient_words.strip(),
            meds_taken=data.meds_taken if data.reached else "",
            symptoms=data.symptoms.strip() if data.reached else "",
            goal_progress=data.goal_progress.strip() if data.reached else "",
            barriers=data.barriers.strip() if data.reached else "",
            education=data.education.strip() if data.reached else "",
            teach_back=data.teach_back if data.reached else "",
            next_steps=data.next_steps.strip(),
            sensitivity=data.sensitivity,
        )
        refresh_last_reached([patient.pk])
        audit.record(user, AuditAction.CREATE, patient=patient, obj=contact, detail=f"contact {data.mode}")
        if follow_up is not None:
            do_create_task(
                user,
                patient,
                owner=user,
                title=follow_up.title,
                due_at=timezone.make_aware(dt.datetime.combine(follow_up.due_on, dt.time(17, 0))),
                kind=TaskKind.FOLLOW_UP,
                case_id=contact.case_id,
                focus=f"Communication/{contact.pk}",
                sensitivity=Sensitivity(data.sensitivity),
            )
    return contact


def do_log_time(
    user: User,
    patient: Patient,
    *,
    on: dt.date,
    activity: str,
    minutes: int,
    note: str = "",
    case: Case | None = None,
) -> TimeEntry:
    """Minutes of care management that were not a contact (those carry their own minutes)."""
    policy.require(user, policy.Action.LOG_TIME, patient)
    errors: dict[str, str] = {}
    if activity not in TimeActivity.values:
        errors["activity"] = "Choose the activity."
    if not 1 <= minutes <= 600:
        errors["minutes"] = "Minutes must be between 1 and 600."
    today = clock.today()
    if on > today:
        errors["on"] = "Time cannot be logged for a day still to come."
    elif on < today - dt.timedelta(days=366):
        errors["on"] = "Time more than a year old cannot be logged."
    if case is not None and case.patient_id != patient.pk:
        errors["case"] = "That case belongs to another patient."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        entry = TimeEntry.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            case=case,
            staff=user,
            on=on,
            activity=activity,
            minutes=minutes,
            note=note.strip()[:300],
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=entry, detail=f"{minutes} min")
    return entry


def do_record_outreach(user: User, case: Case, *, step: str, note: str) -> OutreachAttempt:
    """One step of the unable-to-reach protocol: only once the protocol has begun, in its order."""
    policy.require(user, policy.Action.CHANGE, case.patient)
    if step not in OutreachStep.values:
        raise ActionRefused({"step": "Choose the protocol step."})
    if not note.strip():
        raise ActionRefused({"note": "Say what was done (e.g. letter mailed to the home address)."})
    with transaction.atomic():
        state = reach_state_for(case)
        if state.stage not in ("protocol", "may-close"):
            raise ActionRefused(
                {"step": "The unable-to-reach steps begin after the failed attempts the protocol asks for."}
            )
        if step != state.next_step:
            expected = rules.STEP_LABELS.get(state.next_step, "none")
            raise ActionRefused({"step": f"The next step of the protocol is: {expected}."})
        attempt = OutreachAttempt.objects.create(
            case=case, step=step, done_at=clock.now(), done_by=user, note=note.strip()
        )
        audit.record(user, AuditAction.CREATE, patient=case.patient, obj=attempt, detail=step)
    return attempt
