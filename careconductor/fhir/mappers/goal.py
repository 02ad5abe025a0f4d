"""Goal: a goal of a care plan (careplans.Goal), in the patient's own words (description) with the clinical
statement beside it (note), its measure and target, and the Observations that count as progress towards it.
Goals are served as they stand (the CarePlan shows which of them are part of the version in force).

A partner adds a goal to a plan being worked on (goal_create.py) and reports progress as the screens do: a new `achievementStatus` is recorded as progress
(with `statusReason` as its note), a new `lifecycleStatus` moves the goal along its lifecycle (careplans.rules,
with `statusReason` as the reason). What the goal is (its words, target, patient, problems) changes only on the
care plan, where a change makes a new plan version for the patient to agree to: an update that changes it is
refused, naming the element."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone

from careconductor.assessments.models import AssessmentScore
from careconductor.careplans.actions.goals import do_move_goal, do_record_progress
from careconductor.careplans.choices import Achievement, GoalLifecycle, Proposer
from careconductor.careplans.measures import LOINC, MEASURES
from careconductor.careplans.models import Goal, Problem
from careconductor.careplans.rules import goal_sensitivity
from careconductor.privacy import policy
from careconductor.privacy.choices import Sensitivity

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, UPDATE, Mapper, register
from .common import compact, concept, day, ref, refuse_changes, refused
from .condition import labelled
from .goal_create import AGREEMENT_EXT, PLAN_EXT, PROPOSED_BY_EXT, RANK_EXT, create_goal

SENSITIVE = [Sensitivity.PART2.value, Sensitivity.PSYCHOTHERAPY.value]

LIFECYCLE = "http://hl7.org/fhir/goal-status"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
PRIORITY = "http://terminology.hl7.org/CodeSystem/goal-priority"
UCUM = "http://unitsofmeasure.org"
PRIORITIES = {1: ("high-priority", "High Priority"), 2: ("medium-priority", "Medium Priority")}
LOW_PRIORITY = ("low-priority", "Low Priority")
# How many of the latest Observations a goal names as its outcomes.
OUTCOMES = 10
START = "fhir_start_date"
SCORES = "fhir_goal_scores"
LOINC_CODES = sorted({m.loinc for m in MEASURES.values() if m.loinc})


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def only_sensitive(goal: Goal) -> bool:
    return bool(goal_sensitivity([p.condition.sensitivity for p in goal.problems.all()]))


@register
class GoalMapper(Mapper):
    resource_type = "Goal"
    model = Goal
    interactions = READ_ONLY | {CREATE, UPDATE}
    patient_field = "patient"
    # The plan screen's fields, where a create's checks (careplans.actions.goals) name them.
    error_paths = {
        "patient_words": "Goal.description",
        "measure": "Goal.target.measure",
        "measure_text": "Goal.target.measure",
        "target_value": "Goal.target.detailQuantity",
        "target_text": "Goal.target.detailString",
        "due_on": "Goal.target.dueDate",
        "patient_rank": "Goal.extension",
    }
    description = (
        "Goals of the care plans of the patients the caller may see: description in the patient's own words, "
        "the clinical statement as a note, lifecycleStatus, achievementStatus (goal-achievement), priority "
        f"from the patient's rank (rank 1 high, 2 medium, later low; the rank itself in {RANK_EXT}), "
        f"{PROPOSED_BY_EXT} (patient, caregiver or team) and {AGREEMENT_EXT} (not-asked, agreed, declined), "
        "target (the measure, LOINC-coded where it has a code; detailQuantity in UCUM or detailString; "
        "dueDate), addresses the plan's health concerns (Condition) and outcomeReference the latest "
        f"{OUTCOMES} Observations of the measure since the baseline; {PLAN_EXT} the CarePlan it belongs to. "
        "Create: a proposed goal on the patient's plan being worked on, with the plan screen's checks; update: "
        "progress (achievementStatus) and lifecycleStatus (docs/fhir.md)."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient whose goal it is"),
        "subject": params.reference("patient_id", "Patient", "The patient whose goal it is"),
        "lifecycle-status": params.token(
            "lifecycle",
            f"proposed, planned, accepted, active, on-hold, completed, cancelled, entered-in-error or rejected "
            f"({LIFECYCLE})",
            system=LIFECYCLE,
            codes={s: s for s in GoalLifecycle.values},
        ),
        "achievement-status": params.token(
            "achievement",
            f"How the goal is going ({ACHIEVEMENT}); a goal not yet assessed has none",
            system=ACHIEVEMENT,
            codes={a: a for a in Achievement.values},
        ),
        "target-date": params.date("due_on", "When the goal is due (target.dueDate)", is_date=True),
        "start-date": params.date(
            START, "When work on the goal started (the baseline, else when set)", is_date=True
        ),
    }
    sorts = {
        "target-date": "due_on",
        "start-date": START,
        "lifecycle-status": "lifecycle",
        "achievement-status": "achievement",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        # The latest Observations of each patient for each measured code, in the same query for the whole page;
        # the latest of them since a goal's start are then the latest since its start.
        scores = (
            AssessmentScore.objects.filter(code_system=LOINC, code__in=LOINC_CODES, status="final")
            .annotate(
                fhir_rank=Window(
                    RowNumber(),
                    partition_by=[F("patient_id"), F("code")],
                    order_by=[F("effective_at").desc(), F("pk").desc()],
                )
            )
            .filter(fhir_rank__lte=OUTCOMES)
            .only("pk", "patient_id", "code", "effective_at")
            .order_by("-effective_at", "-pk")
        )
        return (
            qs.select_related("patient")
            .prefetch_related(
                Prefetch("problems", queryset=Problem.objects.select_related("condition").order_by("pk")),
                Prefetch("patient__assessment_scores", queryset=scores, to_attr=SCORES),
            )
            .annotate(**{START: Coalesce(F("baseline_on"), TruncDate("created_at"))})
        )

    def visible(self, caller: Caller) -> QuerySet[Any]:
        # A goal made only for problems the caller may not see names them (careplans.queries.visible_goals).
        seen = Problem.objects.filter(
            policy.sensitivity_q(caller.user, "plan__patient", "condition__sensitivity")
        )
        hidden = (
            Goal.objects.filter(problems__condition__sensitivity__in=SENSITIVE)
            .exclude(problems__in=seen)
            .values("pk")
        )
        return super().visible(caller).exclude(pk__in=hidden)

    def render(self, row: Any) -> dict[str, Any]:
        """A goal made only for labelled problems carries their label (careplans.rules.goal_sensitivity)."""
        return labelled(
            super().render(row), goal_sensitivity([p.condition.sensitivity for p in row.problems.all()])
        )

    def start(self, row: Goal) -> Any:
        return row.baseline_on or timezone.localdate(row.created_at)

    def outcomes(self, row: Goal) -> list[int]:
        """The ids of the latest Observations of the goal's measure since its start, oldest first. The baseline
        reading itself is not progress (as careplans.progress.goal_progress counts it)."""
        code = row.measure_def.loinc
        if not code:
            return []
        latest: list[AssessmentScore] | None = getattr(row.patient, SCORES, None)
        if latest is None:  # a row that did not come through with_related
            latest = list(
                AssessmentScore.objects.filter(
                    patient_id=row.patient_id, code_system=LOINC, code=code, status="final"
                ).order_by("-effective_at", "-pk")[:OUTCOMES]
            )
        start = self.start(row)
        mine = []
        for score in latest:
            taken = timezone.localdate(score.effective_at)
            if score.code == code and (taken > start or (taken == start and row.baseline_on is None)):
                mine.append(score.pk)
        return list(reversed(mine[:OUTCOMES]))

    def target(self, row: Goal) -> dict[str, Any]:
        m = row.measure_def
        measure = concept(LOINC, m.loinc, m.label, text=m.label) if m.loinc else {"text": row.measure_label}
        found: dict[str, Any] = {"measure": measure}
        if m.numeric and row.target_value is not None:
            found["detailQuantity"] = compact(
                {
                    "value": _number(row.target_value),
                    "comparator": "<=" if m.better == "lower" else ">=",
                    "unit": m.unit,
                    "system": UCUM if m.unit else None,
                    "code": m.unit,
                }
            )
        elif row.target_text:
            found["detailString"] = row.target_text
        found["dueDate"] = day(row.due_on)
        return compact(found)

    def to_fhir(self, row: Goal) -> dict[str, Any]:
        extensions: list[dict[str, Any]] = []
        priority = None
        if row.patient_rank is not None:
            code, display = PRIORITIES.get(row.patient_rank, LOW_PRIORITY)
            priority = concept(PRIORITY, code, display, text=f"Patient's rank {row.patient_rank}")
            extensions.append({"url": RANK_EXT, "valuePositiveInt": row.patient_rank})
        extensions.append({"url": PROPOSED_BY_EXT, "valueCode": row.proposed_by})
        extensions.append({"url": AGREEMENT_EXT, "valueCode": row.agreement})
        extensions.append({"url": PLAN_EXT, "valueReference": ref("CarePlan", row.plan_id)})
        achievement = None
        if row.achievement in Achievement.values:
            achievement = concept(ACHIEVEMENT, row.achievement, Achievement(row.achievement).label)
        return compact(
            {
                "extension": extensions,
                "lifecycleStatus": row.lifecycle,
                "achievementStatus": achievement,
                "priority": priority,
                "description": {"text": row.patient_words},
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "startDate": day(self.start(row)),
                "target": [self.target(row)],
                "statusDate": day(timezone.localdate(row.achievement_set_at))
                if row.achievement_set_at
                else None,
                "expressedBy": ref("Patient", row.patient_id, row.patient.full_name)
                if row.proposed_by == Proposer.PATIENT
                else None,
                # A goal for normal and labelled conditions is served to every reader (its kept versions too),
                # so it names only the normal ones; a goal only for labelled ones is labelled itself (render).
                "addresses": [
                    ref("Condition", p.condition_id, p.condition.display)
                    for p in row.problems.all()
                    if p.condition.sensitivity == Sensitivity.NORMAL or only_sensitive(row)
                ],
                "note": [{"text": f"Clinical statement: {row.statement}"}] if row.statement else [],
                "outcomeReference": [ref("Observation", key) for key in self.outcomes(row)],
            }
        )

    # --- writing: a new goal (goal_create.py), then progress and lifecycle only --------------------------------------------------------------------
    def create(self, caller: Caller, resource: dict[str, Any]) -> Goal:
        return create_goal(caller, resource)

    FIXED = ("description", "subject", "target", "addresses", "expressedBy", "startDate", "priority",
             "extension")  # fmt: skip

    def update(self, caller: Caller, row: Goal, resource: dict[str, Any]) -> Goal:
        refuse_changes(resource, self.render(row), self.FIXED, "Goal",
                       "on the care plan (a new version the patient agrees to); through the API a goal's "
                       "lifecycleStatus and achievementStatus change")  # fmt: skip
        reason = resource.get("statusReason", "")
        if not isinstance(reason, str):
            raise refused("Goal.statusReason", "Goal.statusReason is text.")
        lifecycle = resource.get("lifecycleStatus")
        if lifecycle not in GoalLifecycle.values:
            raise refused(
                "Goal.lifecycleStatus", f"Goal.lifecycleStatus is one of {', '.join(GoalLifecycle.values)}."
            )
        achieved = resource.get("achievementStatus") or {}
        codes = (
            [
                c.get("code")
                for c in achieved.get("coding") or []
                if isinstance(c, dict) and c.get("system") == ACHIEVEMENT
            ]
            if isinstance(achieved, dict)
            else [None]
        )
        achievement = codes[0] if codes else None
        if achieved and achievement not in Achievement.values:
            raise refused(
                "Goal.achievementStatus", f"Goal.achievementStatus needs a coding from {ACHIEVEMENT}."
            )
        if achievement and achievement != row.achievement:
            do_record_progress(caller.user, row, note=reason, achievement=Achievement(achievement))
            row.refresh_from_db()
        elif not achievement and row.achievement:
            raise refused("Goal.achievementStatus", "How a goal is going can be changed, not removed.")
        if lifecycle != row.lifecycle:
            row = do_move_goal(caller.user, row, GoalLifecycle(lifecycle), note=reason)
        return row
