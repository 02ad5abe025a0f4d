"""The only code that changes tasks and flags. Rules in other apps (a PHQ-9 item-9 answer, a positive safety
screen) call these inside their own transaction, so a task exists exactly when its cause does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.accounts.models import StaffProfile, Team, User
from careconductor.cases import rules as case_rules
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus, ClosureReason, Program
from careconductor.cases.models import Case
from careconductor.cases.programs import program_rules
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from . import hooks, rules
from .choices import (
    ClosureStatus,
    ContactDirection,
    ContactMode,
    ContactParty,
    FlagCategory,
    FlagStatus,
    InterpreterUse,
    MedsTaken,
    NotificationKind,
    OutreachStep,
    TaskKind,
    TaskPriority,
    TaskStatus,
    TeachBack,
    TimeActivity,
)

# Re-exported: the demo and tests knew it here before escalation had its own module.
from .escalation import do_escalate_overdue_tasks as do_escalate_overdue_tasks
from .inbox import tell_about_handover
from .models import (
    CadenceRule,
    ClosureRequest,
    Contact,
    Flag,
    Holiday,
    OutreachAttempt,
    Task,
    TaskReassignment,
    TimeEntry,
)
from .notify import do_notify
from .reach import reach_state_for


def do_create_task(
    requester: User,
    patient: Patient,
    *,
    owner: User | None = None,
    team: Team | None = None,
    title: str,
    due_at: dt.datetime,
    kind: TaskKind = TaskKind.OTHER,
    priority: TaskPriority = TaskPriority.ROUTINE,
    description: str = "",
    case_id: int | None = None,
    rule: str = "",
    focus: str = "",
    copy_of: Task | None = None,
    sensitivity: Sensitivity = Sensitivity.NORMAL,
) -> Task:
    """A task for `owner`, or for `team`'s queue until someone claims it, about `patient`. The requester must be
    able to see the patient; the owner or team must belong to the patient's organisation. `copy_of`: the same
    work given to someone else too (completing one completes both, do_move_task). `sensitivity`: the label of
    the record the work is about; requester and owner must both be able to read it."""
    policy.require(requester, policy.Action.VIEW, patient)
    if not policy.may_read_label(requester, patient, sensitivity):
        raise ActionRefused(
            {"sensitivity": "You may not see records with this label, so you cannot give such work."}
        )
    if owner is not None and not policy.may_read_label(owner, patient, sensitivity):
        raise ActionRefused(
            {"owner": f"{owner.display_name()} may not read this patient's {_label_words(sensitivity)}."}
        )
    if owner is None and team is None:
        raise ActionRefused({"owner": "Give the task to a person or to a team's queue."})
    if owner is not None and (owner.organization_id != patient.organization_id or not owner.is_active):
        raise ActionRefused({"owner": "Tasks go to active staff of the patient's organisation."})
    if team is not None and team.organization_id != patient.organization_id:
        raise ActionRefused({"team": "Tasks go to teams of the patient's organisation."})
    if priority not in TaskPriority.values:
        raise ActionRefused({"priority": "Choose a priority."})
    if not title.strip():
        raise ActionRefused({"title": "Say what needs doing."})
    if copy_of is not None and copy_of.patient_id != patient.pk:
        raise ActionRefused("A copy of a task is about the same patient.")
    with transaction.atomic():
        task = Task.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            case_id=case_id,
            kind=kind,
            title=title.strip()[:200],
            description=description.strip(),
            priority=priority,
            owner=owner,
            team=team if owner is None else None,
            requester=requester,
            rule=rule,
            focus=focus,
            due_at=due_at,
            grants_access=policy.has_standing_relationship(requester, patient),
            copy_of_id=(copy_of.copy_of_id or copy_of.pk) if copy_of is not None else None,
            sensitivity=sensitivity,
        )
        audit.record(requester, AuditAction.CREATE, patient=patient, obj=task, detail=rule or kind)
        _tell_about_task(requester, task)
    return task


def _label_words(label: str) -> str:
    return {"part2": "Part 2 records", "psychotherapy": "psychotherapy notes"}.get(label, "records")


def _tell_about_task(actor: User, task: Task) -> None:
    """The new owner hears of the task (not when they gave it to themselves); a queue's members all do."""
    if task.owner_id is not None:
        recipients = [task.owner] if task.owner_id != actor.pk and task.owner else []
    else:
        recipients = [
            p.user for p in StaffProfile.objects.filter(team_id=task.team_id or 0).select_related("user")
        ]
        # Only members who may already see the patient: a queue does not open a chart to the whole team.
        recipients = [
            u
            for u in recipients
            if u.pk != actor.pk
            and policy.can(u, policy.Action.VIEW, task.patient)
            and policy.may_read_label(u, task.patient, task.sensitivity)
        ]
    if recipients:
        do_notify(
            recipients,
            NotificationKind.TASK_ASSIGNED,
            f"New {task.get_priority_display().lower()} task: {task.title}",
            body=f"Due {timezone.localtime(task.due_at):%Y-%m-%d %H:%M}.",
            url=f"/tasks/{task.pk}/",
            patient=task.patient,
        )


def do_add_task_note(user: User, task: Task, note: str) -> Task:
    """A note on the task, stamped with who and when; notes are kept, never edited."""
    policy.require(user, policy.Action.VIEW, task.patient)
    if not note.strip():
        raise ActionRefused({"note": "Write the note."})
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        _append_note(task, user, note)
        task.save(update_fields=["note", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail="note")
    return task


def _append_note(task: Task, user: User, note: str) -> None:
    stamp = f"{timezone.localtime(clock.now()):%Y-%m-%d %H:%M} {user.display_name()}: {note.strip()}"
    task.note = f"{task.note}\n{stamp}".strip()


def do_reassign_task(
    user: User,
    task: Task,
    *,
    owner: User | None = None,
    team: Team | None = None,
    reason: str,
    tell: bool = True,
) -> Task:
    """Hand a task to another person or to a team's queue, saying why. The owner, a member of the queue's team
    or anyone who may change the patient's record may do it. `tell=False`: the caller tells the new owner
    itself, once for many tasks (a bulk reassignment, cases.reassign)."""
    policy.require(user, policy.Action.VIEW, task.patient)
    if not _may_work_on(user, task):
        raise ActionRefused("Only the task's owner, its team or the patient's case staff may hand it over.")
    errors: dict[str, str] = {}
    if owner is None and team is None:
        errors["owner"] = "Choose a person or a team's queue."
    if owner is not None and (owner.organization_id != task.organization_id or not owner.is_active):
        errors["owner"] = "Tasks go to active staff of the patient's organisation."
    if owner is not None and owner.pk == task.owner_id:
        errors["owner"] = "The task is already theirs."
    if team is not None and team.organization_id != task.organization_id:
        errors["team"] = "Tasks go to teams of the patient's organisation."
    if owner is not None and not policy.may_read_label(owner, task.patient, task.sensitivity):
        errors["owner"] = (
            f"{owner.display_name()} may not read this patient's {_label_words(task.sensitivity)}."
        )
    if not reason.strip():
        errors["reason"] = "Say why the task changes hands."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        if not task.is_open:
            raise ActionRefused("A finished task cannot be handed over.")
        TaskReassignment.objects.create(
            task=task,
            from_owner_id=task.owner_id,
            from_team_id=task.team_id,
            to_owner=owner,
            to_team=team if owner is None else None,
            by=user,
            at=clock.now(),
            reason=reason.strip()[:300],
        )
        task.owner = owner
        task.team = team if owner is None else None
        task.escalated_at = None  # a new owner gets the full delay before escalation
        task.escalated_to = None
        task.grants_access = policy.has_standing_relationship(user, task.patient)
        task.save(
            update_fields=["owner", "team", "escalated_at", "escalated_to", "grants_access", "updated_at"]
        )
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail="reassigned")
        if tell and owner is not None:
            tell_about_handover(user, task, reason)  # a hand-over in their inbox (issue 17 §4)
        elif tell:
            _tell_about_task(user, task)
    return task


def do_claim_task(user: User, task: Task) -> Task:
    """Take a task from one's team queue. Two people claiming at once: the second is told it is taken."""
    policy.require(user, policy.Action.VIEW, task.patient)
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        if task.owner_id is not None:
            who = "you" if task.owner_id == user.pk else "someone else"
            raise ActionRefused(f"This task was already claimed by {who}.")
        if not task.is_open:
            raise ActionRefused("This task is finished.")
        if not _in_team(user, task.team_id):
            raise ActionRefused("Only members of the team can claim from its queue.")
        if not policy.may_read_label(user, task.patient, task.sensitivity):
            raise ActionRefused(f"You may not read this patient's {_label_words(task.sensitivity)}.")
        TaskReassignment.objects.create(
            task=task, from_team_id=task.team_id, to_owner=user, by=user, at=clock.now(), reason="claimed"
        )
        task.owner = user
        task.save(update_fields=["owner", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail="claimed")
    return task


def _in_team(user: User, team_id: int | None) -> bool:
    if team_id is None:
        return False
    return (
        StaffProfile.objects.filter(user=user, team_id=team_id).exists()
        or Team.objects.filter(pk=team_id, supervisor=user).exists()
    )


def _may_work_on(user: User, task: Task) -> bool:
    if task.owner_id == user.pk or policy.may(user, policy.Action.CHANGE, task.patient):
        return True
    return task.owner_id is None and _in_team(user, task.team_id)


def do_move_task(user: User, task: Task, target: TaskStatus, *, note: str = "") -> Task:
    """Move a task along the transition table; its owner or anyone who may change the patient's record.
    Completing a task completes its open copies too (the same work given to several people), in the same
    transaction, each with a note saying who did it."""
    policy.require(user, policy.Action.VIEW, task.patient)
    if not _may_work_on(user, task):
        raise ActionRefused("Only the task's owner, its team or the patient's case staff may change it.")
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        current = TaskStatus(task.status)
        if not rules.can_move(current, target):
            raise ActionRefused(
                {"status": f"A task that is {current.label.lower()} cannot become {target.label.lower()}."}
            )
        task.status = target
        if target == TaskStatus.COMPLETED:
            task.completed_at = clock.now()
        if note.strip():
            _append_note(task, user, note)
        task.save(update_fields=["status", "completed_at", "note", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail=f"status {target}")
        if target == TaskStatus.COMPLETED:
            _complete_copies(user, task)
    return task


def _complete_copies(user: User, task: Task) -> None:
    """The work is done whoever did it: the other open copies are completed, whatever open state they are in."""
    first = task.copy_of_id or task.pk
    copies = (
        Task.objects.open()
        .filter(Q(pk=first) | Q(copy_of_id=first))
        .exclude(pk=task.pk)
        .select_for_update(of=("self",))
        .select_related("patient")
    )
    for copy in copies:
        _finish_task(
            user,
            copy,
            f"done: completed on the linked task {task.pk} ({task.owner_label()})",
            task.completed_at,
        )
        audit.record(
            user, AuditAction.UPDATE, patient=copy.patient, obj=copy, detail=f"completed with task {task.pk}"
        )


def do_raise_flag(
    user: User,
    patient: Patient,
    *,
    text: str,
    category: FlagCategory = FlagCategory.SAFETY,
    rule: str = "",
    focus: str = "",
) -> Flag:
    """An alert on the chart. One active flag per rule and patient: a second cause refreshes nothing."""
    policy.require(user, policy.Action.VIEW, patient)
    with transaction.atomic():
        existing = (
            Flag.objects.filter(patient=patient, rule=rule, status=FlagStatus.ACTIVE).first()
            if rule
            else None
        )
        if existing is not None:
            return existing
        flag = Flag.objects.create(
            patient=patient,
            category=category,
            text=text[:200],
            rule=rule,
            focus=focus,
            raised_at=clock.now(),
            raised_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=flag, detail=rule)
    return flag


def do_acknowledge_flag(user: User, flag: Flag, *, note: str) -> Flag:
    """A person has seen the alert and says what was done; the flag leaves the chart header."""
    policy.require(user, policy.Action.VIEW, flag.patient)
    if not note.strip():
        raise ActionRefused({"note": "Say what was done about the alert."})
    with transaction.atomic():
        flag = Flag.objects.select_for_update(of=("self",)).select_related("patient").get(pk=flag.pk)
        if flag.status != FlagStatus.ACTIVE:
            raise ActionRefused("This alert has already been acknowledged.")
        flag.status = FlagStatus.INACTIVE
        flag.acknowledged_at = clock.now()
        flag.acknowledged_by = user
        flag.acknowledgement = note.strip()
        flag.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement", "updated_at"]
        )
        audit.record(user, AuditAction.UPDATE, patient=flag.patient, obj=flag, detail="acknowledged")
    return flag


# --- Contacts and time --------------------------------------------------------------------------------------
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
    contact moves the next due contact at once (the cadence is read from the contact log); a failed attempt
    counts toward the unable-to-reach protocol."""
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


# --- Closing a case -----------------------------------------------------------------------------------------
def closing_summary_draft(case: Case, takes_over: str = "") -> str:
    """The closing summary the case manager starts from: goals and their final status, outcomes against
    baseline (from the care plan), open work, who takes over. They edit it before closing."""
    parts: list[str] = []
    for section in hooks.SUMMARY_SECTIONS:
        heading, lines = section(case)
        if lines:
            parts.append(heading + "\n" + "\n".join(f"- {line}" for line in lines))
    open_tasks = [
        f"{t.title} ({t.owner_label()}, due {timezone.localtime(t.due_at):%Y-%m-%d})"
        for t in Task.objects.open().filter(patient_id=case.patient_id).select_related("owner", "team")
    ]
    parts.append("Open work and referrals\n" + ("\n".join(f"- {t}" for t in open_tasks) or "- none"))
    parts.append(f"{TAKES_OVER}\n- {takes_over.strip() or NOT_NAMED}")
    return "\n\n".join(parts)


TAKES_OVER, NOT_NAMED = "Who takes over", "not yet named"


def with_takes_over(summary: str, takes_over: str) -> str:
    """The summary naming who takes over: filled into the draft's placeholder, or added at the end."""
    name = takes_over.strip()
    summary = summary.replace("\r\n", "\n")  # browsers send CRLF from a textarea
    placeholder = f"{TAKES_OVER}\n- {NOT_NAMED}"
    if not name or name in summary:
        return summary.strip()
    if placeholder in summary:
        return summary.replace(placeholder, f"{TAKES_OVER}\n- {name}").strip()
    return f"{summary.strip()}\n\n{TAKES_OVER}\n- {name}"


def closure_needs_approval(user: User, case: Case) -> bool:
    """Programmes whose rules ask for it (cases.programs: the organisation's, else the installation's default)
    need the supervisor, unless the supervisor (or an administrator) closes the case themselves."""
    if not program_rules(case.organization_id, case.program).closure_approval:
        return False
    return not _may_decide_closure(user, case)


def _may_decide_closure(user: User, case: Case) -> bool:
    return user.role == Role.ADMIN or (case.team.supervisor_id == user.pk)


def do_request_closure(
    user: User,
    case: Case,
    *,
    reason: str,
    summary: str,
    reason_other: str = "",
    takes_over: str = "",
) -> ClosureRequest | Case:
    """Close the case, or ask the supervisor to when the programme needs approval. Returns the closed case or
    the pending request. Closing as unable to reach needs the protocol done first."""
    policy.require(user, policy.Action.CHANGE, case.patient)
    case = Case.objects.select_related("patient", "team__supervisor").get(
        pk=case.pk
    )  # the status as it is now
    errors = _closure_errors(case, reason, reason_other, summary)
    if errors:
        raise ActionRefused(errors)
    if not closure_needs_approval(user, case):
        return _close(user, case, reason, reason_other, summary, takes_over)
    with transaction.atomic():
        if ClosureRequest.objects.filter(case=case, status=ClosureStatus.PENDING).exists():
            raise ActionRefused("A request to close this case is already waiting for the supervisor.")
        supervisor = case.team.supervisor
        if supervisor is None or not supervisor.is_active:
            raise ActionRefused(
                "The case's team has no supervisor to approve the closure; ask an administrator."
            )
        request = ClosureRequest.objects.create(
            case=case,
            requested_by=user,
            requested_at=clock.now(),
            reason=reason,
            reason_other=reason_other.strip()[:200],
            summary=with_takes_over(summary, takes_over),
            takes_over=takes_over.strip()[:200],
        )
        request.task = do_create_task(
            user,
            case.patient,
            owner=supervisor,
            title=f"Approve closing the case ({ClosureReason(reason).label.lower()})",
            due_at=clock.now() + dt.timedelta(days=2),
            kind=TaskKind.CASE_CLOSURE,
            case_id=case.pk,
            rule="closure-approval",
            focus=f"EpisodeOfCare/{case.pk}",
        )
        request.save(update_fields=["task", "updated_at"])
        audit.record(user, AuditAction.CREATE, patient=case.patient, obj=request, detail="closure requested")
    return request


def _closure_errors(case: Case, reason: str, reason_other: str, summary: str) -> dict[str, str]:
    if not case.is_open:
        return {"": "This case is already finished."}
    errors = case_rules.check_transition(
        case_rules.CaseFacts(CaseStatus(case.status), True, True),
        case_rules.TransitionRequest(
            CaseStatus.CLOSED,
            closure_reason=reason,
            closure_reason_other=reason_other,
            closing_summary=summary,
        ),
    )
    if reason == ClosureReason.UNABLE_TO_REACH and not errors:
        state = reach_state_for(case)
        if state.stage != "may-close":
            errors["closure_reason"] = "Finish the unable-to-reach protocol first: " + (
                state.message or "there are no failed attempts since the last contact."
            )
    return errors


def do_decide_closure(
    user: User, request: ClosureRequest, *, approve: bool, comment: str = ""
) -> ClosureRequest:
    """The supervisor approves (the case closes and the summary goes to the team) or returns it with comments.
    The person who asked cannot approve their own request."""
    case = request.case
    policy.require(user, policy.Action.VIEW, case.patient)
    if not _may_decide_closure(user, case):
        raise ActionRefused("Only the team's supervisor or an administrator decides on closing this case.")
    if user.pk == request.requested_by_id:
        raise ActionRefused("Someone other than the person who asked must approve the closure.")
    if not approve and not comment.strip():
        raise ActionRefused({"comment": "Say what needs to change before the case can close."})
    with transaction.atomic():
        request = (
            ClosureRequest.objects.select_for_update(of=("self",)).select_related("case").get(pk=request.pk)
        )
        if request.status != ClosureStatus.PENDING:
            raise ActionRefused("This request has already been decided.")
        request.status = ClosureStatus.APPROVED if approve else ClosureStatus.RETURNED
        request.decided_by = user
        request.decided_at = clock.now()
        request.comment = comment.strip()
        request.save(update_fields=["status", "decided_by", "decided_at", "comment", "updated_at"])
        if request.task is not None and request.task.is_open:
            _finish_task(user, request.task, "approved" if approve else f"returned: {comment.strip()}")
        if approve:
            _close(
                user, request.case, request.reason, request.reason_other, request.summary, request.takes_over
            )
        else:
            do_notify(
                [request.requested_by],
                NotificationKind.CLOSURE,
                "Closure returned by the supervisor",
                body=comment.strip(),
                url=f"/cases/{case.pk}/close/",
                patient=case.patient,
            )
        audit.record(
            user, AuditAction.UPDATE, patient=case.patient, obj=request, detail=f"closure {request.status}"
        )
    return request


def _finish_task(user: User, task: Task, note: str, at: dt.datetime | None = None) -> None:
    task.status = TaskStatus.COMPLETED
    task.completed_at = at or clock.now()
    _append_note(task, user, note)
    task.save(update_fields=["status", "completed_at", "note", "updated_at"])


def _close(user: User, case: Case, reason: str, reason_other: str, summary: str, takes_over: str) -> Case:
    with transaction.atomic():
        text = with_takes_over(summary, takes_over)
        case = do_transition_case(
            user,
            case,
            case_rules.TransitionRequest(
                CaseStatus.CLOSED,
                closure_reason=reason,
                closure_reason_other=reason_other,
                closing_summary=text,
            ),
        )
        today = clock.today()
        team = [
            m.user
            for m in CareTeamMember.objects.filter(
                patient_id=case.patient_id, user__isnull=False
            ).select_related("user")
            if m.is_current(today) and m.user is not None
        ]
        people = {u.pk: u for u in [*team, case.primary_case_manager, case.team.supervisor] if u is not None}
        people.pop(user.pk, None)
        if people:
            do_notify(
                people.values(),
                NotificationKind.CLOSURE,
                f"Case closed: {case.get_program_display()}",
                body="The closing summary is on the case.",
                url=f"/cases/{case.pk}/",
                patient=case.patient,
            )
    return case


# --- Settings: cadence and holidays -------------------------------------------------------------------------
def _require_admin(user: User) -> int:
    return policy.require_admin(user, "Only an administrator changes the organisation's follow-up settings.")


def do_set_cadence(
    user: User, *, program: str, acuity_tier: int, interval_days: int, mode: str, by_whom: str = ""
) -> CadenceRule:
    """How often a programme's patients at a tier are contacted; replaces the default for that pair."""
    org_id = _require_admin(user)
    errors: dict[str, str] = {}
    if program not in Program.values:
        errors["program"] = "Choose a programme."
    if acuity_tier not in (1, 2, 3, 4):
        errors["acuity_tier"] = "Choose a tier from 1 to 4."
    if not 1 <= interval_days <= 366:
        errors["interval_days"] = "Give a number of days from 1 to 366."
    if mode not in ContactMode.values:
        errors["mode"] = "Choose how the contact is made."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        rule, _ = CadenceRule.objects.update_or_create(
            organization_id=org_id,
            program=program,
            acuity_tier=acuity_tier,
            defaults={"interval_days": interval_days, "mode": mode, "by_whom": by_whom.strip()[:100]},
        )
        audit.record(
            user, AuditAction.UPDATE, obj=rule, detail=f"{program} tier {acuity_tier}: {interval_days} d"
        )
    return rule


def do_reset_cadence(user: User, rule: CadenceRule) -> None:
    _require_admin(user)
    if rule.organization_id != user.organization_id:
        raise ActionRefused("That setting belongs to another organisation.")
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, obj=rule, detail="back to the default")
        rule.delete()


def do_add_holiday(user: User, *, date: dt.date, name: str) -> Holiday:
    """A day the organisation is closed: it does not count as a business day (e.g. for the TCM 2-day call)."""
    org_id = _require_admin(user)
    if not name.strip():
        raise ActionRefused({"name": "Name the day, e.g. Christmas Eve (offices closed)."})
    with transaction.atomic():
        if Holiday.objects.filter(organization_id=org_id, date=date).exists():
            raise ActionRefused({"date": "That day is already a holiday."})
        holiday = Holiday.objects.create(organization_id=org_id, date=date, name=name.strip()[:100])
        audit.record(user, AuditAction.CREATE, obj=holiday, detail=str(date))
    return holiday


def do_remove_holiday(user: User, holiday: Holiday) -> None:
    _require_admin(user)
    if holiday.organization_id != user.organization_id:
        raise ActionRefused("That day belongs to another organisation.")
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, obj=holiday, detail=str(holiday.date))
        holiday.delete()
