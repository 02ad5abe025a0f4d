"""Pure decisions about cases: the status machine, acuity points and assignment ranking. No ORM, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


# --- Caseload load --------------------------------------------------------------------------------------------
# A person's load is every open case they are the primary case manager of (whatever its team, whoever looks),
# weighted by acuity points, against their capacity. The caseloads page, the team view and the assignment
# suggestion all read it through cases.queries.caseload_loads, one aggregate query.
LOAD_AMBER = 0.85  # the meter turns amber past 85 % of capacity, red at capacity and beyond


@dataclass(frozen=True)
class Load:
    open_cases: int
    points: int
    capacity: int

    @property
    def percent(self) -> int:
        return round(100 * self.points / self.capacity) if self.capacity else 0

    @property
    def over(self) -> bool:
        return self.points > self.capacity

    # For the <meter>: green below LOAD_AMBER of capacity, amber up to capacity, red past it.
    @property
    def meter_max(self) -> int:
        return max(self.capacity, self.points)

    @property
    def low_mark(self) -> int:
        return round(LOAD_AMBER * self.capacity)


def caseload_load(cases_by_tier: Mapping[int, int], capacity: int) -> Load:
    """The load of a person carrying, for each acuity tier, this many open cases."""
    return Load(
        sum(cases_by_tier.values()),
        sum(acuity_points(tier) * n for tier, n in cases_by_tier.items()),
        capacity,
    )


def experience_allows(tier: int, experience: ExperienceLevel | str) -> bool:
    """The experience rule: tier 3–4 cases go only to proficient or expert staff (ARCHITECTURE.md §2)."""
    return tier not in HIGH_ACUITY_TIERS or experience in EXPERIENCED


def experience_task_needed(
    old_tier: int | None, new_tier: int, holder_experience: ExperienceLevel | str
) -> bool:
    """Whether the supervisor gets a task to reassign the case: its tier rose (or it is new: `old_tier` None)
    and its case manager may not carry that tier. A tier going down, or staying, never asks again."""
    if old_tier is not None and new_tier <= old_tier:
        return False
    return not experience_allows(new_tier, holder_experience)


def experience_words(experience: ExperienceLevel | str) -> str:
    """How the task names the holder: 'a novice', 'a competent case manager'."""
    level = ExperienceLevel(experience)
    return "a novice" if level == ExperienceLevel.NOVICE else f"a {level.label.lower()} case manager"


@dataclass(frozen=True)
class Candidate:
    staff_id: int
    name: str
    experience: ExperienceLevel
    languages: Sequence[str]
    capacity: int
    points_used: int
    team_id: int | None = None

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
        if not experience_allows(tier, c.experience):
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


@dataclass(frozen=True)
class SelectedCase:
    """One case of a bulk reassignment, as the ranking needs it."""

    label: str  # how refusals name it: the patient and programme
    tier: int
    language: str
    manager_id: int | None  # its current case manager


def selection_problems(selection: Sequence[SelectedCase], c: Candidate) -> list[str]:
    """Why `c` may not take the whole selection: each case the experience rule refuses them (named), and
    capacity after the move (their points plus the points of the cases that are not theirs already)."""
    problems = [
        f"{s.label}: tier {s.tier} needs proficient or expert staff ({c.experience.label.lower()})"
        for s in selection
        if not experience_allows(s.tier, c.experience)
    ]
    incoming = sum(acuity_points(s.tier) for s in selection if s.manager_id != c.staff_id)
    if c.remaining < incoming:
        problems.append(f"no room: {c.remaining} of {c.capacity} points left, the cases need {incoming}")
    return problems


def rank_for_selection(
    selection: Sequence[SelectedCase],
    candidates: Iterable[Candidate],
    *,
    team_ids: frozenset[int] = frozenset(),
) -> list[RankedCandidate]:
    """Rank staff for several cases at once: eligible for every case first (the experience rule for each tier
    3–4 case, and room for all their points after the move), then those speaking the most of the patients'
    languages, then members of the cases' teams (`team_ids`), then the most room left after
    the move. The cases' own manager is left out: they are who the cases leave."""
    leaving = {s.manager_id for s in selection}
    languages = [s.language for s in selection if s.language]
    ranked: list[tuple[tuple[object, ...], RankedCandidate]] = []
    for c in candidates:
        if c.staff_id in leaving:
            continue
        problems = selection_problems(selection, c)
        spoken = sum(1 for lang in languages if lang in c.languages)
        incoming = sum(acuity_points(s.tier) for s in selection)
        after = c.remaining - incoming
        reasons = list(problems)
        if spoken:
            reasons.append(
                "speaks every patient's language"
                if spoken == len(languages)
                else f"speaks the language of {spoken} of {len(languages)} patients"
            )
        on_team = c.team_id in team_ids
        if on_team:
            reasons.append("on the cases' team")
        if not problems:
            reasons.append(f"{after} of {c.capacity} points free after the move")
        key = (bool(problems), -spoken, not on_team, -after, c.name)
        ranked.append((key, RankedCandidate(c, not problems, spoken == len(languages) > 0, reasons)))
    ranked.sort(key=lambda pair: pair[0])
    return [r for _, r in ranked]
