"""The referral's pure rules (issue 20): the status table (draft → sent → received → accepted / declined →
scheduled → completed / no-show / cancelled), walked with hypothesis; who may make each move; consent before
sharing with an organisation that is not a HIPAA covered entity (clinical.md §10.1 step 4, §9.3 minimum
necessary); the business-day clock of an answer; the FHIR statuses (clinical.md §10 Task and ServiceRequest)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careconductor.referrals import rules
from careconductor.referrals.choices import ReferralStatus as S
from careconductor.referrals.rules import Side

R, P = Side.REFERRER, Side.RECEIVER


@pytest.mark.parametrize(
    ("current", "to", "side", "allowed"),
    [
        (S.DRAFT, S.SENT, R, True),
        (S.DRAFT, S.SENT, P, False),  # only the referring side sends
        (S.DRAFT, S.ACCEPTED, P, False),  # nobody answers a draft: it was never sent
        (S.SENT, S.RECEIVED, P, True),
        (S.SENT, S.ACCEPTED, P, True),  # accepting says it was received too
        (S.SENT, S.DECLINED, P, True),
        (S.SENT, S.CANCELLED, R, True),
        (S.SENT, S.CANCELLED, P, False),  # before accepting, the organisation declines rather than cancels
        (S.RECEIVED, S.ACCEPTED, P, True),
        (S.RECEIVED, S.SCHEDULED, P, False),  # accept first
        (S.ACCEPTED, S.SCHEDULED, P, True),
        (S.ACCEPTED, S.COMPLETED, P, True),  # a food box needs no appointment
        (S.SCHEDULED, S.SCHEDULED, P, True),  # a visit moved
        (S.SCHEDULED, S.NO_SHOW, P, True),
        (S.NO_SHOW, S.SCHEDULED, R, True),  # booked again after a missed visit
        (S.DECLINED, S.ACCEPTED, P, False),  # terminal
        (S.COMPLETED, S.CANCELLED, R, False),
        (S.CANCELLED, S.SENT, R, False),
    ],
)
def test_transition_table(current: S, to: S, side: Side, allowed: bool) -> None:
    assert rules.may_move(current, to, side) is allowed


def test_terminal_statuses_go_nowhere() -> None:
    for status in rules.TERMINAL:
        assert rules.next_statuses(status, R) == [] and rules.next_statuses(status, P) == []


@settings(deadline=None)  # a loaded machine must not fail a pure walk on time
@given(st.lists(st.tuples(st.sampled_from(list(S)), st.sampled_from(list(Side))), max_size=40))
def test_a_walk_of_the_table_never_leaves_it(steps: list[tuple[S, Side]]) -> None:
    """Whatever anyone tries, a referral only ever moves along the table: it starts as a draft, is sent before
    anything else happens, and once declined, completed or cancelled stays so."""
    status = S.DRAFT
    seen = [status]
    for to, side in steps:
        if rules.may_move(status, to, side):
            assert to in rules.next_statuses(status, side)
            status = to
            seen.append(status)
        else:
            assert to not in rules.next_statuses(status, side)
    if len(seen) > 1:
        assert seen[1] in (S.SENT, S.CANCELLED)
    for i, s in enumerate(seen):
        if s in rules.TERMINAL:
            assert i == len(seen) - 1
    # The receiving side can never send or un-send.
    assert all(not rules.may_move(s, S.SENT, P) for s in S)


def test_every_status_has_a_fhir_task_and_service_request_status() -> None:
    task_codes = {
        "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error",
    }  # fmt: skip
    request_codes = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    for status in S:
        assert rules.TASK_STATUS[status][0] in task_codes
        assert rules.SERVICE_REQUEST_STATUS[status] in request_codes
    # What a partner's system sets comes back to the same status.
    for code, status in rules.FROM_TASK_STATUS.items():
        assert rules.TASK_STATUS[status][0] == code


@pytest.mark.parametrize(("covered", "needs"), [(True, False), (False, True)])
def test_consent_before_sharing_with_a_community_organisation(covered: bool, needs: bool) -> None:
    assert rules.needs_sharing_consent(covered) is needs


TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("recipient", "active", "given", "expires", "covers"),
    [
        ("Harbor Food Pantry", True, TODAY, None, True),
        ("  harbor   food pantry ", True, TODAY, None, True),  # case and spacing aside
        ("Harbor Food Bank", True, TODAY, None, False),  # another organisation
        ("Harbor Food Pantry", False, TODAY, None, False),  # revoked
        ("Harbor Food Pantry", True, TODAY + dt.timedelta(days=1), None, False),  # not given yet
        ("Harbor Food Pantry", True, TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=1), False),
        ("Harbor Food Pantry", True, TODAY - dt.timedelta(days=30), TODAY, True),  # last day
    ],
)
def test_which_consent_covers_a_referral(
    recipient: str, active: bool, given: dt.date, expires: dt.date | None, covers: bool
) -> None:
    assert (
        rules.consent_covers(
            consent_recipient=recipient,
            consent_active=active,
            given_on=given,
            expires_on=expires,
            recipient="Harbor Food Pantry",
            today=TODAY,
        )
        is covers
    )


@pytest.mark.parametrize(
    ("shared", "seen"),
    [
        ([], ["name", "need"]),
        (["reason", "contact"], ["name", "need", "contact", "reason"]),
        (["attachments", "birth_date"], ["name", "need", "birth_date", "attachments"]),
    ],
)
def test_the_organisation_sees_the_minimum_necessary(shared: list[str], seen: list[str]) -> None:
    assert rules.shared_fields(shared) == seen


# 2026-03-10 is a Tuesday; 3 business days later is Friday the 13th; with Thursday a holiday, Monday the 16th.
@pytest.mark.parametrize(
    ("status", "today", "holidays", "late"),
    [
        (S.SENT, dt.date(2026, 3, 13), set(), False),  # the last day to answer
        (S.SENT, dt.date(2026, 3, 14), set(), True),
        (S.RECEIVED, dt.date(2026, 3, 16), set(), True),  # received but not answered
        (S.SENT, dt.date(2026, 3, 16), {dt.date(2026, 3, 12)}, False),  # the holiday moves the day
        (S.ACCEPTED, dt.date(2026, 4, 30), set(), False),  # answered
        (S.DRAFT, dt.date(2026, 4, 30), set(), False),
    ],
)
def test_an_unanswered_referral_becomes_work_after_the_business_days(
    status: S, today: dt.date, holidays: set[dt.date], late: bool
) -> None:
    assert rules.unanswered(status, TODAY, today, 3, holidays) is late
