"""Who decides an approval (accounts.rules.may_decide_approval), as a table: one rule for care plan versions and
closing a case."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.accounts.choices import Role
from careconductor.accounts.rules import may_decide_approval

ME, BOSS, OTHER = 1, 2, 3

# (role, team's supervisor, who asked) -> may I (user ME) decide?
TABLE = [
    (Role.SUPERVISOR, ME, OTHER, True),  # the supervisor of the case's team
    (Role.SUPERVISOR, ME, None, True),  # ... acting without asking anyone
    (Role.SUPERVISOR, ME, ME, False),  # never one's own request
    (Role.SUPERVISOR, BOSS, OTHER, False),  # another team's supervisor
    (Role.SUPERVISOR, None, OTHER, False),  # a case without a team supervisor
    (Role.ADMIN, BOSS, OTHER, True),  # an administrator, whatever the team
    (Role.ADMIN, None, None, True),
    (Role.ADMIN, BOSS, ME, False),  # not even an administrator approves their own request
    (Role.CASE_MANAGER, ME, OTHER, False),  # named supervisor by mistake: the role decides
    (Role.CASE_MANAGER, BOSS, OTHER, False),
    (Role.CARE_TEAM, ME, OTHER, False),
    (Role.MEDICAL_DIRECTOR, BOSS, OTHER, False),
    (Role.PATIENT, ME, OTHER, False),
]


@pytest.mark.parametrize(("role", "supervisor", "asked_by", "may"), TABLE)
def test_who_decides_an_approval(role: Role, supervisor: int | None, asked_by: int | None, may: bool) -> None:
    assert may_decide_approval(role, ME, team_supervisor_id=supervisor, requested_by_id=asked_by) is may


@given(role=st.sampled_from(list(Role)), supervisor=st.one_of(st.none(), st.integers(1, 4)))
def test_nobody_decides_their_own_request(role: Role, supervisor: int | None) -> None:
    assert not may_decide_approval(role, ME, team_supervisor_id=supervisor, requested_by_id=ME)
