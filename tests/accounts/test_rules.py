"""Who decides an approval (accounts.rules.may_decide_approval), as a table: one rule for care plan versions and
closing a case."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.accounts.choices import Role
from careconductor.accounts.rules import LockedBy, locked_by, may_decide_approval

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


# --- the lock-out (accounts.rules.locked_by): failures of a name from one address, and of the address ---------------
# (name's failures from this address, the address's failures) -> why log-in is paused, with limits 5 and 20
LOCKED_BY_TABLE = [
    (0, 0, LockedBy.NOTHING),
    (4, 4, LockedBy.NOTHING),  # one short of the name's limit
    (5, 5, LockedBy.USER_AT_ADDRESS),
    (5, 25, LockedBy.USER_AT_ADDRESS),  # both reached: the name's own pause is the one to say
    (4, 19, LockedBy.NOTHING),  # many names each below the limit, one short of the address's
    (0, 20, LockedBy.ADDRESS),  # this name never failed here, but the address reached its limit
    (3, 20, LockedBy.ADDRESS),
]


@pytest.mark.parametrize(("user_at_address", "address", "expected"), LOCKED_BY_TABLE)
def test_lock_out_by_user_name_at_an_address_or_by_address(
    user_at_address: int, address: int, expected: LockedBy
) -> None:
    assert locked_by(user_at_address, address, user_at_address_limit=5, address_limit=20) == expected


@given(st.integers(0, 100), st.integers(0, 100))
def test_only_the_two_limits_pause_log_in(user_at_address: int, address: int) -> None:
    reason = locked_by(user_at_address, address + user_at_address, user_at_address_limit=5, address_limit=20)
    assert (reason == LockedBy.NOTHING) == (user_at_address < 5 and address + user_at_address < 20)
