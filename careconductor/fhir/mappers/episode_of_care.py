"""EpisodeOfCare from cases.Case: a case management episode, its status history, team and case manager.

Writes go through the cases actions: a create is a referral (do_refer_case); an update may move the status
(do_transition_case), reassign the case manager (do_assign_case) or change the acuity tier (do_set_acuity).
What the actions keep themselves (period, statusHistory) is read-only; what never changes (patient,
programme, referral) is refused when a client changes it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.cases.actions import do_assign_case, do_refer_case, do_set_acuity, do_transition_case
from careconductor.cases.choices import CaseStatus, ClosureReason, Program, ReferralSource
from careconductor.cases.models import Case, CaseAssignment, CaseStatusChange
from careconductor.cases.rules import TransitionRequest
from careconductor.core.errors import NotVisible
from careconductor.core.ids import whole_number
from careconductor.patients.models import Patient
from careconductor.privacy import policy

from .. import params
from ..auth import Caller
from ..registry import READ_WRITE, Mapper, SearchParam, register
from .common import EXT, code_in, coding, compact, concept, moment, period, ref, reference_id, refused
from .organization import parse_team_id, team_id

STATUS_SYSTEM = "http://hl7.org/fhir/episode-of-care-status"
PROGRAM_SYSTEM = "urn:careconductor:program"
REFERRAL_SOURCE_SYSTEM = "urn:careconductor:referral-source"
CLOSURE_REASON_SYSTEM = "urn:careconductor:closure-reason"
CASE_STATUS_SYSTEM = "urn:careconductor:case-status"

ACUITY = EXT + "acuity-tier"
REFERRAL_SOURCE = EXT + "referral-source"
REFERRAL_REASON = EXT + "referral-reason"
CASE_STATUS = EXT + "case-status"
CLOSURE_REASON = EXT + "closure-reason"
CLOSING_SUMMARY = EXT + "closing-summary"
# Sent by clients, never rendered: the why of a status change or of choosing another case manager than
# the top suggestion, kept by the action with the change.
STATUS_NOTE = EXT + "status-note"
ASSIGNMENT_REASON = EXT + "assignment-reason"

S = CaseStatus
TO_FHIR: dict[str, str] = {
    S.REFERRED: "planned",
    S.SCREENING: "waitlist",
    S.ACTIVE: "active",
    S.ON_HOLD: "onhold",
    S.CLOSED: "finished",
    S.DECLINED: "cancelled",
    S.INELIGIBLE: "cancelled",
}
FROM_FHIR: dict[str, list[str]] = {}
for _stored, _code in TO_FHIR.items():
    FROM_FHIR.setdefault(_code, []).append(_stored)


def _ext_path(url: str) -> str:
    return f"EpisodeOfCare.extension('{url}')"


def _extensions(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e.get("url", ""): e for e in resource.get("extension") or [] if isinstance(e, dict)}


def _tail(reference: Any) -> str | None:
    """ "Type/id" from a relative or absolute reference."""
    if not isinstance(reference, str) or not reference:
        return None
    return "/".join(reference.rstrip("/").split("/")[-2:])


def _organization_q(modifier: str, value: str, caller: Caller) -> Q:
    if modifier and modifier != "Organization":
        return Q(pk__in=[])
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] != "Organization":
        return Q(pk__in=[])
    key = parts[-1]
    team = parse_team_id(key)
    if team is not None:
        return Q(team_id=team)
    # The organisation itself: every case its teams hold.
    if (organization := whole_number(key)) is not None:
        return Q(organization_id=organization)
    return Q(pk__in=[])


@register
class EpisodeOfCareMapper(Mapper):
    resource_type = "EpisodeOfCare"
    model = Case
    interactions = READ_WRITE
    description = (
        "Case management episodes (cases) of the patients the caller may see. Create is a referral "
        "(managingOrganization Organization/team-<id>, else the caller's team; type a programme from "
        f"{PROGRAM_SYSTEM}). Update moves the status one step (closing needs the closure-reason and "
        "closing-summary extensions; on hold, declined and not eligible need the status-note extension), "
        "reassigns careManager (supervisors and admins; assignment-reason extension for anyone but the top "
        "suggestion) or changes the acuity-tier extension. Teams are Organization/team-<id>."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient"),
        "status": params.token(
            "status",
            "Status (episode-of-care-status; cancelled covers declined and not eligible)",
            system=STATUS_SYSTEM,
            codes=FROM_FHIR,
        ),
        "type": params.token(
            "program", "Programme", system=PROGRAM_SYSTEM, codes={p.value: p.value for p in Program}
        ),
        "care-manager": params.reference(
            "primary_case_manager_id", "Practitioner", "The primary case manager"
        ),
        "date": params.date("referred_at", "When the patient was referred (the start of the period)"),
        "organization": SearchParam(
            "reference",
            "The team holding the case (Organization/team-<id>), or the organisation (every team's cases)",
            _organization_q,
            target="Organization",
            modifiers=frozenset({"Organization"}),
        ),
    }
    sorts = {"date": "referred_at", "status": "status", "patient": "patient_id", "type": "program"}
    tracked = {
        CaseStatusChange: lambda row: str(row.case_id),
        CaseAssignment: lambda row: str(row.case_id),
    }
    error_paths = {
        "closure_reason": _ext_path(CLOSURE_REASON),
        "closure_reason_other": _ext_path(CLOSURE_REASON),
        "closing_summary": _ext_path(CLOSING_SUMMARY),
        "note": _ext_path(STATUS_NOTE),
        "case_manager": "EpisodeOfCare.careManager",
        "override_reason": _ext_path(ASSIGNMENT_REASON),
        "acuity_tier": _ext_path(ACUITY),
        "referral_reason": _ext_path(REFERRAL_REASON),
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("team", "primary_case_manager").prefetch_related("status_changes")

    def to_fhir(self, row: Case) -> dict[str, Any]:
        program = Program(row.program)
        source = ReferralSource(row.referral_source)
        status = CaseStatus(row.status)
        extensions: list[dict[str, Any]] = [
            {"url": CASE_STATUS, "valueCoding": coding(CASE_STATUS_SYSTEM, status.value, status.label)},
            {"url": ACUITY, "valueInteger": row.acuity_tier},
            {
                "url": REFERRAL_SOURCE,
                "valueCoding": coding(REFERRAL_SOURCE_SYSTEM, source.value, source.label),
            },
            {"url": REFERRAL_REASON, "valueString": row.referral_reason},
        ]
        if row.closure_reason:
            reason = ClosureReason(row.closure_reason)
            extensions.append(
                {
                    "url": CLOSURE_REASON,
                    "valueCodeableConcept": concept(
                        CLOSURE_REASON_SYSTEM, reason.value, reason.label, row.closure_reason_other
                    ),
                }
            )
        if row.closing_summary:
            extensions.append({"url": CLOSING_SUMMARY, "valueString": row.closing_summary})
        manager = row.primary_case_manager
        return compact(
            {
                "extension": extensions,
                "status": TO_FHIR[row.status],
                "statusHistory": self._history(row),
                "type": [concept(PROGRAM_SYSTEM, program.value, program.label)],
                "patient": ref("Patient", row.patient_id),
                "managingOrganization": ref("Organization", team_id(row.team_id), row.team.name),
                "period": period(row.referred_at, row.closed_at),
                "careManager": ref("Practitioner", manager.pk, manager.display_name()) if manager else None,
                "team": [ref("CareTeam", row.patient_id)],
            }
        )

    def _history(self, row: Case) -> list[dict[str, Any]]:
        """Each FHIR status the case has had, from the change into it to the change out of it. Changes that
        keep the status (acuity) and stored statuses sharing a FHIR code are folded together."""
        spans: list[dict[str, Any]] = []
        for change in row.status_changes.all():  # ordered by changed_at (Meta.ordering)
            code = TO_FHIR[change.to_status]
            if spans and spans[-1]["status"] == code:
                continue
            if spans:
                spans[-1]["period"]["end"] = moment(change.changed_at)
            spans.append({"status": code, "period": {"start": moment(change.changed_at)}})
        return spans

    # --- writing ---------------------------------------------------------------------------------------------
    def _program(self, resource: dict[str, Any]) -> Program:
        types = resource.get("type") or []
        first = types[0] if isinstance(types, list) and types else None
        allowed = {p.value: p for p in Program}
        found: Program = code_in({"type": first}, "EpisodeOfCare.type", PROGRAM_SYSTEM, allowed)
        return found

    def _acuity(self, ext: dict[str, dict[str, Any]], default: int) -> int:
        if ACUITY not in ext:
            return default
        value = ext[ACUITY].get("valueInteger")
        if not isinstance(value, int) or isinstance(value, bool):
            raise refused(_ext_path(ACUITY), "The acuity tier is a whole number from 1 to 4 (valueInteger).")
        return value

    def _case_manager(self, caller: Caller, resource: dict[str, Any]) -> User | None:
        key = reference_id(
            resource.get("careManager"), "Practitioner", "EpisodeOfCare.careManager", required=False
        )
        if key is None:
            return None
        manager = User.objects.filter(
            pk=key, organization_id=caller.user.org_id, role__in=[Role.CASE_MANAGER, Role.SUPERVISOR]
        ).first()
        if manager is None:
            raise refused(
                "EpisodeOfCare.careManager",
                "EpisodeOfCare.careManager must be a case manager or supervisor of your organisation.",
            )
        return manager

    def _team(self, caller: Caller, resource: dict[str, Any]) -> Team:
        path = "EpisodeOfCare.managingOrganization"
        org = caller.user.org_id
        named = _tail((resource.get("managingOrganization") or {}).get("reference"))
        if named and named != f"Organization/{org}":
            key = (
                parse_team_id(named.removeprefix("Organization/"))
                if named.startswith("Organization/")
                else None
            )
            found = Team.objects.filter(pk=key, organization_id=org).first() if key is not None else None
            if found is None:
                raise refused(
                    path, f"{path} must be one of your organisation's teams (Organization/team-<id>)."
                )
            return found
        # No team named (or the organisation itself): the caller's own team, as for a new patient's referral.
        found = (
            Team.objects.filter(members__user=caller.user).first()
            or Team.objects.filter(organization_id=org).order_by("pk").first()
        )
        if found is None:
            raise refused(path, "Your organisation has no team to receive referrals yet.")
        return found

    def create(self, caller: Caller, resource: dict[str, Any]) -> Case:
        if resource.get("status") != "planned":
            raise refused(
                "EpisodeOfCare.status", "A new episode of care is a referral: status must be planned."
            )
        patient_id = reference_id(resource.get("patient"), "Patient", "EpisodeOfCare.patient") or 0
        patient = Patient.objects.filter(pk=patient_id, organization_id=caller.user.org_id).first()
        # do_refer_case decides, but only after the rest is parsed here: answer "not visible" first, so that a
        # bad team or manager does not tell a stranger that the patient exists.
        if patient is None or (
            caller.user.role not in policy.ASSIGNING_ROLES
            and not policy.can(caller.user, policy.Action.VIEW, patient)
        ):
            raise NotVisible
        ext = _extensions(resource)
        reason = str(ext.get(REFERRAL_REASON, {}).get("valueString") or "Referred through the FHIR API")
        return do_refer_case(
            caller.user,
            patient,
            program=self._program(resource),
            referral_source=ReferralSource.INTERFACE,
            referral_reason=reason,
            team=self._team(caller, resource),
            case_manager=self._case_manager(caller, resource),
            acuity_tier=self._acuity(ext, 2),
        )

    def update(self, caller: Caller, row: Case, resource: dict[str, Any]) -> Case:
        ext = _extensions(resource)
        self._unchanged(caller, row, resource, ext)
        case = row
        tier = self._acuity(ext, row.acuity_tier)
        if tier != case.acuity_tier:
            note = str(ext.get(STATUS_NOTE, {}).get("valueString") or "")
            case = do_set_acuity(caller.user, case, tier, note=note)
        manager = self._case_manager(caller, resource)
        if manager is None and case.primary_case_manager_id is not None:
            raise refused("EpisodeOfCare.careManager", "A case manager can be replaced, not removed.")
        if manager is not None and manager.pk != case.primary_case_manager_id:
            reason = str(ext.get(ASSIGNMENT_REASON, {}).get("valueString") or "")
            do_assign_case(caller.user, case, manager, override_reason=reason)
            case = Case.objects.get(pk=case.pk)
        target = self._target(row, resource, ext)
        if target is not None:
            closure = ext.get(CLOSURE_REASON, {}).get("valueCodeableConcept") or {}
            code = next(
                (
                    c.get("code", "")
                    for c in closure.get("coding") or []
                    if c.get("system") in (None, CLOSURE_REASON_SYSTEM)
                ),
                "",
            )
            case = do_transition_case(
                caller.user,
                case,
                TransitionRequest(
                    target=target,
                    note=str(ext.get(STATUS_NOTE, {}).get("valueString") or ""),
                    closure_reason=code,
                    closure_reason_other=str(closure.get("text") or "")
                    if code == ClosureReason.OTHER
                    else "",
                    closing_summary=str(ext.get(CLOSING_SUMMARY, {}).get("valueString") or ""),
                ),
            )
        return case

    def _target(
        self, row: Case, resource: dict[str, Any], ext: dict[str, dict[str, Any]]
    ) -> CaseStatus | None:
        """The stored status the client asks for, or None when the status stays. A FHIR code that covers more
        than one stored status (cancelled) takes the case-status extension to say which."""
        code = resource.get("status")
        if code == TO_FHIR[row.status]:
            return None
        stored = FROM_FHIR.get(str(code))
        if stored is None:
            raise refused("EpisodeOfCare.status", f"EpisodeOfCare.status {code!r} is not used here.")
        if len(stored) == 1:
            return CaseStatus(stored[0])
        wanted = (ext.get(CASE_STATUS, {}).get("valueCoding") or {}).get("code")
        if wanted in stored:
            return CaseStatus(wanted)
        names = " or ".join(stored)
        raise refused(
            _ext_path(CASE_STATUS), f"Status {code} needs the case-status extension to say which: {names}."
        )

    def _unchanged(
        self, caller: Caller, row: Case, resource: dict[str, Any], ext: dict[str, dict[str, Any]]
    ) -> None:
        """Refuse changes to what an episode keeps for life, naming the element."""
        if reference_id(resource.get("patient"), "Patient", "EpisodeOfCare.patient") != row.patient_id:
            raise refused("EpisodeOfCare.patient", "The patient of an episode of care cannot change.")
        if self._program(resource) != row.program:
            raise refused(
                "EpisodeOfCare.type", "The programme of an episode of care cannot change; refer anew."
            )
        reason = ext.get(REFERRAL_REASON, {}).get("valueString")
        if reason is not None and reason.strip() != row.referral_reason:
            raise refused(_ext_path(REFERRAL_REASON), "The referral reason cannot change.")
        source = (ext.get(REFERRAL_SOURCE, {}).get("valueCoding") or {}).get("code")
        if source is not None and source != row.referral_source:
            raise refused(_ext_path(REFERRAL_SOURCE), "The referral source cannot change.")
        team = _tail((resource.get("managingOrganization") or {}).get("reference"))
        manager = _tail((resource.get("careManager") or {}).get("reference"))
        current_manager = (
            f"Practitioner/{row.primary_case_manager_id}" if row.primary_case_manager_id else None
        )
        # The team follows the case manager (do_assign_case): only a reassignment moves it.
        if team is not None and team != f"Organization/{team_id(row.team_id)}" and manager == current_manager:
            raise refused(
                "EpisodeOfCare.managingOrganization",
                "The team follows the case manager: change careManager to move the case.",
            )
