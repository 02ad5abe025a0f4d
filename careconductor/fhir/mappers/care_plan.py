"""CarePlan: a case's care plan (careplans.CarePlan), shaped as the MCC eCare Plan does: the health concerns it
addresses (Condition), its goals (Goal) and the interventions for them (activity: a Task for staff, a detail for
what the patient or a caregiver does).

What is served is the *version in force* (careplans.PlanVersion), not the rows being edited: a change still
being drafted or awaiting approval never reaches another system by accident. A plan with no version in force
(a draft) is served as its working rows stand. A partner creates and updates plans with the screens' rules
(care_plan_write.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import DateTimeField, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from careconductor.careplans import rules
from careconductor.careplans.choices import (
    GoalAgreement,
    GoalLifecycle,
    InterventionKind,
    InterventionStatus,
    OwnerType,
    PlanStatus,
    Proposer,
    VersionStatus,
)
from careconductor.careplans.models import (
    CarePlan,
    Goal,
    Intervention,
    PlanAgreement,
    PlanVersion,
    Problem,
)
from careconductor.careplans.snapshot import without_problems
from careconductor.core.ids import whole_number
from careconductor.patients.models import Condition
from careconductor.privacy.choices import Sensitivity

from .. import params
from ..auth import Caller
from ..errors import bad_request
from ..registry import CREATE, READ_ONLY, UPDATE, Mapper, SearchParam, register
from .care_plan_write import create_plan, update_plan
from .common import EXT, compact, concept, day, moment, period, ref

CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
ASSESS_PLAN = "assess-plan"
STATUS = "http://hl7.org/fhir/request-status"
INTERVENTION_KIND = "https://careconductor.org/fhir/CodeSystem/intervention-kind"
VERSION_EXT = EXT + "careplan-version"
AGREED_EXT = EXT + "careplan-patient-agreed"
AGREED_ON_EXT = EXT + "careplan-patient-agreed-on"
# Goals that are not (or no longer) part of the plan.
DROPPED = frozenset({GoalLifecycle.REJECTED, GoalLifecycle.CANCELLED, GoalLifecycle.ENTERED_IN_ERROR})
# meta.lastUpdated: the latest change of the plan row, a version of it (made or decided) or an agreement to one.
LAST_CHANGE = "fhir_last_updated"
IN_FORCE = "fhir_in_force"
SENSITIVE = "fhir_sensitive_conditions"


def _latest(model: type[PlanVersion] | type[PlanAgreement], field: str) -> Coalesce:
    rows = model.objects.filter(plan=OuterRef("pk")).values("plan").annotate(last=Max(field)).values("last")
    return Coalesce(Subquery(rows, output_field=DateTimeField()), F("updated_at"))


def _category(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    # Every plan here is an assessment and plan of treatment. Not Q(): an empty Q vanishes when ORed.
    return Q(pk__isnull=False) if system in ("", CATEGORY) and code == ASSESS_PLAN else Q(pk__in=[])


def _period(modifier: str, value: str, caller: Caller) -> Q:
    """The plan's period [activated_at, ended_at) against the searched range: `eq` is an overlap, `sa` starts
    after it, `eb` ends before it (as for other periods in FHIR). A draft has no period and matches nothing."""
    prefix, text = params.split_prefix(value)
    low, high = params.date_range(text)
    started = Q(activated_at__isnull=False)

    def open_at(moment_: dt.datetime) -> Q:
        return Q(ended_at__isnull=True) | Q(ended_at__gte=moment_)

    match prefix:
        case "eq" | "ap":
            return started & Q(activated_at__lt=high) & open_at(low)
        case "ne":
            return started & (Q(activated_at__gte=high) | Q(ended_at__lt=low))
        case "gt":
            return started & open_at(high)
        case "ge":
            return started & open_at(low)
        case "lt":
            return started & Q(activated_at__lt=low)
        case "le":
            return started & Q(activated_at__lt=high)
        case "sa":
            return Q(activated_at__gte=high)
        case "eb":
            return Q(ended_at__lt=low)
    raise bad_request(f"Unknown prefix {prefix!r}.")


def _goal(modifier: str, value: str, caller: Caller) -> Q:
    if modifier and modifier != "Goal":
        return Q(pk__in=[])
    parts = value.rstrip("/").split("/")
    key = whole_number(parts[-1])
    if (len(parts) >= 2 and parts[-2] != "Goal") or key is None:
        return Q(pk__in=[])
    return Q(pk__in=Goal.objects.filter(pk=key).values("plan_id"))


@register
class CarePlanMapper(Mapper):
    resource_type = "CarePlan"
    model = CarePlan
    interactions = READ_ONLY | {CREATE, UPDATE}
    patient_field = "patient"
    error_paths = {"reason": "CarePlan.note", "title": "CarePlan.title"}
    description = (
        "Care plans of the patients the caller may see (US Core category assess-plan, intent plan), as the "
        "version in force: addresses the health concerns (Condition), goal the goals still in the plan "
        "(Goal), activity one per intervention (a reference to the staff member's Task, else a detail coded "
        f"in {INTERVENTION_KIND} with the status as it stands). A plan with no version in force (a draft) "
        f"shows its rows as they stand. Extensions {VERSION_EXT} (the version number in force), {AGREED_EXT} "
        f"and {AGREED_ON_EXT} (whether and when the patient agreed to it); a note says when a new version "
        "awaits approval. careTeam is the patient's CareTeam; supportingInfo the case (EpisodeOfCare). Create: a "
        "draft for an open case; update: a draft as sent, a plan in force by a new version with a new note as "
        "its reason, status active/completed/revoked as on the screens (docs/fhir.md)."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient whose plan it is"),
        "subject": params.reference("patient_id", "Patient", "The patient whose plan it is"),
        "status": params.token(
            "status",
            f"draft, active, completed or revoked ({STATUS})",
            system=STATUS,
            codes={s: s for s in PlanStatus.values},
        ),
        "category": SearchParam("token", f"{CATEGORY}|{ASSESS_PLAN} (every plan here)", _category),
        "date": SearchParam(
            "date", "The period the plan is in force (from coming into force to its end)", _period
        ),
        "goal": SearchParam(
            "reference",
            "A goal of the plan (Goal/N): the plan it belongs to",
            _goal,
            target="Goal",
            modifiers=frozenset({"Goal"}),
        ),
        "_lastUpdated": params.date(
            LAST_CHANGE, "When the plan, a version of it or an agreement last changed"
        ),
    }
    sorts = {"date": "activated_at", "status": "status", "_lastUpdated": LAST_CHANGE}
    tracked = {
        PlanVersion: lambda row: str(row.plan_id),
        PlanAgreement: lambda row: str(row.plan_id),
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return (
            qs.select_related("patient", "created_by")
            .prefetch_related(
                # Every version without its content (for the version number and the notes), and the content of
                # the one in force only.
                Prefetch("versions", queryset=PlanVersion.objects.defer("content").order_by("number")),
                Prefetch(
                    "versions",
                    queryset=PlanVersion.objects.filter(
                        status=VersionStatus.IN_FORCE, number=F("plan__current_version")
                    ),
                    to_attr=IN_FORCE,
                ),
                Prefetch("agreements", queryset=PlanAgreement.objects.order_by("recorded_at", "pk")),
                # The working rows: what a draft shows, and the interventions' status as it stands.
                Prefetch(
                    "problems", queryset=Problem.objects.order_by("-patient_priority", "position", "pk")
                ),
                # In the order snapshot.build takes them, so a draft reads as its first version will.
                Prefetch(
                    "goals", queryset=Goal.objects.order_by(F("patient_rank").asc(nulls_last=True), "pk")
                ),
                Prefetch(
                    "interventions",
                    queryset=Intervention.objects.select_related("owner").order_by(
                        F("due_on").asc(nulls_last=True), "pk"
                    ),
                ),
                # Labelled conditions are named by reference only: the label decides who may read them.
                Prefetch(
                    "patient__conditions",
                    queryset=Condition.objects.exclude(sensitivity=Sensitivity.NORMAL).only(
                        "pk", "patient_id", "sensitivity"
                    ),
                    to_attr=SENSITIVE,
                ),
            )
            .annotate(
                **{
                    LAST_CHANGE: Greatest(
                        F("updated_at"),
                        _latest(PlanVersion, "made_at"),
                        _latest(PlanVersion, "decided_at"),
                        _latest(PlanAgreement, "recorded_at"),
                    )
                }
            )
        )

    # --- versions --------------------------------------------------------------------------------------------
    def version_id(self, row: CarePlan) -> str:
        # Versions and agreements are never deleted, so the plan row's version plus the versions made, the
        # versions decided and the agreements recorded grows with every change to what is served.
        versions = list(row.versions.all())
        decided = sum(1 for v in versions if v.decided_at is not None)
        return str(row.version + len(versions) + decided + len(row.agreements.all()))

    def last_updated(self, row: CarePlan) -> dt.datetime:
        annotated = getattr(row, LAST_CHANGE, None)
        if annotated is not None:
            return annotated
        moments = [row.updated_at]
        moments += [m for v in row.versions.all() for m in (v.made_at, v.decided_at) if m is not None]
        moments += [a.recorded_at for a in row.agreements.all()]
        return max(moments)

    # --- rendering -------------------------------------------------------------------------------------------
    def in_force(self, row: CarePlan) -> PlanVersion | None:
        found: list[PlanVersion] | None = getattr(row, IN_FORCE, None)
        if found is None:  # a row that did not come through with_related
            found = list(row.versions.filter(status=VersionStatus.IN_FORCE, number=row.current_version))
        return found[0] if found else None

    def content(self, row: CarePlan) -> dict[str, Any]:
        """What is served: the content of the version in force, else the working rows (the shape of
        careplans.snapshot.build, the parts the resource shows, from the rows with_related fetched)."""
        version = self.in_force(row)
        if version is not None:
            return version.content
        return {
            "title": row.title,
            "problems": [
                {"id": p.pk, "title": p.title, "condition_id": p.condition_id} for p in row.problems.all()
            ],
            "goals": [
                {
                    "id": g.pk,
                    "patient_words": g.patient_words,
                    "lifecycle": g.lifecycle,
                    "agreement": g.agreement,
                    "proposed_by": g.proposed_by,
                }
                for g in row.goals.all()
            ],
            "interventions": [
                {
                    "id": i.pk,
                    "goal_id": i.goal_id,
                    "kind": i.kind,
                    "title": i.title,
                    "owner_type": i.owner_type,
                    "owner_id": i.owner_id,
                    "owner": i.owner_label,
                    "due_on": day(i.due_on),
                    "task_id": i.task_id,
                }
                for i in row.interventions.all()
            ],
        }

    def to_fhir(self, row: CarePlan) -> dict[str, Any]:
        version = self.in_force(row)
        content = self.content(row)
        versions = list(row.versions.all())
        pending = next((v for v in reversed(versions) if v.status == VersionStatus.PENDING), None)
        # The agreement that counts is to what is served: the version in force, or the draft's pending version.
        basis = version or pending
        agreements = [a for a in row.agreements.all() if basis is not None and a.version_id == basis.pk]
        agreement = agreements[-1] if agreements else None
        extensions: list[dict[str, Any]] = []
        if version is not None:
            extensions.append({"url": VERSION_EXT, "valuePositiveInt": version.number})
        extensions.append({"url": AGREED_EXT, "valueBoolean": agreement is not None})
        if agreement is not None:
            extensions.append({"url": AGREED_ON_EXT, "valueDate": agreement.agreed_on.isoformat()})
        notes = []
        if pending is not None:
            notes.append(
                {
                    "time": moment(pending.made_at),
                    "text": f"Version {pending.number} awaits approval: {pending.reason}",
                }
            )
        # The resource names no labelled condition, nor a goal made only for such conditions: those are read
        # as labelled Condition and Goal resources by who may see them (the kept versions serve everyone).
        sensitive = {c.pk for c in getattr(row.patient, SENSITIVE, [])}
        content = without_problems(
            content, {p["id"] for p in content.get("problems", []) if p["condition_id"] in sensitive}
        )
        creator = row.created_by
        return compact(
            {
                "extension": extensions,
                "status": row.status,
                "intent": "plan",
                "category": [
                    concept(CATEGORY, ASSESS_PLAN, "Assessment and Plan of Treatment", text="Care plan")
                ],
                "title": content.get("title") or row.title,
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "period": period(row.activated_at, row.ended_at),
                "created": moment(row.created_at),
                "author": ref("Practitioner", creator.pk, creator.display_name()),
                # The patient's care team has the patient's id (see care_team.py).
                "careTeam": [ref("CareTeam", row.patient_id)],
                "supportingInfo": [ref("EpisodeOfCare", row.case_id)],
                "addresses": [
                    ref("Condition", p["condition_id"], p["title"]) for p in content.get("problems", [])
                ],
                "goal": [
                    ref("Goal", g["id"], g["patient_words"])
                    for g in content.get("goals", [])
                    if self._lifecycle(g, in_force=version is not None) not in DROPPED
                ],
                "activity": [self._activity(row, item) for item in content.get("interventions", [])],
                "note": notes,
            }
        )

    def _lifecycle(self, goal: dict[str, Any], *, in_force: bool) -> str:
        """A goal's lifecycle in the plan served. A version is made just before it comes into force, which
        starts its proposed goals (rules.lifecycle_on_publish): a goal the patient turned down is rejected then,
        so it is not part of the plan in force although the version's content still says "proposed"."""
        lifecycle = goal.get("lifecycle", "")
        if not in_force or lifecycle not in GoalLifecycle.values:
            return lifecycle
        agreement, proposer = goal.get("agreement"), goal.get("proposed_by")
        if agreement not in GoalAgreement.values or proposer not in Proposer.values:
            return lifecycle
        return rules.lifecycle_on_publish(
            GoalLifecycle(lifecycle), GoalAgreement(agreement), Proposer(proposer)
        ).value

    def _activity(self, row: CarePlan, item: dict[str, Any]) -> dict[str, Any]:
        live = next((i for i in row.interventions.all() if i.pk == item.get("id")), None)
        # A staff intervention's task is made as its version comes into force, after the version's content
        # was taken: the row knows it.
        task_id = (live.task_id if live is not None else None) or item.get("task_id")
        status = live.status if live is not None else "unknown"
        if task_id and status != InterventionStatus.CANCELLED:
            return {"reference": ref("Task", task_id, item.get("title", ""))}
        kind = item.get("kind", "")
        label = InterventionKind(kind).label if kind in InterventionKind.values else ""
        owner_type = item.get("owner_type")
        performer: dict[str, Any] | None = None
        if owner_type == OwnerType.STAFF and item.get("owner_id"):
            performer = ref("Practitioner", item["owner_id"], item.get("owner", ""))
        elif owner_type == OwnerType.PATIENT:
            performer = ref("Patient", row.patient_id, row.patient.full_name)
        elif owner_type == OwnerType.CAREGIVER:
            performer = {"display": item.get("owner") or "A caregiver"}
        detail = compact(
            {
                "kind": "Task",
                "code": concept(INTERVENTION_KIND, kind, label, text=label) if kind else None,
                "goal": [ref("Goal", item["goal_id"])] if item.get("goal_id") else [],
                "status": status,
                "scheduledPeriod": {"end": item["due_on"]} if item.get("due_on") else None,
                "performer": [performer] if performer else [],
                "description": item.get("title"),
            }
        )
        return {"detail": detail}

    # --- writing (care_plan_write.py) ---------------------------------------------------------------------------
    def create(self, caller: Caller, resource: dict[str, Any]) -> CarePlan:
        return create_plan(caller, resource)

    def update(self, caller: Caller, row: CarePlan, resource: dict[str, Any]) -> CarePlan:
        return update_plan(caller, row, resource, self.render(row))
