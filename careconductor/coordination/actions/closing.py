"""Closing a case: the request with its summary, the supervisor's approval where the programme asks for one,
and the close itself with its hand-over."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.accounts.rules import may_decide_approval
from careconductor.cases import rules as case_rules
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus, ClosureReason
from careconductor.cases.models import Case
from careconductor.cases.programs import program_rules
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import CareTeamMember
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import hooks
from ..choices import (
    ClosureStatus,
    NotificationKind,
    TaskKind,
)
from ..models import (
    ClosureRequest,
    Task,
)
from ..notify import do_notify
from ..reach import reach_state_for
from .tasks import do_create_task, finish_task


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
    return not may_decide_closure(user, case)


def may_decide_closure(user: User, case: Case, requested_by_id: int | None = None) -> bool:
    """accounts.rules.may_decide_approval, the rule care plan versions follow too: the supervisor of the case's
    team or an administrator, never the person who asked (`requested_by_id`; None: nobody has asked yet). The
    role decides as well as the team: someone named as a team's supervisor without the role does not."""
    return may_decide_approval(
        user.role, user.pk, team_supervisor_id=case.team.supervisor_id, requested_by_id=requested_by_id
    )


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
    if user.pk == request.requested_by_id:
        raise ActionRefused("Someone other than the person who asked must approve the closure.")
    if not may_decide_closure(user, case, request.requested_by_id):
        raise ActionRefused("Only the team's supervisor or an administrator decides on closing this case.")
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
            finish_task(user, request.task, "approved" if approve else f"returned: {comment.strip()}")
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
