"""CareTeam: one per patient (id = the patient's id), gathering the patient's care team members and the case
managers of their open cases. Read-only: membership changes on the chart, assignment through the cases.

Who a participant is:
- A member of staff is `member` → Practitioner/N (their account, served by the Practitioner mapper).
- A person outside the system (patients.CareTeamMember without a user) has no record of their own here, so it
  is a *contained* resource, the FHIR way to carry a party that cannot be identified on its own:
  - a family caregiver (category `caregiver`) is a contained RelatedPerson: it is someone with a personal
    relationship to the patient (RelatedPerson.patient is the Patient), with the name, phone and e-mail the
    team reaches them on, `relationship.text` their role in their own words and the caregiver extension the
    RelatedPerson mapper uses. It is not linked to the patient's contacts (RelatedPerson/N): the two are kept
    apart on the chart, and guessing a match by name would merge different people.
  - anyone else (a community health worker, an outside PCP or specialist, a pharmacist) is a contained
    Practitioner (name and telecom): R4 Practitioner is any person involved in providing care, employed by us
    or not. Their agency or practice is `onBehalfOf`, a contained Organization with its name (R4 ctm-1 allows
    onBehalfOf only for a Practitioner member, which is why caregivers have none).
- `role` is one CodeableConcept: the kind of member coded in our CodeSystem care-team-category (the
  CareTeamCategory values) with `text` the role as written on the chart ("Daughter, main caregiver").
- `period` is the membership; an ended member stays with `period.end`, and a `note` says when and why they left.
- The lead (one per team, CareTeamMember.is_lead, while their membership lasts) comes first and carries the
  extension care-team-lead (valueBoolean true). R4 has no element for the lead; a second role coding would make
  `role` say two different things (what the person does and their place on the team) and clients that read the
  first role would see "lead" instead of "physician", so the lead is an extension on the participant.
- Case managers of open cases follow, coded SNOMED 768821004 "Care team coordinator"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import DateTimeField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from careconductor.cases.models import Case
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.core import clock
from careconductor.core.ids import whole_number
from careconductor.patients.choices import CareTeamCategory
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.privacy import policy

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import EXT, compact, concept, period, ref
from .related_person import CAREGIVER

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CATEGORY = "https://careconductor.org/fhir/CodeSystem/care-team-category"
LEAD = EXT + "care-team-lead"
# meta.lastUpdated: the latest change of a member or a case (whose case manager is a participant).
LAST_CHANGE = "fhir_last_updated"


def _latest(model: type[CareTeamMember] | type[Case]) -> Subquery:
    rows = model.objects.filter(patient=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    return Subquery(rows, output_field=DateTimeField())


def _participant(modifier: str, value: str, caller: Caller) -> Q:
    if modifier and modifier != "Practitioner":
        return Q(pk__in=[])
    parts = value.rstrip("/").split("/")
    key = whole_number(parts[-1])
    if (len(parts) >= 2 and parts[-2] != "Practitioner") or key is None:
        return Q(pk__in=[])
    members = CareTeamMember.objects.filter(user_id=key).values("patient_id")
    managers = Case.objects.open().filter(primary_case_manager_id=key).values("patient_id")
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
        today = clock.today()
        members = list(row.care_team.all())
        # The lead first; the others keep their order (by start date).
        members.sort(key=lambda m: not _leads(m, today))
        participants = [_participant_of(m, today) for m in members]
        contained = [found for m in members if m.user_id is None for found in _contained(m, row)]
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
        notes = [
            {"text": f"{m.display_name} ({m.role}) left the team on {m.end_date.isoformat()}: {m.end_reason}"}
            for m in members
            if m.end_date is not None and m.end_date < today and m.end_reason
        ]
        return compact(
            {
                "contained": contained,
                "status": "active",
                "category": [concept(LOINC, "LA28865-6", "Longitudinal care-coordination focused care team")],
                "subject": ref("Patient", row.pk),
                "participant": participants,
                "managingOrganization": [ref("Organization", row.organization_id)],
                "note": notes,
            }
        )


def _leads(member: CareTeamMember, today: dt.date) -> bool:
    """The lead, while their membership lasts (a lead whose end date has passed leads no more)."""
    return member.is_lead and (member.end_date is None or member.end_date >= today)


def _contained_id(member: CareTeamMember) -> str:
    return f"member-{member.pk}"


def _participant_of(member: CareTeamMember, today: dt.date) -> dict[str, Any]:
    kind = CareTeamCategory(member.category) if member.category in CareTeamCategory.values else None
    role = concept(CATEGORY, kind.value, kind.label, text=member.role) if kind else {"text": member.role}
    if member.user_id is not None and member.user is not None:
        who = ref("Practitioner", member.user_id, member.user.display_name())
        on_behalf_of = None
    else:
        who = {"reference": f"#{_contained_id(member)}", "display": member.name}
        on_behalf_of = (
            {"reference": f"#{_contained_id(member)}-org", "display": member.organization_name}
            if member.organization_name and member.category != CareTeamCategory.CAREGIVER
            else None
        )
    return compact(
        {
            "extension": [{"url": LEAD, "valueBoolean": True}] if _leads(member, today) else [],
            "role": [role] if member.role or kind else [],
            "member": who,
            "onBehalfOf": on_behalf_of,
            "period": period(member.start_date, member.end_date),
        }
    )


def _contained(member: CareTeamMember, patient: Patient) -> list[dict[str, Any]]:
    """The person outside the system (and their organisation) as contained resources; see the module doc."""
    telecom = [{"system": "phone", "value": member.phone}] if member.phone else []
    telecom += [{"system": "email", "value": member.email}] if member.email else []
    key = _contained_id(member)
    if member.category == CareTeamCategory.CAREGIVER:
        return [
            compact(
                {
                    "resourceType": "RelatedPerson",
                    "id": key,
                    "extension": [{"url": CAREGIVER, "valueBoolean": True}],
                    "patient": ref("Patient", patient.pk),
                    "relationship": [{"text": member.role}] if member.role else [],
                    "name": [{"text": member.name}],
                    "telecom": telecom,
                }
            )
        ]
    found = [
        compact(
            {"resourceType": "Practitioner", "id": key, "name": [{"text": member.name}], "telecom": telecom}
        )
    ]
    if member.organization_name:
        found.append({"resourceType": "Organization", "id": f"{key}-org", "name": member.organization_name})
    return found
