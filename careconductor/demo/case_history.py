"""A demo patient's case: its case manager, status history, closure and consents (then case_work's work on it)."""

from __future__ import annotations

import datetime as dt

from careconductor.cases.choices import CaseStatus, ClosureReason, Program, ReferralSource
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.privacy.choices import ConsentMethod, ConsentStatus, ConsentType

from . import clinical, data, narrative
from .builder import OpenCase
from .case_work import CaseWork
from .clinical import SHOWCASE, History, Timeline
from .data import BEHAVIORAL, Weighted
from .staff import Manager

S = CaseStatus
HOSPITAL = Weighted(dict(zip(data.HOSPITALS, (60, 25, 15), strict=True)))
SOURCES = {program: Weighted(weights) for program, weights in data.REFERRAL_SOURCES.items()}
CLOSURE = Weighted(data.CLOSURE_REASONS)
CONSENT_METHOD = Weighted({ConsentMethod.VERBAL: 60, ConsentMethod.WRITTEN: 30, ConsentMethod.ELECTRONIC: 10})


class CaseHistory(CaseWork):
    def _manager(self, index: int, status: CaseStatus, tier: int, team: int, language: str) -> Manager | None:
        if index < SHOWCASE:
            self.assigner.take(self.casemanager, tier)
            return self.casemanager
        if status == S.REFERRED and self.rng.random() < 0.5:
            return None  # waiting in the team's queue for assignment
        return self.assigner.choose(team, tier, language, open_case=status in OPEN_STATUSES)

    def _case(
        self,
        patient_id: int,
        index: int,
        coded: list[tuple[str, str]],
        history: History,
        language: str,
        town_team: int,
    ) -> dt.date | None:
        """The case with its status history, assignment and consents. Returns the date of death when the case
        closed because the patient died."""
        rng = self.rng
        categories = [c for c, _ in coded]
        program = clinical.program(rng, index, categories, history)
        if program is None:
            return None
        status, days = clinical.course(rng, index, program, history)
        tier = clinical.acuity_tier(rng, program, coded, history)
        if index < SHOWCASE:
            tier = max(tier, 2 if index == 1 else 3)
        wanted_team = BEHAVIORAL if program == Program.BEHAVIOURAL else town_team
        manager = self._manager(index, status, tier, wanted_team, language)
        team = manager.team if manager is not None else wanted_team
        supervisor_id = self.staff.supervisor_ids[team]
        worker_id = manager.user_id if manager is not None else supervisor_id
        source = ReferralSource.HOSPITAL if program == Program.TCM else ReferralSource(SOURCES[program](rng))
        if source == ReferralSource.HOSPITAL and program != Program.TCM and not history.admissions_last_year:
            source = ReferralSource.PCP
        # Disjoint hours keep same-day steps in order (screening and enrolment often share a day).
        referred_at = self.at(days.referred, 8, 9)
        screened_at = self.at(days.screening, 10, 11) if days.screening is not None else None
        enrolled_at = self.at(days.enrolled, 12, 15) if days.enrolled is not None else None
        on_hold_at = self.at(days.on_hold, 9, 17) if days.on_hold is not None else None
        ended_at = self.at(days.ended, 9, 17) if days.ended is not None else None
        closure, deceased = self._closure(status, program, categories, days, history)
        case_id = self.case_ids.pop()
        self.tables.cases.add(
            id=case_id,
            organization_id=self.org_id,
            patient_id=patient_id,
            program=program,
            status=status,
            referral_source=source,
            referral_reason=narrative.referral_reason(rng, program, coded, history)[:300],
            referred_at=referred_at,
            team_id=self.staff.team_ids[team],
            primary_case_manager_id=manager.user_id if manager is not None else None,
            acuity_tier=tier,
            enrolled_at=enrolled_at,
            closed_at=ended_at,
            **closure,
        )
        # The history, step by step along cases.rules.TRANSITIONS, with the notes the actions require.
        steps: list[tuple[str, CaseStatus, dt.datetime, int, str]] = [
            ("", S.REFERRED, referred_at, supervisor_id, f"Referred by {source.label_in_a_sentence}")
        ]
        if screened_at is not None:
            steps.append((S.REFERRED, S.SCREENING, screened_at, worker_id, ""))
        if enrolled_at is not None:
            steps.append((S.SCREENING, S.ACTIVE, enrolled_at, worker_id, "Consent recorded; enrolled"))
        if on_hold_at is not None:
            steps.append((S.ACTIVE, S.ON_HOLD, on_hold_at, worker_id, rng.choice(data.ON_HOLD_NOTES)))
        if ended_at is not None:
            notes = {S.DECLINED: data.DECLINED_NOTES, S.INELIGIBLE: data.INELIGIBLE_NOTES}
            note = (
                ClosureReason(closure["closure_reason"]).label
                if status == S.CLOSED
                else rng.choice(notes[status])
            )
            steps.append((steps[-1][1], status, ended_at, worker_id, note))
        for from_status, to_status, at, by, note in steps:
            self.tables.status_changes.add(
                case_id=case_id,
                from_status=from_status,
                to_status=to_status,
                changed_at=at,
                changed_by_id=by,
                note=note,
            )
        if manager is not None:
            self.tables.assignments.add(
                case_id=case_id,
                case_manager_id=manager.user_id,
                assigned_by_id=supervisor_id,
                assigned_at=referred_at,
                suggested_rank=1,
                was_eligible=True,
            )
        self._consents(patient_id, index, program, status, days, worker_id)
        if manager is not None and status in OPEN_STATUSES and index >= SHOWCASE:  # the showcase as it is
            work = OpenCase(case_id, patient_id, manager.user_id, team, supervisor_id, program, tier)
            self._work(work, status, days, history)
        return deceased

    def _closure(
        self, status: CaseStatus, program: Program, categories: list[str], days: Timeline, history: History
    ) -> tuple[dict[str, str], dt.date | None]:
        """The closure fields of the case, and the date of death when that is why it closed."""
        rng = self.rng
        if status != S.CLOSED or days.ended is None:
            return {"closure_reason": "", "closure_reason_other": "", "closing_summary": ""}, None
        if program == Program.TCM:
            reason = ClosureReason.GOALS_MET if rng.random() < 0.7 else ClosureReason.TRANSFERRED
        else:
            reason = ClosureReason(CLOSURE(rng))
        died = days.ended + rng.randint(1, 4)
        deceased = self.day(died) if reason == ClosureReason.DECEASED and died < history.last_seen else None
        if reason == ClosureReason.DECEASED and deceased is None:
            reason = ClosureReason.GOALS_MET  # seen alive after that day: closed for another reason
        return {
            "closure_reason": reason,
            "closure_reason_other": rng.choice(data.OTHER_CLOSURE_REASONS)
            if reason == ClosureReason.OTHER
            else "",
            "closing_summary": narrative.closing_summary(rng, reason, program, categories, deceased),
        }, deceased

    def _consents(
        self,
        patient_id: int,
        index: int,
        program: Program,
        status: CaseStatus,
        days: Timeline,
        recorded_by: int,
    ) -> None:
        rng = self.rng
        given: int | None = None
        if days.enrolled is not None and days.screening is not None:
            given = rng.randint(days.enrolled, days.screening)  # during screening, at the latest on enrolment
        elif status == S.SCREENING and days.screening is not None and (index == 0 or rng.random() < 0.5):
            given = rng.randint(0, days.screening)  # ready to enrol
        elif status == S.DECLINED and days.ended is not None and rng.random() < 0.4:
            self.tables.consents.add(
                patient_id=patient_id,
                consent_type=ConsentType.CM_ENROLMENT,
                status=ConsentStatus.REJECTED,
                method=ConsentMethod.VERBAL,
                given_on=self.day(days.ended),
                recorded_by_id=recorded_by,
                scope_note="",
            )
        if given is None:
            return
        method = CONSENT_METHOD(rng)
        kinds = [(ConsentType.CM_ENROLMENT, f"{program.label}: assessment, care planning and coordination")]
        if program == Program.CCM and days.enrolled is not None:
            kinds.append(
                (ConsentType.CCM_BILLING, "Told of cost sharing; one practitioner bills CCM each month")
            )
        for kind, scope in kinds:
            self.tables.consents.add(
                patient_id=patient_id,
                consent_type=kind,
                status=ConsentStatus.ACTIVE,
                method=method,
                given_on=self.day(given),
                recorded_by_id=recorded_by,
                scope_note=scope,
            )
