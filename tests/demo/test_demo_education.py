"""The demo's education scenarios are made through the real actions on the demo case manager's caseload."""

from __future__ import annotations

import pytest

from careconductor.accounts.models import Organization
from careconductor.demo.education import add_education_scenarios
from careconductor.demo.generator import ORGANIZATION_NAME
from careconductor.education.models import Assignment, Delivery
from careconductor.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_demo_assigns_and_delivers_believable_education_with_one_print_prompt_case(demo: str) -> None:
    # The demo command adds the education scenarios.
    org = Organization.objects.get(name=ORGANIZATION_NAME)
    assert Assignment.objects.count() >= 4
    assert add_education_scenarios(org) == 0  # made once
    prompted = Delivery.objects.get(print_prompt_acknowledged=True)
    assert prompted.format_used == "print" and "print" not in prompted.patient.learning_preferences
    assert Delivery.objects.filter(teach_back="confirmed").exists()
    assert Delivery.objects.filter(teach_back="not-confirmed").exists()
    assert (
        AuditEvent.objects.filter(object_type="Delivery", action="create").count() == Delivery.objects.count()
    )
    # Spanish speakers got the Spanish text
    for a in Assignment.objects.select_related("patient"):
        assert a.language == ("es" if a.patient.preferred_language == "es" else "en")


def test_no_demo_case_manager_means_nothing_to_add() -> None:
    assert add_education_scenarios(Organization.objects.create(name="Empty")) == 0


def test_a_second_run_adds_nothing(demo: str) -> None:
    org = Organization.objects.get(name=ORGANIZATION_NAME)
    add_education_scenarios(org)
    before = Assignment.objects.count(), Delivery.objects.count()
    assert add_education_scenarios(org) == 0
    assert (Assignment.objects.count(), Delivery.objects.count()) == before
