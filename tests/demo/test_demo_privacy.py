"""The demo shows the privacy features: an emergency access for the privacy officer to review, disclosures to
account for, and Part 2 records the pharmacist sees by consent while psychotherapy notes stay hidden."""

from __future__ import annotations

import pytest

from careconductor.accounts.models import User
from careconductor.demo.generator import ORGANIZATION_NAME
from careconductor.patients.models import Note
from careconductor.privacy import chain, policy
from careconductor.privacy.models import Disclosure, EmergencyAccess

pytestmark = pytest.mark.django_db


def test_the_demo_carries_privacy_scenarios_made_through_the_actions(demo: str) -> None:
    grant = EmergencyAccess.objects.get()
    assert grant.reviewed_at is None and grant.patient.organization.name == ORGANIZATION_NAME
    assert Disclosure.objects.count() == 2
    part2 = Note.objects.get(sensitivity="part2").patient
    pharmacist = User.objects.get(role="care_team", profile__discipline="pharmacist")
    assert policy.allowed_sensitivities(pharmacist, part2, on_emergency=False) == {"", "part2"}
    assert policy.can(pharmacist, "view", part2)
    assert chain.verify().ok


def test_the_demo_asks_no_second_factor_so_a_newcomer_gets_straight_in(demo: str) -> None:
    assert not User.objects.get(username="casemanager").mfa_required
