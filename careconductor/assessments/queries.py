"""Permission-checked reads of assessments, their history, risk scores, the acuity suggestion and the
reassessments due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.cases.programs import program_rules
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .choices import AssessmentStatus, FindingDomain, FindingStatus
from .engine import CANONICAL_BASE
from .models import Assessment, AssessmentScore, Finding, Questionnaire, RiskScore

GRID = "icm-complexity-grid"


def access_assessment(user: User, assessment_id: int) -> Assessment:
    """The assessment if the user may see its patient (the read is audited); NotVisible otherwise."""
    found = (
        Assessment.objects.filter(policy.patient_q(user))
        .select_related("patient", "questionnaire", "author", "case")
        .filter(pk=assessment_id)
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=found.patient, obj=found)
    return found


def access_questionnaire(slug: str) -> Questionnaire:
    found = Questionnaire.objects.filter(slug=slug).first()
    if found is None:
        raise NotVisible
    return found


def patient_assessments(patient: Patient) -> QuerySet[Assessment]:
    """For a chart already opened through access_patient: every assessment, newest first."""
    return (
        patient.assessments.exclude(status=AssessmentStatus.ENTERED_IN_ERROR)
        .select_related("questionnaire", "author")
        .prefetch_related("scores")
        .order_by("-started_at", "-pk")
    )


def active_findings(patient: Patient) -> QuerySet[Finding]:
    return (
        patient.findings.filter(status=FindingStatus.ACTIVE)
        .select_related("assessment__questionnaire")
        .order_by("-found_at")
    )


@dataclass(frozen=True)
class HistoryPoint:
    assessment: Assessment
    score: AssessmentScore


def score_history(patient: Patient, questionnaire_url: str) -> list[HistoryPoint]:
    """The first score of each completed assessment of one instrument (any version), oldest first."""
    scores = (
        AssessmentScore.objects.filter(
            patient=patient,
            assessment__questionnaire__url=questionnaire_url,
            assessment__status=AssessmentStatus.COMPLETED,
        )
        .select_related("assessment__questionnaire")
        .order_by("effective_at", "pk")
    )
    seen: set[int] = set()
    points = []
    for score in scores:
        if score.assessment_id in seen:
            continue
        seen.add(score.assessment_id)
        points.append(HistoryPoint(score.assessment, score))
    return points


def latest_risk_scores(user: User, patient: Patient) -> list[RiskScore]:
    """The newest LACE, HOSPITAL and Charlson results the user may see: a score that counted a sensitive record
    (42 CFR Part 2, psychotherapy) carries its label, so it is left out, not counted or hinted at, for whoever
    may not see that record (the newest one they may see is shown instead)."""
    return _latest(policy.restrict_sensitive(patient.risk_scores.all(), user, patient))


def _latest(rows: QuerySet[RiskScore]) -> list[RiskScore]:
    latest: dict[str, RiskScore] = {}
    for row in rows.order_by("-computed_at", "-pk")[:30]:
        latest.setdefault(row.model, row)
    return [latest[m] for m in ("lace", "hospital", "charlson") if m in latest]


def latest_grid_total(patient: Patient) -> int | None:
    score = (
        AssessmentScore.objects.filter(
            patient=patient,
            assessment__questionnaire__url=CANONICAL_BASE + GRID,
            assessment__status=AssessmentStatus.COMPLETED,
        )
        .order_by("-effective_at", "-pk")
        .first()
    )
    return score.value if score is not None else None


def acuity_suggestion(case: Case) -> rules.AcuitySuggestion:
    # The suggestion is the case staff's decision aid and names no diagnosis: it weighs every score.
    risks = {r.model: r.value for r in _latest(case.patient.risk_scores.all())}
    return rules.suggest_acuity(latest_grid_total(case.patient), risks.get("lace"), risks.get("hospital"))


@dataclass(frozen=True)
class DueRow:
    due: rules.Due
    questionnaire: Questionnaire | None

    @property
    def title(self) -> str:
        return self.questionnaire.title if self.questionnaire else self.due.slug


def reassessments_due(case: Case) -> list[DueRow]:
    """What the case's programme says is due (or overdue) in the next two weeks."""
    patient = case.patient
    intervals = rules.intervals_for(
        case.program, program_rules(case.organization_id, case.program).reassessment_days
    )
    slugs = {i.slug for i in intervals}
    # Every version of the programme's instruments in one query: their slugs by url, and the current versions.
    versions = list(
        Questionnaire.objects.filter(
            url__in=Questionnaire.objects.filter(slug__in=slugs).values("url")
        ).order_by("pk")
    )
    by_url = {q.url: q.slug for q in versions if q.slug in slugs}
    last: dict[str, dt.date] = {}
    done = (
        patient.assessments.filter(status=AssessmentStatus.COMPLETED, questionnaire__url__in=list(by_url))
        .values_list("questionnaire__url", "completed_at")
        .order_by("completed_at")
    )
    for url, completed_at in done:
        if completed_at is not None:
            last[by_url[url]] = timezone.localdate(completed_at)
    depression = patient.findings.filter(
        domain=FindingDomain.DEPRESSION, status=FindingStatus.ACTIVE
    ).exists()
    since = timezone.localdate(case.enrolled_at or case.referred_at)
    due = rules.reassessments_due(
        intervals,
        last,
        today=clock.today(),
        depression_active=depression,
        since=since,
    )
    url_of = {slug: url for url, slug in by_url.items()}
    current_by_url = {q.url: q for q in versions if q.current}
    return [DueRow(d, current_by_url.get(url_of.get(d.slug, ""))) for d in due]
