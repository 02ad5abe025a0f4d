from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import PatientDetails, do_create_patient
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, ConsentType
from careconductor.privacy.queries import consent_in_force

from . import hooks, rules
from .choices import CaseStatus, Program, ReferralSource
from .models import Case, CaseAssignment, CaseStatusChange
from .queries import assignment_candidates

NO_TEAM = "Your organisation has no team to receive referrals yet. Ask an administrator."


def do_refer_case(
    user: User,
    patient: Patient,
    *,
    program: Program,
    referral_source: ReferralSource,
    referral_reason: str,
    team: Team | None = None,
    case_manager: User | None = None,
    acuity_tier: int = 2,
) -> Case:
    """Open a new case for an existing patient (a second programme, a readmission after an old case). Without
    a team, the referral goes where a new patient's would (`receiving_team`).

    Supervisors and admins take in referrals for any patient of their organisation: that is their intake
    role. Anyone else needs a relationship with the patient already; otherwise a case manager could refer
    any patient to themselves and so open the chart. New patients go through `do_register_and_refer`."""
    intake_role = (
        user.role in policy.ASSIGNING_ROLES
        or (
            # UM reviewers refer the members whose requests they review (um.actions.referrals): into intake, where
            # the receiving team's supervisor takes it up; the referral gives them no access to the chart.
            user.role in policy.UM_ROLES and referral_source == ReferralSource.UTILISATION
        )
        or (
            # Population health analysts refer the members a registry found (population.registry_actions), likewise
            # into intake and without reaching the chart.
            user.role == Role.POPULATION_HEALTH and referral_source == ReferralSource.RISK_LIST
        )
    )
    if not intake_role or patient.organization_id != user.organization_id:
        policy.require(user, policy.Action.CHANGE, patient)
    if Case.objects.open().filter(patient=patient, program=program).exists():
        raise ActionRefused({"program": "The patient already has an open case in this programme."})
    team = team or receiving_team(user, program)
    if team is None:
        raise ActionRefused(NO_TEAM)
    return _open_case(
        user,
        patient,
        program=program,
        referral_source=referral_source,
        referral_reason=referral_reason,
        team=team,
        case_manager=case_manager,
        acuity_tier=acuity_tier,
    )


def _open_case(
    user: User,
    patient: Patient,
    *,
    program: Program,
    referral_source: ReferralSource,
    referral_reason: str,
    team: Team,
    case_manager: User | None,
    acuity_tier: int,
) -> Case:
    if patient.organization_id != user.organization_id or team.organization_id != user.organization_id:
        raise ActionRefused("The patient and team must belong to your organisation.")
    if not referral_reason.strip():
        raise ActionRefused({"referral_reason": "Say why the patient is referred."})
    if len(referral_reason.strip()) > rules.MAX_REFERRAL_REASON:
        raise ActionRefused(
            {
                "referral_reason": f"Keep the reason to {rules.MAX_REFERRAL_REASON:,} characters "
                f"(it has {len(referral_reason.strip()):,}): put longer documents in a note."
            }
        )
    if acuity_tier not in rules.ACUITY_POINTS:
        raise ActionRefused({"acuity_tier": "Acuity tier must be 1 to 4."})
    if case_manager is not None and case_manager.role not in (Role.CASE_MANAGER, Role.SUPERVISOR):
        raise ActionRefused({"case_manager": "Only case managers and supervisors carry cases."})
    if case_manager is not None and case_manager.organization_id != user.organization_id:
        raise ActionRefused({"case_manager": "The case manager must belong to your organisation."})
    now = clock.now()
    with transaction.atomic():
        case = Case.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            program=program,
            referral_source=referral_source,
            referral_reason=referral_reason.strip(),
            referred_at=now,
            team=team,
            primary_case_manager=case_manager,
            acuity_tier=acuity_tier,
        )
        CaseStatusChange.objects.create(
            case=case,
            from_status="",
            to_status=CaseStatus.REFERRED,
            changed_at=now,
            changed_by=user,
            note=f"Referred by {ReferralSource(referral_source).label_in_a_sentence}",
        )
        if case_manager is not None:
            CaseAssignment.objects.create(
                case=case, case_manager=case_manager, assigned_by=user, assigned_at=now
            )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=case)
        if case_manager is not None and case_manager.pk == user.pk:
            # Taken at intake without the ranked suggestion: the experience rule is checked now.
            hooks.run_holder_checks(user, case, None)
    return case


def do_transition_case(user: User, case: Case, request: rules.TransitionRequest) -> Case:
    """Move a case along the status machine, keeping who, when and why."""
    policy.require(user, policy.Action.CHANGE, case.patient)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        facts = rules.CaseFacts(
            status=CaseStatus(case.status),
            has_enrolment_consent=consent_in_force(case.patient, ConsentType.CM_ENROLMENT),
            has_case_manager=case.primary_case_manager_id is not None,
        )
        if errors := rules.check_transition(facts, request):
            raise ActionRefused(errors)
        now = clock.now()
        from_status = case.status
        case.status = request.target
        if request.target == CaseStatus.ACTIVE and case.enrolled_at is None:
            case.enrolled_at = now
        note = request.note.strip()
        if request.target == CaseStatus.CLOSED:
            case.closed_at = now
            case.closure_reason = request.closure_reason
            case.closure_reason_other = request.closure_reason_other.strip()
            case.closing_summary = request.closing_summary.strip()
            note = note or case.get_closure_reason_display()
        elif request.target in rules.TERMINAL_STATUSES:
            case.closed_at = now
        case.save()
        CaseStatusChange.objects.create(
            case=case,
            from_status=from_status,
            to_status=request.target,
            changed_at=now,
            changed_by=user,
            note=note,
        )
        audit.record(
            user, AuditAction.UPDATE, patient=case.patient, obj=case, detail=f"status {request.target}"
        )
    return case


def do_assign_case(
    user: User, case: Case, case_manager: User, *, override_reason: str = ""
) -> CaseAssignment:
    """Assign the primary case manager. Anyone but the top suggestion needs a reason, which is kept."""
    policy.require(user, policy.Action.ASSIGN, case.patient)
    with transaction.atomic():
        # Decide on the row as it is now, not on the caller's copy, and hold it until the change is written.
        case = Case.objects.select_for_update().select_related("patient").get(pk=case.pk)
        if not case.is_open:
            raise ActionRefused("Only an open case can be assigned.")
        ranked = assignment_candidates(case)
        position = next((i for i, r in enumerate(ranked, 1) if r.candidate.staff_id == case_manager.pk), None)
        if position is None:
            raise ActionRefused({"case_manager": "Choose a case manager from this organisation's teams."})
        chosen = ranked[position - 1]
        is_override = position != 1 or not chosen.eligible
        if is_override and not override_reason.strip():
            why = "is not eligible" if not chosen.eligible else "is not the top suggestion"
            raise ActionRefused({"override_reason": f"{case_manager.display_name()} {why}: give a reason."})
        now = clock.now()
        case.primary_case_manager = case_manager
        case.team = Team.objects.filter(members__user=case_manager).first() or case.team
        case.save(update_fields=["primary_case_manager", "team", "updated_at"])
        assignment = CaseAssignment.objects.create(
            case=case,
            case_manager=case_manager,
            assigned_by=user,
            assigned_at=now,
            suggested_rank=position,
            was_eligible=chosen.eligible,
            override_reason=override_reason.strip() if is_override else "",
        )
        audit.record(user, AuditAction.UPDATE, patient=case.patient, obj=case, detail="assigned")
        if case_manager.pk == user.pk:
            hooks.run_holder_checks(user, case, None)
    return assignment


def do_set_acuity(user: User, case: Case, tier: int, *, note: str = "") -> Case:
    """Change the acuity tier, keeping the change in the case's history. A rise the case manager may not carry
    (the experience rule) gives the team's supervisor a task to reassign the case (cases.experience)."""
    policy.require(user, policy.Action.CHANGE, case.patient)
    if tier not in rules.ACUITY_POINTS:
        raise ActionRefused({"acuity_tier": "Acuity tier must be 1 to 4."})
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("patient", "team").get(pk=case.pk)
        if not case.is_open:
            raise ActionRefused("The acuity of a finished case cannot change.")
        old = case.acuity_tier
        case.acuity_tier = tier
        case.save(update_fields=["acuity_tier", "updated_at"])
        CaseStatusChange.objects.create(
            case=case,
            from_status=case.status,
            to_status=case.status,
            changed_at=clock.now(),
            changed_by=user,
            note=f"Acuity tier {old} → {tier}" + (f": {note.strip()}" if note.strip() else ""),
        )
        audit.record(user, AuditAction.UPDATE, patient=case.patient, obj=case, detail=f"acuity {tier}")
        hooks.run_holder_checks(user, case, old)
    return case


def receiving_team(user: User, program: Program) -> Team | None:
    """The registering person's own team, else the team that receives this programme's referrals, else the
    organisation's first team. Inside `receiving_teams_kept` each (user, programme) is worked out once."""
    kept = _receiving.get()
    if kept is None:
        return _receiving_team(user, program)
    key = (user.pk, str(program))
    if key not in kept:
        kept[key] = _receiving_team(user, program)
    return kept[key]


_receiving: contextvars.ContextVar[dict[tuple[int, str], Team | None] | None] = contextvars.ContextVar(
    "receiving_teams", default=None
)


@contextmanager
def receiving_teams_kept() -> Iterator[None]:
    """Remember `receiving_team`'s answers inside (a transaction Bundle registering hundreds of patients asks
    the same question for each). Saving a team or a staff profile forgets them."""
    if _receiving.get() is not None:
        yield
        return
    token = _receiving.set({})
    try:
        yield
    finally:
        _receiving.reset(token)


def _forget_receiving(*args: object, **kwargs: object) -> None:
    kept = _receiving.get()
    if kept:
        kept.clear()


for _label in ("accounts.Team", "accounts.StaffProfile"):
    post_save.connect(_forget_receiving, sender=_label, weak=False, dispatch_uid=f"receiving-saved-{_label}")
    post_delete.connect(_forget_receiving, sender=_label, weak=False, dispatch_uid=f"receiving-gone-{_label}")


def _receiving_team(user: User, program: Program) -> Team | None:
    teams = Team.objects.filter(organization_id=user.org_id).order_by("pk")
    # A UM reviewer's own team (if any) is not a case-management team: their referrals go to the programme's.
    own = teams.filter(members__user=user).first() if user.role not in policy.UM_ROLES else None
    if own is not None:
        return own
    return next((t for t in teams if program in t.programs), None) or teams.first()


def do_register_and_refer(
    user: User,
    details: PatientDetails,
    *,
    program: Program,
    referral_source: ReferralSource,
    referral_reason: str,
    acuity_tier: int = 2,
    team: Team | None = None,
    case_manager: User | None = None,
    extra_identifiers: Sequence[tuple[str, str, str]] = (),
) -> Patient:
    """Register a new patient together with the referral that opens their first case, all or nothing.

    By default a case manager who registers a patient carries the referral (and so keeps access); anyone
    else routes it to their own team, where the team's supervisor assigns it."""
    team = team or receiving_team(user, program)
    if team is None:
        raise ActionRefused(NO_TEAM)
    manager = case_manager or (user if user.role == Role.CASE_MANAGER else None)
    with transaction.atomic():
        patient = do_create_patient(user, details, extra_identifiers=extra_identifiers)
        # The patient is new in this transaction: the referral itself creates the relationship.
        _open_case(
            user,
            patient,
            program=program,
            referral_source=referral_source,
            referral_reason=referral_reason,
            team=team,
            case_manager=manager,
            acuity_tier=acuity_tier,
        )
    return patient
