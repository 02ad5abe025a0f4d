"""Break-the-glass: time-limited, reasoned, marked in the audit trail, reviewed by the privacy officer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from careconductor.core.errors import ActionRefused
from careconductor.privacy import policy
from careconductor.privacy.actions import do_break_glass, do_review_emergency_access
from careconductor.privacy.choices import EMERGENCY_PURPOSE, EmergencyReason, ReviewOutcome
from careconductor.privacy.models import AuditEvent, EmergencyAccess

from ..personas import World

pytestmark = pytest.mark.django_db
WHY = "Paula called the after-hours line, short of breath; Alice is off."


def _break(world: World, user=None) -> EmergencyAccess:  # type: ignore[no-untyped-def]
    return do_break_glass(
        user or world.bob, world.paula, reason=EmergencyReason.PATIENT_CALLED, explanation=WHY
    )


def test_emergency_access_opens_the_record_for_four_hours_only(world: World, settings) -> None:
    assert settings.BREAK_GLASS_MINUTES == 240
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        grant = _break(world)
        assert grant.expires_at - grant.started_at == dt.timedelta(hours=4)
        assert policy.can(world.bob, "view", world.paula)
    with time_machine.travel(start + dt.timedelta(hours=3, minutes=59), tick=False):
        assert policy.can(world.bob, "view", world.paula)
    with time_machine.travel(start + dt.timedelta(hours=4, seconds=1), tick=False):
        assert not policy.can(world.bob, "view", world.paula)


def test_the_duration_is_configurable(world: World, settings) -> None:
    settings.BREAK_GLASS_MINUTES = 30
    grant = _break(world)
    assert grant.expires_at - grant.started_at == dt.timedelta(minutes=30)


def test_it_needs_a_reason_and_an_explanation_and_writes_nothing_without(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_break_glass(world.bob, world.paula, reason=EmergencyReason.OTHER, explanation="because")
    assert "explanation" in refused.value.errors
    assert not EmergencyAccess.objects.exists()
    assert not policy.can(world.bob, "view", world.paula)


@pytest.mark.parametrize("persona", ["uma", "pia", "charlie"])
def test_roles_without_clinical_need_and_other_organisations_cannot_break_the_glass(
    world: World, persona: str
) -> None:
    with pytest.raises(ActionRefused):
        _break(world, getattr(world, persona))
    assert not EmergencyAccess.objects.exists()


def test_a_system_account_never_breaks_the_glass_and_its_events_cost_no_lookup(
    world: World, django_assert_num_queries
) -> None:
    # An ADT feed's account: no person behind it to give a reason (its role is an administrator's).
    from careconductor.transitions.actions import do_create_feed

    feed = do_create_feed(world.adam, name="St Mary's", sending_facility="STMARYS")
    assert not policy.may_use_emergency_access(feed.account)
    with django_assert_num_queries(0):
        assert policy.emergency_patient_ids(feed.account, [world.paula.pk]) == set()


def test_the_medical_director_may_break_the_glass(world: World) -> None:
    _break(world, world.mo)
    assert policy.can(world.mo, "view", world.paula)


def test_someone_who_already_has_access_does_not_break_the_glass(world: World) -> None:
    with pytest.raises(ActionRefused, match="already have access"):
        _break(world, world.alice)


def test_every_read_during_emergency_access_is_marked_in_the_audit_trail(world: World, login) -> None:
    _break(world)
    client = login(world.bob)
    assert client.get(reverse("patients:chart", args=[world.paula.pk])).status_code == 200
    reads = AuditEvent.objects.filter(user=world.bob, patient=world.paula, action="read")
    assert reads.exists()
    assert all(e.purpose == EMERGENCY_PURPOSE and e.detail.startswith("break-the-glass") for e in reads)
    # Alice's ordinary reads are not marked.
    login(world.alice).get(reverse("patients:chart", args=[world.paula.pk]))
    assert not AuditEvent.objects.filter(user=world.alice, purpose=EMERGENCY_PURPOSE).exists()


def test_the_chart_says_access_is_an_emergency_and_until_when(world: World, login) -> None:
    _break(world)
    body = login(world.bob).get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    assert "Emergency access until" in body


def test_the_privacy_officer_reviews_each_use_and_an_inappropriate_one_ends_at_once(world: World) -> None:
    grant = _break(world)
    with pytest.raises(ActionRefused):
        do_review_emergency_access(world.sam, grant, outcome=ReviewOutcome.APPROPRIATE)
    with pytest.raises(ActionRefused) as refused:
        do_review_emergency_access(world.pia, grant, outcome=ReviewOutcome.INAPPROPRIATE)
    assert "note" in refused.value.errors
    do_review_emergency_access(world.pia, grant, outcome=ReviewOutcome.INAPPROPRIATE, note="Spoke with Bob.")
    grant.refresh_from_db()
    assert grant.reviewed_by == world.pia and grant.review_outcome == "inappropriate"
    assert not policy.can(world.bob, "view", world.paula)
    with pytest.raises(ActionRefused, match="reviewed already"):
        do_review_emergency_access(world.pia, grant, outcome=ReviewOutcome.APPROPRIATE)


def test_emergency_search_finds_exact_matches_only(world: World, login) -> None:
    client = login(world.bob)
    url = reverse("patients:emergency_access")
    found = "Paula Reyes, born 1956-03-14"
    assert found in client.get(url, {"mrn": world.paula.mrn}).content.decode()
    assert (
        "Paula Reyes" in client.get(url, {"name": "paula reyes", "birth_date": "1956-03-14"}).content.decode()
    )
    for partial in ({"name": "Paula", "birth_date": "1956-03-14"}, {"name": "Paula Reyes"}, {"mrn": "0000"}):
        assert found not in client.get(url, partial).content.decode(), partial


def test_breaking_the_glass_in_the_ui_opens_the_chart(world: World, login) -> None:
    client = login(world.bob)
    response = client.post(
        reverse("patients:emergency_access"),
        {"patient_id": world.paula.pk, "reason": "patient_called", "explanation": WHY, "acknowledge": "on"},
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "patients:chart", args=[world.paula.pk]
    )
    refused = client.post(
        reverse("patients:emergency_access"), {"patient_id": world.paula.pk, "reason": "", "explanation": ""}
    )
    assert refused.status_code == 200 and EmergencyAccess.objects.count() == 1
