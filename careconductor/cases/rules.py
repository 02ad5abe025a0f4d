"""Pure decisions about cases: the status machine, acuity points and assignment ranking. No ORM, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from careconductor.accounts.choices import ExperienceLevel

from .choices import CaseStatus, ClosureReason

S = CaseStatus

# The one table of allowed case transitions. Every status change goes through `check_transition`.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.REFERRED: frozenset({S.SCREENING, S.DECLINED, S.INELIGIBLE}),
    S.SCREENING: frozenset({S.ACTIVE, S.DECLINED, S.INELIGIBLE}),
    S.ACTIVE: frozenset({S.ON_HOLD, S.CLOSED}),
    S.ON_HOLD: frozenset({S.ACTIVE, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.DECLINED: frozenset(),
    S.INELIGIBLE: frozenset(),
}
OPEN_STATUSES = frozenset({S.REFERRED, S.SCREENING, S.ACTIVE, S.ON_HOLD})
TERMINAL_STATUSES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Moves that must say why (the case manager's note is kept with the change).
NOTE_REQUIRED = frozenset({S.ON_HOLD, S.DECLINED, S.INELIGIBLE})
# The longest reason for referral kept: a referral letter's gist, not the letter (a paste by mistake is refused).
MAX_REFERRAL_REASON = 4000

TRANSITION_LABELS: dict[CaseStatus, str] = {
    S.SCREENING: "Start screening",
    S.ACTIVE: "Enrol",
    S.ON_HOLD: "Put on hold",
    S.CLOSED: "Close case",
    S.DECLINED: "Patient declined",
    S.INELIGIBLE: "Not eligible",
}


@dataclass(frozen=True)
class TransitionRequest:
    target: CaseStatus
    note: str = ""
    closure_reason: str = ""
    closure_reason_other: str = ""
    closing_summary: str = ""


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about the case, gathered by the caller."""

    status: CaseStatus
    has_enrolment_consent: bool
    has_case_manager: bool


def allowed_targets(status: CaseStatus) -> frozenset[CaseStatus]:
    return TRANSITIONS[status]


def check_transition(facts: CaseFacts, req: TransitionRequest) -> dict[str, str]:
    """Errors keyed by the field they belong to ("" for the whole request); empty means allowed."""
    errors: dict[str, str] = {}
    if req.target not in TRANSITIONS[facts.status]:
        allowed = (
            ", ".join(sorted(t.label for t in TRANSITIONS[facts.status])) or "none (the case is finished)"
        )
        errors[""] = (
            f"A {facts.status.label.lower()} case cannot become {req.target.label.lower()}. "
            f"Allowed next steps: {allowed}."
        )
        return errors
    if req.target == S.ACTIVE:
        if not facts.has_enrolment_consent:
            errors[""] = "Record the patient's consent to case management before enrolling."
        if not facts.has_case_manager:
            errors["case_manager"] = "Assign a case manager before enrolling."
    if req.target in NOTE_REQUIRED and not req.note.strip():
        errors["note"] = "Say why, so the next person understands."
    if req.target == S.CLOSED:
        if req.closure_reason not in ClosureReason.values:
            errors["closure_reason"] = "Choose why the case is closing."
        elif req.closure_reason == ClosureReason.OTHER and not req.closure_reason_other.strip():
            errors["closure_reason_other"] = "Describe the other reason."
        if not req.closing_summary.strip():
            errors["closing_summary"] = "Write a closing summary: goals, outcomes and who takes over."
    return errors


# Acuity: tier 1 (stable) to 4 (most complex). Points weight a case for caseload capacity.
ACUITY_POINTS: dict[int, int] = {1: 1, 2: 2, 3: 4, 4: 6}
ACUITY_LABELS: dict[int, str] = {
    1: "Tier 1 – low",
    2: "Tier 2 – moderate",
    3: "Tier 3 – high",
    4: "Tier 4 – complex",
}
EXPERIENCED = frozenset({ExperienceLevel.PROFICIENT, ExperienceLevel.EXPERT})
HIGH_ACUITY_TIERS = frozenset({3, 4})


def acuity_points(tier: int) -> int:
    return ACUITY_POINTS[tier]


@dataclass(frozen=True)
class Candidate:
    staff_id: int
    name: str
    experience: ExperienceLevel
    languages: Sequence[str]
    capacity: int
    points_used: int

    @property
    def remaining(self) -> int:
        return self.capacity - self.points_used


@dataclass(frozen=True)
class RankedCandidate:
    candidate: Candidate
    eligible: bool
    shares_language: bool
    reasons: list[str] = field(default_factory=list)


def rank_candidates(
    tier: int, patient_language: str, candidates: Iterable[Candidate]
) -> list[RankedCandidate]:
    """Rank staff for a case: eligible first (tier 3–4 only to proficient or expert staff, and room for the
    case's points), then a shared language, then the most remaining capacity."""
    points = acuity_points(tier)
    ranked: list[RankedCandidate] = []
    for c in candidates:
        reasons: list[str] = []
        eligible = True
        if tier in HIGH_ACUITY_TIERS and c.experience not in EXPERIENCED:
            eligible = False
            reasons.append(f"tier {tier} needs proficient or expert staff ({c.experience.label.lower()})")
        if c.remaining < points:
            eligible = False
            reasons.append(f"no room: {c.remaining} of {c.capacity} points left, case needs {points}")
        shares = patient_language in c.languages
        if shares:
            reasons.append("speaks the patient's language")
        if eligible:
            reasons.append(f"{c.remaining} of {c.capacity} points free")
        ranked.append(RankedCandidate(c, eligible, shares, reasons))
    ranked.sort(
        key=lambda r: (not r.eligible, not r.shares_language, -r.candidate.remaining, r.candidate.name)
    )
    return ranked
