"""The only code that records assessments, their scores, findings and risk scores. The safety rules
(rules.SAFETY_RULES) are applied here, in the transaction that records the answers, through the
coordination app's actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.coordination.actions import do_create_task, do_raise_flag
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import catalogue, engine, rules
from .choices import AssessmentSource, AssessmentStatus, FindingStatus
from .models import Assessment, AssessmentScore, Finding, Questionnaire, RiskScore


def _right_for(source: str) -> policy.Action:
    """A patient answering in the portal reports on their own record; everyone else changes the record."""
    return policy.Action.REPORT if source == AssessmentSource.PATIENT else policy.Action.CHANGE


def _check_case(patient: Patient, case: Case | None) -> None:
    if case is not None and case.patient_id != patient.pk:
        raise ActionRefused({"case": "That case belongs to another patient."})


def _check_language(instrument: engine.Instrument, language: str) -> str:
    return language if language in instrument.languages else "en"


def do_start_assessment(
    user: User,
    patient: Patient,
    questionnaire: Questionnaire,
    *,
    case: Case | None = None,
    language: str = "en",
    source: AssessmentSource = AssessmentSource.STAFF,
) -> Assessment:
    """An empty, in-progress assessment, saved as answers come in."""
    policy.require(user, _right_for(source), patient)
    _check_case(patient, case)
    instrument = catalogue.instrument_for(questionnaire)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            patient=patient,
            case=case,
            questionnaire=questionnaire,
            language=_check_language(instrument, language),
            source=source,
            author=user,
            started_at=clock.now(),
            missing=list(instrument.required),
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=assessment)
    return assessment


def do_save_answers(user: User, assessment: Assessment, raw: Mapping[str, Any]) -> Assessment:
    """Merge answers into an in-progress assessment (an empty answer clears the item). Bad answers change
    nothing. A safety signal in the answers given so far is acted on now, not at completion."""
    policy.require(user, _right_for(assessment.source), assessment.patient)
    instrument = catalogue.instrument_for(assessment.questionnaire)
    cleared = [k for k, v in raw.items() if v in (None, "", [])]
    values = engine.clean_values(instrument, {k: v for k, v in raw.items() if k not in cleared})
    with transaction.atomic():
        assessment = _locked(assessment)
        if assessment.status != AssessmentStatus.IN_PROGRESS:
            raise ActionRefused("This assessment is finished; its answers cannot change.")
        merged = {k: v for k, v in assessment.answers.items() if k not in cleared}
        merged.update(values)
        assessment.answers = merged
        result = engine.score(instrument, merged, sex=assessment.patient.sex)
        assessment.missing = list(result.missing)
        _act_on_signals(user, assessment, result)
        assessment.save(update_fields=["answers", "missing", "details", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=assessment.patient, obj=assessment, detail="answers")
    return assessment


def do_complete_assessment(
    user: User, assessment: Assessment, *, completed_at: dt.datetime | None = None
) -> Assessment:
    """Score a finished assessment: keep its scores (Observations), its findings, and apply the safety rules.
    An assessment with unanswered items stays in progress; ActionRefused names the items. `completed_at` is
    for a response authored elsewhere earlier (the API); the screens complete it now."""
    policy.require(user, _right_for(assessment.source), assessment.patient)
    instrument = catalogue.instrument_for(assessment.questionnaire)
    with transaction.atomic():
        assessment = _locked(assessment)
        if assessment.status != AssessmentStatus.IN_PROGRESS:
            raise ActionRefused("This assessment is already finished.")
        result = engine.score(instrument, assessment.answers, sex=assessment.patient.sex)
        if not result.complete:
            raise ActionRefused({link_id: "Answer this question." for link_id in result.missing})
        _record_result(user, assessment, result, completed_at or clock.now())
    return assessment


def do_record_response(
    user: User,
    patient: Patient,
    questionnaire: Questionnaire,
    values: Mapping[str, list[engine.AnswerValue]],
    *,
    completed: bool,
    case: Case | None = None,
    language: str = "en",
    source: AssessmentSource = AssessmentSource.INTERFACE,
    authored: dt.datetime | None = None,
) -> Assessment:
    """A whole response at once (from the API): scored exactly as one entered on screen. One that says it is
    completed but lacks answers the score needs is kept in progress, never scored as complete."""
    with transaction.atomic():
        assessment = do_start_assessment(
            user, patient, questionnaire, case=case, language=language, source=source
        )
        if authored is not None:
            if authored > clock.now() + dt.timedelta(minutes=5):
                raise ActionRefused({"authored": "An assessment cannot be authored in the future."})
            assessment.started_at = authored
            assessment.save(update_fields=["started_at"])
        assessment = do_save_answers(user, assessment, values)
        if completed and not assessment.missing:
            assessment = do_complete_assessment(user, assessment, completed_at=authored)
    return assessment


def _locked(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("patient", "questionnaire", "case")
        .get(pk=assessment.pk)
    )


def _record_result(user: User, assessment: Assessment, result: engine.Result, now: dt.datetime) -> None:
    assessment.status = AssessmentStatus.COMPLETED
    assessment.completed_at = now
    assessment.summary = result.summary
    assessment.missing = []
    assessment.details = {**assessment.details, **dict(result.details)}
    _act_on_signals(user, assessment, result)
    assessment.save(update_fields=["status", "completed_at", "summary", "missing", "details", "updated_at"])
    for score in result.scores:
        AssessmentScore.objects.create(
            assessment=assessment,
            patient=assessment.patient,
            code_system=score.code[0],
            code=score.code[1],
            display=score.display,
            value=score.value,
            minimum=score.minimum,
            maximum=score.maximum,
            band=score.band,
            positive=score.positive,
            bands=[list(b) for b in score.bands],
            effective_at=now,
        )
    for found in result.findings:
        _record_finding(assessment, found, now)
    audit.record(user, AuditAction.UPDATE, patient=assessment.patient, obj=assessment, detail="completed")


def _record_finding(assessment: Assessment, found: engine.Finding, now: dt.datetime) -> Finding:
    """One active finding per patient, domain and detail: a later assessment that finds it again is kept as
    the one that last confirmed it."""
    existing = Finding.objects.filter(
        patient=assessment.patient, domain=found.domain, detail=found.detail, status=FindingStatus.ACTIVE
    ).first()
    if existing is not None:
        existing.last_assessment = assessment
        existing.save(update_fields=["last_assessment", "updated_at"])
        return existing
    return Finding.objects.create(
        patient=assessment.patient,
        domain=found.domain,
        detail=found.detail[:200],
        assessment=assessment,
        last_assessment=assessment,
        found_at=now,
    )


# --- safety rules -----------------------------------------------------------------------------------------------


def _act_on_signals(user: User, assessment: Assessment, result: engine.Result) -> None:
    acted = list(assessment.details.get("signals_acted", []))
    for action in rules.safety_actions(result.signals, acted):
        _apply(user, assessment, action)
        acted.append(action.signal)
    if acted:
        assessment.details = {**assessment.details, "signals_acted": acted}


def _open_case(assessment: Assessment) -> Case | None:
    if assessment.case is not None and assessment.case.is_open:
        return assessment.case
    return (
        Case.objects.open()
        .filter(patient=assessment.patient)
        .select_related("team__supervisor", "primary_case_manager")
        .order_by("-referred_at")
        .first()
    )


def _recipients(
    user: User, assessment: Assessment, case: Case | None, wanted: tuple[str, ...]
) -> list[tuple[User, str]]:
    """(owner, note) per recipient; a missing role falls to the case manager, or to the person who recorded the
    assessment, with a note saying who was missing."""
    found: list[tuple[User, str]] = []
    manager = case.primary_case_manager if case is not None else None
    # A patient answering in the portal is never the one to follow up on their own answers.
    fallback = manager or (None if user.role == Role.PATIENT else user)
    for role in wanted:
        owner: User | None
        if role == rules.CASE_MANAGER:
            owner = manager
        elif role == rules.SUPERVISOR:
            owner = case.team.supervisor if case is not None else None
        else:
            owner = _care_team_physician(assessment.patient)
        note = "" if owner is not None else f"No {role} to send this to: please arrange it."
        owner = owner or fallback
        if owner is None:
            continue  # the flag on the chart still shows it
        if all(o.pk != owner.pk for o, _ in found):
            found.append((owner, note))
    return found


def _care_team_physician(patient: Patient) -> User | None:
    today = clock.today()
    member = (
        patient.care_team.filter(
            start_date__lte=today, user__is_active=True, user__profile__discipline=Discipline.PHYSICIAN
        )
        .exclude(end_date__lt=today)
        .select_related("user")
        .order_by("start_date")
        .first()
    )
    return member.user if member is not None else None


def _apply(user: User, assessment: Assessment, action: rules.SafetyAction) -> None:
    focus = f"QuestionnaireResponse/{assessment.pk}"
    if action.flag:
        do_raise_flag(user, assessment.patient, text=action.flag, rule=action.signal, focus=focus)
    case = _open_case(assessment)
    due = rules.due_time(timezone.localtime(clock.now()), same_day=action.same_day)
    title = assessment.questionnaire.title
    # One piece of work for several people: the others are copies of the first (done once, done for all).
    first: Task | None = None
    for owner, note in _recipients(user, assessment, case, action.recipients):
        made = do_create_task(
            user,
            assessment.patient,
            owner=owner,
            title=action.task_title,
            due_at=due,
            kind=action.task_kind,
            priority=action.priority,
            description=" ".join(p for p in (f"From {title} recorded by {user.display_name()}.", note) if p),
            case_id=case.pk if case is not None else None,
            rule=action.signal,
            focus=focus,
            copy_of=first,
        )
        first = first or made


# --- risk scores ------------------------------------------------------------------------------------------------


def do_compute_risk_scores(user: User, patient: Patient) -> list[RiskScore]:
    """LACE, HOSPITAL and Charlson from what the chart holds now, each kept with its basis, what was missing and
    the label of any sensitive record it counted (chart_facts.risk_results)."""
    from .chart_facts import risk_results

    policy.require(user, policy.Action.CHANGE, patient)
    results, encounter = risk_results(patient)
    now = clock.now()
    with transaction.atomic():
        rows = [
            RiskScore.objects.create(
                patient=patient,
                model=r.model,
                value=r.value,
                band=r.band,
                basis=[{"component": p.component, "input": p.input, "points": p.points} for p in r.basis],
                missing=list(r.missing),
                encounter=encounter if r.model in ("lace", "hospital") else None,
                computed_at=now,
                computed_by=user,
                sensitivity=label,
            )
            for r, label in results
        ]
        for row in rows:
            audit.record(user, AuditAction.CREATE, patient=patient, obj=row, detail=row.model)
    return rows
