"""The demo shows caseload work (issue 17 §4): a case manager on leave this week covered by a colleague whose
worklist has the covered group, and a bulk reassignment five days ago with its reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careconductor.accounts.models import User
from careconductor.cases.models import CaseAssignment, Cover
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.demo.caseloads import REASON
from careconductor.privacy import chain, policy

pytestmark = pytest.mark.django_db


def test_a_colleague_covers_someone_on_leave_this_week(demo: str) -> None:
    [cover] = Cover.objects.in_force(clock.today()).select_related("absent", "delegate")
    assert cover.delegate.username in demo and f"covered by {cover.delegate.username}" in demo
    assert cover.start_date < clock.today() < cover.end_date
    worklist = build_worklist(cover.delegate)
    _own, covering = worklist.split_covering(worklist.items)
    [(label, items)] = [(c.label, items) for c, items in covering]
    assert label.startswith(f"Covering for {cover.absent.get_full_name()} until ") and items
    patient = worklist.patients[items[0].patient_id]
    assert policy.can(cover.delegate, policy.Action.VIEW, patient)
    assert chain.verify().ok


def test_the_delegate_logs_in_and_sees_the_covered_group(demo: str, client) -> None:  # type: ignore[no-untyped-def]
    from careconductor.demo.generator import PASSWORD

    cover = Cover.objects.select_related("absent", "delegate").get()
    assert (
        client.post(reverse("login"), {"username": cover.delegate.username, "password": PASSWORD}).status_code
        == 302
    )
    body = client.get(reverse("coordination:worklist")).content.decode()
    assert f"Covering for {cover.absent.get_full_name()} until" in body


def test_three_cases_were_reassigned_five_days_ago_with_the_reason(demo: str) -> None:
    rows = list(CaseAssignment.objects.filter(reason=REASON))
    assert len(rows) == 3 and len({r.case_manager_id for r in rows}) == 1
    assert all(clock.now() - r.assigned_at > dt.timedelta(days=4) for r in rows)
    assert all(r.case.primary_case_manager_id == r.case_manager_id for r in rows)
    assert "3 cases moved from " in demo
    casemanager = User.objects.get(username="casemanager")
    assert not Cover.objects.filter(delegate=casemanager).exists()
    assert rows[0].case_manager_id != casemanager.pk
