"""Education actions: assigning in the patient's language, recording deliveries with teach-back, the gentle
print prompt as a refusal staff can go past, withdrawing, the patient opening a material; every change
audited, every refusal changing nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.education import actions
from careconductor.education.choices import AssignmentStatus, TeachBackResult
from careconductor.education.models import Assignment, Delivery
from careconductor.patients.actions import do_link_portal_user
from careconductor.patients.models import Patient
from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, World
from .conftest import set_learning

pytestmark = pytest.mark.django_db


def _state() -> tuple:
    return (
        sorted(Assignment.objects.values_list("pk", "status", "version", "opened_at")),
        sorted(Delivery.objects.values_list("pk", "teach_back")),
        AuditEvent.objects.exclude(action__in=["read", "refused"]).count(),
    )


def test_a_material_is_assigned_in_the_patients_language_and_audited(
    world: World, assignment: Assignment
) -> None:
    assert assignment.language == "es" and not assignment.language_fallback
    assert assignment.title == "Pésese todos los días"
    assert assignment.format == "print" and assignment.topic == "heart-failure"
    assert assignment.status == AssignmentStatus.ASSIGNED
    assert assignment.assigned_by == world.alice
    assert AuditEvent.objects.filter(
        user=world.alice, action="create", patient=world.paula, object_type="Assignment",
        object_id=str(assignment.pk), detail="heart-failure-daily-weights",
    ).exists()  # fmt: skip


def test_staff_may_choose_english_which_is_marked_as_a_fall_back(world: World) -> None:
    assignment = actions.do_assign_material(
        world.alice, world.paula, slug="medications-dose-list", language="en"
    )
    assert assignment.language == "en" and assignment.language_fallback
    assert assignment.title == "Your medicine list: keep it with you"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"slug": "no-such-material"}, "material"),
        ({"slug": "medications-dose-list", "language": "vi"}, "language"),
        ({"slug": "medications-dose-list", "due": dt.date(2000, 1, 1)}, "due"),
    ],
)
def test_a_bad_assignment_is_refused_beside_its_field_and_changes_nothing(
    world: World, kwargs, field
) -> None:
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_assign_material(world.alice, world.paula, **kwargs)
    assert field in refused.value.errors
    assert _state() == before


def test_the_same_material_is_not_waiting_twice(world: World, assignment: Assignment) -> None:
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_assign_material(world.alice, world.paula, slug="heart-failure-daily-weights")
    assert "already assigned" in refused.value.errors["material"]
    assert _state() == before


@pytest.mark.parametrize("persona", ["bob", "charlie", "uma"])
def test_people_without_a_relationship_cannot_assign(world: World, persona: str) -> None:
    before = _state()
    with pytest.raises(NotVisible):
        actions.do_assign_material(getattr(world, persona), world.paula, slug="medications-dose-list")
    assert _state() == before


def test_a_read_only_care_team_member_cannot_assign_or_record(world: World, assignment: Assignment) -> None:
    before = _state()
    with pytest.raises(ActionRefused, match="may look"):
        actions.do_assign_material(world.dana, world.paula, slug="medications-dose-list")
    with pytest.raises(ActionRefused, match="may look"):
        actions.do_record_delivery(world.dana, assignment, format_used="teach-back", teach_back="confirmed")
    assert _state() == before


def test_a_delivery_with_teach_back_is_recorded_and_audited(world: World, assignment: Assignment) -> None:
    delivery = actions.do_record_delivery(
        world.alice, assignment, format_used="teach-back", teach_back=TeachBackResult.CONFIRMED,
        note="Daughter present; weighed together on her scale.",
    )  # fmt: skip
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DELIVERED
    assert delivery.delivered_at <= clock.now()
    assert not delivery.print_prompt_acknowledged
    assert AuditEvent.objects.filter(
        user=world.alice, action="create", object_type="Delivery", object_id=str(delivery.pk),
        detail="teach-back; confirmed",
    ).exists()  # fmt: skip
    again = actions.do_record_delivery(
        world.alice, assignment, format_used="video", teach_back="not-confirmed"
    )
    assert assignment.deliveries.count() == 2 and again.teach_back == "not-confirmed"


def test_print_alone_to_a_video_learner_raises_the_gentle_prompt_first(
    world: World, assignment: Assignment
) -> None:
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_record_delivery(world.alice, assignment, format_used="print", teach_back="not-done")
    prompt = refused.value.errors["acknowledge_print_prompt"]
    assert prompt.startswith("Paula prefers to learn by video and by someone showing them.")
    assert _state() == before
    delivery = actions.do_record_delivery(
        world.alice, assignment, format_used="print", teach_back="not-done", acknowledge_print_prompt=True
    )
    assert delivery.print_prompt_acknowledged


def test_print_with_teach_back_or_to_a_reader_needs_no_prompt(world: World, assignment: Assignment) -> None:
    with_teach_back = actions.do_record_delivery(
        world.alice, assignment, format_used="print", teach_back="confirmed"
    )
    assert not with_teach_back.print_prompt_acknowledged
    set_learning(world.alice, world.paula, ["print"])
    assignment.patient.refresh_from_db()
    reader = actions.do_record_delivery(world.alice, assignment, format_used="print", teach_back="not-done")
    assert not reader.print_prompt_acknowledged


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"format_used": "fax", "teach_back": "confirmed"}, "format_used"),
        ({"format_used": "print", "teach_back": "maybe"}, "teach_back"),
        ({"format_used": "print", "teach_back": "confirmed", "note": "x" * 2001}, "note"),
        (
            {
                "format_used": "print",
                "teach_back": "confirmed",
                "delivered_at": clock.now() + dt.timedelta(hours=2),
            },
            "delivered_at",
        ),
    ],
)
def test_a_bad_delivery_is_refused_beside_its_field(
    world: World, assignment: Assignment, kwargs, field
) -> None:
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_record_delivery(world.alice, assignment, **kwargs)
    assert field in refused.value.errors
    assert _state() == before


def test_a_withdrawn_material_is_kept_but_cannot_be_delivered(world: World, assignment: Assignment) -> None:
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_withdraw_assignment(world.alice, assignment, reason=" ")
    assert "reason" in refused.value.errors
    assert _state() == before
    withdrawn = actions.do_withdraw_assignment(
        world.alice, assignment, reason="She has the clinic's own sheet"
    )
    assert withdrawn.status == AssignmentStatus.WITHDRAWN and withdrawn.withdrawn_at is not None
    before = _state()
    with pytest.raises(ActionRefused, match="withdrawn"):
        actions.do_record_delivery(world.alice, withdrawn, format_used="teach-back", teach_back="confirmed")
    with pytest.raises(ActionRefused, match="already withdrawn"):
        actions.do_withdraw_assignment(world.alice, withdrawn, reason="again")
    assert _state() == before
    # once withdrawn it can be assigned again
    actions.do_assign_material(world.alice, world.paula, slug="heart-failure-daily-weights")


def _portal_login(world: World, patient: Patient):  # type: ignore[no-untyped-def]
    login = do_create_user("paula.reyes", Role.PATIENT, world.riverside, PASSWORD)
    do_link_portal_user(world.adam, patient, login)
    patient.refresh_from_db()
    return login


def test_the_patient_opening_a_material_is_kept_once_and_audited_each_time(
    world: World, assignment: Assignment
) -> None:
    login = _portal_login(world, world.paula)
    assignment.refresh_from_db()
    actions.do_mark_opened(login, assignment)
    first = assignment.opened_at
    assert first is not None
    actions.do_mark_opened(login, assignment)
    assignment.refresh_from_db()
    assert assignment.opened_at == first
    assert AuditEvent.objects.filter(user=login, action="update", detail="opened").count() == 2


def test_another_patient_cannot_mark_it_opened(world: World, assignment: Assignment) -> None:
    stranger = do_create_user("pat", Role.PATIENT, world.riverside, PASSWORD)
    before = _state()
    with pytest.raises(NotVisible):
        actions.do_mark_opened(stranger, assignment)
    assert _state() == before
