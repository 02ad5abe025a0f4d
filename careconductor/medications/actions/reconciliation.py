"""Medication reconciliation: starting one from the patient's current medications, entering the discharge list,
what the patient says they take, the decision on each line, and completing it, which raises a task for every
discrepancy and makes the confirmed list the patient's medication list (so the portal's schedule). Each action
checks the policy, locks the reconciliation, refuses before keeping anything, keeps the lines' discrepancies
up to date (reconciliation_rules) and writes one audit event, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.careplans.actions import do_add_barrier, do_update_barrier
from careconductor.careplans.actions import plans as plan_rules
from careconductor.careplans.choices import BarrierKind
from careconductor.careplans.models import Barrier, Goal
from careconductor.careplans.queries import visible_goals
from careconductor.cases.models import Case
from careconductor.coordination.actions import do_create_task
from careconductor.coordination.choices import TaskKind, TaskPriority
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import reconciliation_rules as rules
from .. import rules as medication_rules
from ..choices import Decision, Discrepancy, OrderSource, ReconciliationStatus
from ..models import DischargeMedication, Medication, Reconciliation, ReconciliationLine
from .medications import do_add_medication, do_stop_medication

TASK_RULE = "medication-reconciliation"


def do_start_reconciliation(
    user: User, patient: Patient, *, encounter: Encounter | None = None
) -> Reconciliation:
    """A reconciliation of the patient's medications, for a discharge when `encounter` is given: one line per
    medication on the patient's list today, joined by the stay's discharge list as it has come (FHIR, the feed).
    One at a time per patient."""
    policy.require(user, policy.Action.MEDICATIONS, patient)
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ActionRefused({"encounter": "That visit is not this patient's."})
    if encounter is not None and encounter.end is None:
        raise ActionRefused({"encounter": "That stay has not ended: reconcile at its discharge."})
    today = clock.today()
    with transaction.atomic():
        # The patient's row is the lock that keeps two reconciliations from starting at once.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if Reconciliation.objects.filter(patient=patient, status=ReconciliationStatus.IN_PROGRESS).exists():
            raise ActionRefused("A reconciliation of this patient is already in progress: finish that one.")
        reconciliation = Reconciliation.objects.create(
            patient=patient, encounter=encounter, started_at=clock.now(), started_by=user
        )
        current = [m for m in Medication.objects.filter(patient=patient) if m.current_on(today)]
        ReconciliationLine.objects.bulk_create(
            ReconciliationLine(
                reconciliation=reconciliation, name=m.name, rxnorm=m.rxnorm, medication=m, own_dose=m.dose
            )
            for m in current
        )
        _refresh(reconciliation)
        waiting = DischargeMedication.objects.filter(
            patient=patient, line__isnull=True, encounter=encounter
        ).order_by("recorded_at", "pk")
        join_discharge_list(user, reconciliation, list(waiting))
        audit.record(
            user,
            AuditAction.CREATE,
            patient=patient,
            obj=reconciliation,
            detail=f"{len(current)} lines" + (f", encounter {encounter.pk}" if encounter else ""),
        )
    return reconciliation


def do_add_discharge_line(
    user: User,
    reconciliation: Reconciliation,
    *,
    name: str,
    dose: str,
    rxnorm: str = "",
    says_stop: bool = False,
) -> ReconciliationLine:
    """A medicine on the discharge list, typed on the screen: kept as the stay's discharge list says it
    (DischargeMedication) and joined to the reconciliation (join_discharge_list)."""
    policy.require(user, policy.Action.MEDICATIONS, reconciliation.patient)
    errors = rules.order_problems(name, dose, rxnorm, says_stop=says_stop)
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        reconciliation = _locked(reconciliation)
        order = DischargeMedication.objects.create(
            patient=reconciliation.patient,
            encounter_id=reconciliation.encounter_id,
            name=name.strip()[:200],
            rxnorm=rxnorm.strip(),
            dose="" if says_stop else dose.strip()[:200],
            says_stop=says_stop,
            source=OrderSource.TYPED,
            recorded_at=clock.now(),
            recorded_by=user,
        )
        line = join_discharge_list(user, reconciliation, [order])[0]
    return line


def join_discharge_list(
    user: User, reconciliation: Reconciliation, orders: Sequence[DischargeMedication]
) -> list[ReconciliationLine]:
    """Within a locked reconciliation's transaction: each discharge-list medicine joins the line of the same
    medicine (normalised name or RxNorm code) the discharge list does not name yet, else it is a new line. A line
    it joins must be decided again."""
    lines = list(reconciliation.lines.all())
    joined: list[tuple[ReconciliationLine, bool]] = []
    for order in orders:
        index = rules.match(order.name, order.rxnorm, [_rule_line(line) for line in lines])
        if index is None:
            line = ReconciliationLine(reconciliation=reconciliation, name=order.name)
            lines.append(line)
        else:
            line = lines[index]
            line.decision, line.new_dose, line.new_times = "", "", []
        line.rxnorm = line.rxnorm or order.rxnorm
        line.on_discharge_list = True
        line.discharge_dose = "" if order.says_stop else order.dose
        line.discharge_says_stop = order.says_stop
        line.save()
        order.line = line
        order.save(update_fields=["line"])
        joined.append((line, index is None))
    _refresh(reconciliation)
    for line, new in joined:
        line.refresh_from_db()
        action = AuditAction.CREATE if new else AuditAction.UPDATE
        audit.record(user, action, patient=reconciliation.patient, obj=line, detail="discharge list")
    return [line for line, _ in joined]


def do_record_patient_takes(
    user: User,
    line: ReconciliationLine,
    *,
    takes: bool | None,
    barrier: str = "",
    barrier_kind: str = "",
    response: str = "",
    goal_id: int | None = None,
) -> ReconciliationLine:
    """Whether the patient says they take the medicine (None: not asked yet), and what gets in the way of
    taking it (a cost or access barrier: "can't afford", "no ride to the pharmacy"). Given a goal of the
    patient's care plan, the barrier goes on it with its kind and the response (the care plan's barrier list,
    which the plan's next version carries); said again for the same goal, its response is updated."""
    reconciliation = line.reconciliation
    policy.require(user, policy.Action.MEDICATIONS, reconciliation.patient)
    goal = None
    if goal_id is not None:
        goal = (
            Goal.objects.filter(
                pk=goal_id, plan__patient=reconciliation.patient, plan__status__in=plan_rules.OPEN_STATUSES
            )
            .select_related("plan__patient")
            .first()
        )
        if goal is not None and not visible_goals(user, goal.plan).filter(pk=goal.pk).exists():
            goal = None  # a goal made only for a sensitive problem the user may not see: as if not there
        errors = rules.barrier_problems(barrier, barrier_kind, goal_found=goal is not None)
        if errors:
            raise ActionRefused(errors)
    with transaction.atomic():
        reconciliation = _locked(reconciliation)
        line = reconciliation.lines.select_related("plan_barrier").get(pk=line.pk)
        line.patient_takes = takes
        line.barrier = barrier.strip()[:200]
        if goal is not None:
            line.plan_barrier = _plan_barrier(user, line, goal, BarrierKind(barrier_kind), response)
        line.save(update_fields=["patient_takes", "barrier", "plan_barrier"])
        _refresh(reconciliation)
        line.refresh_from_db()
        audit.record(
            user,
            AuditAction.UPDATE,
            patient=reconciliation.patient,
            obj=line,
            detail={True: "taken", False: "not taken", None: "not asked"}[takes],
        )
    return line


def _plan_barrier(
    user: User, line: ReconciliationLine, goal: Goal, kind: BarrierKind, response: str
) -> Barrier:
    """The line's barrier on the goal: its response updated when it is there already, else added."""
    try:
        if line.plan_barrier is not None and line.plan_barrier.goal_id == goal.pk:
            return do_update_barrier(user, line.plan_barrier, response=response, resolved=False)
        return do_add_barrier(
            user, goal, kind=kind, description=f"{line.name}: {line.barrier}", response=response
        )
    except ActionRefused as refused:  # e.g. a version awaiting approval: said beside the goal
        raise ActionRefused({"goal": str(refused)}) from refused


def do_decide_line(
    user: User,
    line: ReconciliationLine,
    *,
    decision: str,
    new_dose: str = "",
    new_times: Sequence[str] = (),
    note: str = "",
) -> ReconciliationLine:
    """Continue, stop, change the dose (to `new_dose`, at `new_times` or the present times) or add as new (with
    `new_dose`, else the discharge list's dose, at `new_times`; none: as needed). Applied to the patient's list
    when the reconciliation is completed."""
    reconciliation = line.reconciliation
    policy.require(user, policy.Action.MEDICATIONS, reconciliation.patient)
    changes_list = decision in (Decision.CHANGE_DOSE, Decision.NEW)
    with transaction.atomic():
        reconciliation = _locked(reconciliation)
        line = reconciliation.lines.get(pk=line.pk)
        errors = rules.decision_problems(
            decision, on_own_list=line.on_own_list, new_dose=new_dose, discharge_dose=line.discharge_dose
        )
        problem = medication_rules.times_problem(list(new_times)) if changes_list else None
        if problem:
            errors.setdefault("new_times", problem)
        if errors:
            raise ActionRefused(errors)
        line.decision = decision
        line.new_dose = new_dose.strip()[:200] if changes_list else ""
        line.new_times = sorted(new_times) if changes_list else []
        line.note = note.strip()
        line.save(update_fields=["decision", "new_dose", "new_times", "note"])
        audit.record(
            user, AuditAction.UPDATE, patient=reconciliation.patient, obj=line, detail=f"decided: {decision}"
        )
    return line


def do_complete_reconciliation(
    user: User, reconciliation: Reconciliation, *, participants: str
) -> Reconciliation:
    """Done, with who took part: refused until every line is decided. Each line with a discrepancy becomes a
    task for the care team's pharmacist, else its physician, else the case manager, naming the line; the
    decisions change the patient's list (continue: as it is; stop: stopped; change dose: stopped and added
    with the new dose; new: added), so the portal's schedule is the confirmed list from today."""
    policy.require(user, policy.Action.MEDICATIONS, reconciliation.patient)
    with transaction.atomic():
        reconciliation = _locked(reconciliation)
        lines = list(reconciliation.lines.select_related("medication"))
        problems = rules.completion_problems([line.decision for line in lines], participants)
        if problems:
            raise ActionRefused(problems)
        patient = reconciliation.patient
        case = (
            Case.objects.open()
            .filter(patient=patient)
            .select_related("primary_case_manager")
            .order_by("-referred_at")
            .first()
        )
        owner = _task_owner(patient, case, user)
        due = rules.task_due(timezone.localtime(clock.now()))
        tasks = 0
        for line in lines:
            if line.discrepancy != Discrepancy.NONE:
                found = Discrepancy(line.discrepancy)
                line.task = do_create_task(
                    user,
                    patient,
                    owner=owner,
                    title=rules.task_title(line.name, found),
                    due_at=due,
                    kind=TaskKind.FOLLOW_UP,
                    priority=TaskPriority.URGENT if found in rules.URGENT else TaskPriority.ROUTINE,
                    description=_describe(line),
                    case_id=case.pk if case is not None else None,
                    rule=TASK_RULE,
                )
                line.save(update_fields=["task"])
                tasks += 1
            _apply(user, line)
        reconciliation.status = ReconciliationStatus.COMPLETED
        reconciliation.completed_at = clock.now()
        reconciliation.completed_by = user
        reconciliation.participants = participants.strip()[:300]
        reconciliation.save(update_fields=["status", "completed_at", "completed_by", "participants"])
        audit.record(
            user,
            AuditAction.UPDATE,
            patient=patient,
            obj=reconciliation,
            detail=f"completed: {len(lines)} lines, {tasks} tasks",
        )
    return reconciliation


# --- within a reconciliation's transaction -------------------------------------------------------------------
def _locked(reconciliation: Reconciliation) -> Reconciliation:
    """The reconciliation again, locked for the rest of the transaction; refused once completed."""
    locked = (
        Reconciliation.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=reconciliation.pk)
    )
    if locked.completed:
        raise ActionRefused("This reconciliation is completed; start a new one to change the list again.")
    return locked


def _rule_line(line: ReconciliationLine) -> rules.Line:
    return rules.Line(
        name=line.name,
        rxnorm=line.rxnorm,
        on_own_list=line.on_own_list,
        own_dose=line.own_dose,
        on_discharge_list=line.on_discharge_list,
        discharge_dose=line.discharge_dose,
        discharge_says_stop=line.discharge_says_stop,
        patient_takes=line.patient_takes,
    )


def _refresh(reconciliation: Reconciliation) -> None:
    """Every line's discrepancy as the rules find it now (a line added or changed can change the others')."""
    lines = list(reconciliation.lines.all())
    for line, found in zip(lines, rules.discrepancies([_rule_line(line) for line in lines]), strict=True):
        if line.discrepancy != found:
            line.discrepancy = found
            line.save(update_fields=["discrepancy"])


def _task_owner(patient: Patient, case: Case | None, acting: User) -> User:
    """The care team's pharmacist, else its physician (staff on the team today), else the case manager, else
    the person completing the reconciliation."""
    today = clock.today()
    members = (
        patient.care_team.filter(
            start_date__lte=today,
            user__is_active=True,
            user__profile__discipline__in=rules.TASK_DISCIPLINES,
        )
        .exclude(end_date__lt=today)
        .select_related("user__profile")
        .order_by("start_date", "pk")
    )
    found: dict[str, User] = {}
    for member in members:
        if member.user is not None:
            found.setdefault(member.user.profile.discipline, member.user)
    for discipline in rules.TASK_DISCIPLINES:
        if discipline in found:
            return found[discipline]
    manager = case.primary_case_manager if case is not None else None
    return manager if manager is not None and manager.is_active else acting


def _describe(line: ReconciliationLine) -> str:
    """The line as the task tells it: both lists, what the patient says and what was decided."""
    own = line.own_dose or "not on it"
    if not line.on_discharge_list:
        discharge = "not on it"
    else:
        discharge = "says to stop it" if line.discharge_says_stop else line.discharge_dose
    takes = {True: "takes it", False: "does not take it", None: "was not asked"}[line.patient_takes]
    decided = Decision(line.decision).label.lower() + (f" to {line.new_dose}" if line.new_dose else "")
    parts = [
        f"{line.name}{f' (RxNorm {line.rxnorm})' if line.rxnorm else ''}.",
        f"Patient's list: {own}. Discharge list: {discharge}. The patient {takes}. Decided: {decided}.",
        f"Barrier: {line.barrier}." if line.barrier else "",
        f"Note: {line.note}" if line.note else "",
    ]
    return " ".join(p for p in parts if p)


def _apply(user: User, line: ReconciliationLine) -> None:
    """The line's decision on the patient's list, from today."""
    today = clock.today()
    medication = line.medication
    if line.decision in (Decision.STOP, Decision.CHANGE_DOSE) and medication and not medication.stopped:
        reason = (
            "Stopped at medication reconciliation."
            if line.decision == Decision.STOP
            else f"Dose changed to {line.new_dose} at medication reconciliation."
        )
        do_stop_medication(user, medication, reason=reason, end_date=_last_day(medication, today))
    if line.decision == Decision.CHANGE_DOSE and medication is not None:
        do_add_medication(
            user,
            medication.patient,
            name=medication.name,
            dose=line.new_dose,
            instructions=medication.instructions,
            times=line.new_times or medication.times,
            start_date=today,
            rxnorm=medication.rxnorm or line.rxnorm,
        )
    if line.decision == Decision.NEW:
        do_add_medication(
            user,
            line.reconciliation.patient,
            name=line.name,
            dose=line.new_dose or line.discharge_dose,
            instructions="",
            times=line.new_times,
            start_date=today,
            rxnorm=line.rxnorm,
        )


def _last_day(medication: Medication, today: dt.date) -> dt.date:
    """A medication stopped or replaced today had its last dose due yesterday, so today's schedule is the
    confirmed list; one that started today (or starts later) ends on its first day, the earliest allowed."""
    return max(today - dt.timedelta(days=1), medication.start_date)
