"""Caseload scenarios for the demo (issue 17 §4), made through the real actions: a case manager on leave this
week, covered by the proficient case manager whose login the demo prints (their worklist opens with a
'Covering for …' group and they may open the absent colleague's charts), and a bulk reassignment five days ago
with its reason, on the cases' history. `casemanager` and the colleague the mention scenarios use are left out,
so their worklists and inboxes stay as those scenarios describe them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import Organization, User
from careconductor.cases.cover import do_record_cover
from careconductor.cases.models import Case, CaseAssignment
from careconductor.cases.reassign import do_reassign_cases, reassignment_candidates
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.models import Notification, TaskReassignment
from careconductor.core import clock

from .staff import demo_logins

REASSIGNED_DAYS_AGO = 5
MOVED = 3
REASON = "Balancing the team's caseloads after the new referrals from St Mary's"


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Made:
    absent: str
    delegate: str
    until: dt.date
    moved: int
    from_name: str
    to_name: str


def add_caseload_scenarios(org: Organization, out: Out) -> Made | None:
    """Returns what was made (None when the organisation has too few case managers) and says so."""
    made = _add(org)
    if made is not None:
        out.write(
            f"Caseload scenarios: {made.absent} on leave until {made.until:%a %d %b}, covered by {made.delegate} "
            f"(log in as {made.delegate}: the worklist has a 'Covering for' group); {made.moved} cases moved from "
            f"{made.from_name} to {made.to_name} {REASSIGNED_DAYS_AGO} days ago, with the reason on each case.\n"
        )
    return made


def _case_managers(org: Organization) -> list[User]:
    return list(
        User.objects.filter(organization=org, role=Role.CASE_MANAGER, is_active=True, profile__isnull=False)
        .select_related("profile__team__supervisor")
        .order_by("pk")
    )


def _left_out(org: Organization, people: list[User]) -> set[int]:
    """`casemanager` and the colleague on her team the mention scenarios hand a task from."""
    manager = next((u for u in people if u.username == "casemanager"), None)
    if manager is None:
        return set()
    team = manager.profile.team_id
    colleague = min(
        (u for u in people if u.profile.team_id == team and u.pk != manager.pk),
        key=lambda u: u.username,
        default=None,
    )
    return {manager.pk} | ({colleague.pk} if colleague is not None else set())


def _add(org: Organization) -> Made | None:
    people = _case_managers(org)
    left_out = _left_out(org, people)
    shown = {login.username for login in demo_logins(org)}
    delegate = next(
        (
            u
            for u in people
            if u.username in shown
            and u.pk not in left_out
            and u.profile.experience_level == ExperienceLevel.PROFICIENT
        ),
        None,
    )
    if delegate is None or delegate.profile.team is None:
        return None
    team = delegate.profile.team
    absent = next(
        (u for u in people if u.profile.team_id == team.pk and u.pk not in left_out | {delegate.pk}), None
    )
    if absent is None:
        return None
    chief = team.supervisor or User.objects.filter(organization=org, role=Role.ADMIN).order_by("pk").first()
    assert chief is not None
    today = clock.today()
    until = today + dt.timedelta(days=4)
    do_record_cover(
        chief,
        absent=absent,
        delegate=delegate,
        start_date=today - dt.timedelta(days=1),
        end_date=until,
        note="Back on Monday. Her heart-failure patients weigh in daily: check their readings first.",
    )
    moved = _reassign(org, people, left_out | {absent.pk, delegate.pk})
    if moved is None:
        return Made(absent.get_full_name(), delegate.username, until, 0, "", "")
    return Made(absent.get_full_name(), delegate.username, until, *moved)


def _reassign(org: Organization, people: list[User], left_out: set[int]) -> tuple[int, str, str] | None:
    """Three long-standing tier 1–2 cases of a competent case manager go to the best-ranked colleague the other
    scenarios leave alone, backdated as if moved five days ago."""
    cutoff = clock.now() - dt.timedelta(days=30)
    for source in people:
        if source.pk in left_out or source.profile.experience_level != ExperienceLevel.COMPETENT:
            continue
        cases = list(
            Case.objects.open()
            .filter(primary_case_manager=source, acuity_tier__lte=2, referred_at__lt=cutoff)
            .select_related("patient", "team__supervisor")
            .order_by("referred_at", "pk")[:MOVED]
        )
        if len(cases) < MOVED:
            continue
        ranked = reassignment_candidates(cases)
        position, choice = next(
            (
                (i, r)
                for i, r in enumerate(ranked, 1)
                if r.eligible
                and r.candidate.staff_id not in left_out
                and User.objects.get(pk=r.candidate.staff_id).role == Role.CASE_MANAGER
            ),
            (0, None),
        )
        if choice is None:
            continue
        chief = cases[0].team.supervisor or User.objects.filter(organization=org, role=Role.ADMIN).first()
        assert chief is not None
        target = User.objects.get(pk=choice.candidate.staff_id)
        do_reassign_cases(
            chief,
            cases,
            target,
            reason=REASON,
            override_reason="" if position == 1 else "Keeps the patients on their own team",
        )
        _backdate(target, [c.pk for c in cases])
        return len(cases), source.get_full_name(), target.get_full_name()
    return None


def _backdate(target: User, case_ids: list[int]) -> None:
    """The demo's past: the assignments, the tasks' hand-overs and the notice as if made five days ago (bulk
    rewrites of demo rows, as the generator does; the audit trail keeps the time it was built)."""
    when = clock.now() - dt.timedelta(days=REASSIGNED_DAYS_AGO)
    CaseAssignment.objects.filter(case_id__in=case_ids, case_manager=target, reason=REASON).update(
        assigned_at=when
    )
    TaskReassignment.objects.filter(to_owner=target, reason=REASON).update(at=when)
    Notification.objects.filter(user=target, kind=NotificationKind.HANDOVER).update(created_at=when)
