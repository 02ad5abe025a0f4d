"""CareTeam: one per patient (id = the patient's id), gathering the patient's care team members and the case
managers of their open cases. Read-only: membership changes on the chart, assignment through the cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import DateTimeField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from careconductor.cases.models import Case
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.privacy import policy

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import compact, concept, period, ref

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
# meta.lastUpdated: the latest change of a member or a case (whose case manager is a participant).
LAST_CHANGE = "fhir_last_updated"


def _latest(model: type[CareTeamMember] | type[Case]) -> Subquery:
    rows = model.objects.filter(patient=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    return Subquery(rows, output_field=DateTimeField())


def _participant(modifier: str, value: str, caller: Caller) -> Q:
    if modifier and modifier != "Practitioner":
        return Q(pk__in=[])
    parts = value.rstrip("/").split("/")
    key = parts[-1]
    if (len(parts) >= 2 and parts[-2] != "Practitioner") or not key.isdigit() or len(key) > 18:
        return Q(pk__in=[])
    members = CareTeamMember.objects.filter(user_id=int(key)).values("patient_id")
    managers = Case.objects.open().filter(primary_case_manager_id=int(key)).values("patient_id")
    return Q(pk__in=members) | Q(pk__in=managers)


def _status(modifier: str, value: str, caller: Caller) -> Q:
    code = value.rpartition("|")[2]
    matched = Q() if code == "active" else Q(pk__in=[])
    return ~matched if modifier == "not" else matched


@register
class CareTeamMapper(Mapper):
    resource_type = "CareTeam"
    model = Patient
    interactions = READ_ONLY
    patient_field = "pk"
    description = (
        "One care team per patient the caller may see, with the same id as the Patient: the care team "
        "members (with their role and period) and the case managers of the patient's open cases. "
        "EpisodeOfCare.team refers to it."
    )
    params = {
        "patient": params.reference("pk", "Patient", "The patient whose care team it is"),
        "subject": params.reference("pk", "Patient", "The patient whose care team it is"),
        "participant": SearchParam(
            "reference",
            "A member of the team (Practitioner), past or present, or a case manager of an open case",
            _participant,
            target="Practitioner",
            modifiers=frozenset({"Practitioner"}),
        ),
        "status": SearchParam(
            "token", "Status: every care team here is active", _status, modifiers=frozenset({"not"})
        ),
        "_lastUpdated": params.date(LAST_CHANGE, "When a member or case manager of the team last changed"),
    }
    sorts = {"_lastUpdated": LAST_CHANGE}
    tracked = {
        CareTeamMember: lambda row: str(row.patient_id),
        Case: lambda row: str(row.patient_id),
    }

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(policy.visible_patients(caller.user))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.prefetch_related(
            Prefetch(
                "care_team",
                queryset=CareTeamMember.objects.select_related("user").order_by("start_date", "pk"),
            ),
            Prefetch("cases", queryset=Case.objects.select_related("primary_case_manager").order_by("pk")),
        ).annotate(
            **{
                LAST_CHANGE: Greatest(
                    Coalesce(_latest(CareTeamMember), F("created_at")),
                    Coalesce(_latest(Case), F("created_at")),
                )
            }
        )

    def patient_id(self, row: Any) -> int | None:
        return row.pk

    def version_id(self, row: Patient) -> str:
        # Versions only grow and rows are never deleted (members end, cases close), so the sum of the members'
        # and cases' versions plus their number grows with every change: a new member or case adds at least 2,
        # any change to one adds 1. The count keeps two new rows from looking like two edits of one row.
        rows = [*row.care_team.all(), *row.cases.all()]
        return str(1 + sum(r.version for r in rows) + len(rows))

    def last_updated(self, row: Patient) -> dt.datetime:
        annotated = getattr(row, LAST_CHANGE, None)
        if annotated is not None:
            return annotated
        rows = [*row.care_team.all(), *row.cases.all()]
        return max((r.updated_at for r in rows), default=row.created_at)

    def to_fhir(self, row: Patient) -> dict[str, Any]:
        participants: list[dict[str, Any]] = [
            compact(
                {
                    "role": [{"text": m.role}] if m.role else [],
                    "member": ref("Practitioner", m.user_id, m.user.display_name()),
                    "period": period(m.start_date, m.end_date),
                }
            )
            for m in row.care_team.all()
        ]
        managers = {
            c.primary_case_manager_id: c.primary_case_manager
            for c in row.cases.all()
            if c.status in OPEN_STATUSES and c.primary_case_manager is not None
        }
        participants += [
            {
                "role": [concept(SNOMED, "768821004", "Care team coordinator", "Case manager")],
                "member": ref("Practitioner", key, manager.display_name()),
            }
            for key, manager in managers.items()
        ]
        return compact(
            {
                "status": "active",
                "category": [concept(LOINC, "LA28865-6", "Longitudinal care-coordination focused care team")],
                "subject": ref("Patient", row.pk),
                "participant": participants,
                "managingOrganization": [ref("Organization", row.organization_id)],
            }
        )
