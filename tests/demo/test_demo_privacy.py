"""The demo shows the privacy features: an emergency access for the privacy officer to review, disclosures to
account for, and Part 2 records (a note, a call and its follow-up) the pharmacist sees by consent while psychotherapy notes stay hidden."""

from __future__ import annotations

import pytest

from careconductor.accounts.models import User
from careconductor.coordination.models import Contact, Task
from careconductor.coordination.queries import my_open_tasks
from careconductor.demo.generator import ORGANIZATION_NAME
from careconductor.patients.models import Note
from careconductor.privacy import chain, policy
from careconductor.privacy.models import Disclosure, EmergencyAccess

pytestmark = pytest.mark.django_db


def test_the_demo_carries_privacy_scenarios_made_through_the_actions(demo: str) -> None:
    grant = EmergencyAccess.objects.get()
    assert grant.reviewed_at is None and grant.patient.organization.name == ORGANIZATION_NAME
    # The privacy scenarios' two; the letters record their own (demo/letters.py).
    assert Disclosure.objects.filter(letter__isnull=True).count() == 2
    part2 = Note.objects.get(sensitivity="part2").patient
    pharmacist = User.objects.get(role="care_team", profile__discipline="pharmacist")
    assert policy.allowed_sensitivities(pharmacist, part2, on_emergency=False) == {"", "part2"}
    assert policy.can(pharmacist, "view", part2)
    assert chain.verify().ok


def test_the_demo_has_a_part2_call_whose_follow_up_only_the_part2_readers_see(demo: str) -> None:
    call = Contact.objects.get(sensitivity="part2")
    follow_up = Task.objects.get(sensitivity="part2")
    assert follow_up.patient_id == call.patient_id and follow_up.owner_id == call.staff_id
    manager = User.objects.get(username="casemanager")
    colleague = (
        User.objects.filter(role="case_manager")
        .exclude(pk=manager.pk)
        .exclude(profile__team=manager.profile.team)
        .first()
    )
    assert colleague is not None
    # The case manager sees both on her worklist and the contact log; a case manager elsewhere does not.
    assert policy.may_read_label(manager, call.patient, "part2")
    assert not policy.may_read_label(colleague, call.patient, "part2")
    assert follow_up in my_open_tasks(manager)


def test_the_demo_asks_no_second_factor_so_a_newcomer_gets_straight_in(demo: str) -> None:
    assert not User.objects.get(username="casemanager").mfa_required
