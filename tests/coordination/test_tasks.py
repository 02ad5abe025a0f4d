"""Tasks and flags: the one transition table (FHIR Task, clinical.md §10) and the actions that use it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.coordination import rules
from careconductor.coordination.actions import (
    do_acknowledge_flag,
    do_create_task,
    do_move_task,
    do_raise_flag,
)
from careconductor.coordination.choices import FlagStatus, TaskPriority, TaskStatus
from careconductor.coordination.queries import my_open_tasks
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible

from ..personas import World

S = TaskStatus


def test_terminal_states_lead_nowhere_but_entered_in_error() -> None:
    for status in rules.TERMINAL - {S.ENTERED_IN_ERROR}:
        assert rules.allowed_targets(status) == {S.ENTERED_IN_ERROR}
    assert rules.allowed_targets(S.ENTERED_IN_ERROR) == frozenset()


def test_the_fhir_task_flow() -> None:
    assert rules.can_move(S.REQUESTED, S.ACCEPTED) and rules.can_move(S.ACCEPTED, S.IN_PROGRESS)
    assert rules.can_move(S.IN_PROGRESS, S.ON_HOLD) and rules.can_move(S.ON_HOLD, S.IN_PROGRESS)
    assert rules.can_move(S.IN_PROGRESS, S.COMPLETED) and not rules.can_move(S.COMPLETED, S.IN_PROGRESS)
    assert not rules.can_move(S.DRAFT, S.COMPLETED)


@given(st.lists(st.sampled_from(list(S)), max_size=30))
def test_any_walk_through_the_table_never_leaves_a_finished_task(moves: list[TaskStatus]) -> None:
    status = S.REQUESTED
    finished = False
    for target in moves:
        if rules.can_move(status, target):
            assert not finished or target == S.ENTERED_IN_ERROR
            status = target
            finished = status in rules.TERMINAL
    assert (status in rules.OPEN) != (status in rules.TERMINAL)


@pytest.fixture
def task(world: World):  # type: ignore[no-untyped-def]
    return do_create_task(
        world.alice,
        world.paula,
        owner=world.alice,
        title="Call Paula about her new glucose meter",
        due_at=clock.now() + dt.timedelta(days=1),
        priority=TaskPriority.URGENT,
    )


@pytest.mark.django_db
def test_a_task_moves_only_along_the_table(world: World, task) -> None:  # type: ignore[no-untyped-def]
    do_move_task(world.alice, task, S.COMPLETED, note="Reached; meter works.")
    task.refresh_from_db()
    assert task.completed_at is not None and "Reached; meter works." in task.note
    with pytest.raises(ActionRefused):
        do_move_task(world.alice, task, S.IN_PROGRESS)


@pytest.mark.django_db
def test_strangers_cannot_see_or_move_a_task_and_tasks_go_only_to_the_patients_organisation(
    world: World,
    task,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(NotVisible):
        do_move_task(world.bob, task, S.COMPLETED)
    assert list(my_open_tasks(world.bob)) == []
    with pytest.raises(ActionRefused):
        do_create_task(world.alice, world.paula, owner=world.charlie, title="x", due_at=clock.now())


@pytest.mark.django_db
def test_my_open_tasks_are_most_urgent_first(world: World, task) -> None:  # type: ignore[no-untyped-def]
    routine = do_create_task(
        world.alice,
        world.paula,
        owner=world.alice,
        title="Routine",
        due_at=clock.now() - dt.timedelta(days=1),
    )
    assert list(my_open_tasks(world.alice)) == [task, routine]


@pytest.mark.django_db
def test_a_flag_is_raised_once_per_rule_and_acknowledged_with_a_note(world: World) -> None:
    first = do_raise_flag(world.alice, world.paula, text="Safety", rule="r")
    assert do_raise_flag(world.alice, world.paula, text="Safety again", rule="r") == first
    with pytest.raises(ActionRefused):
        do_acknowledge_flag(world.alice, first, note=" ")
    do_acknowledge_flag(world.alice, first, note="Called, safe.")
    first.refresh_from_db()
    assert first.status == FlagStatus.INACTIVE
    with pytest.raises(ActionRefused):
        do_acknowledge_flag(world.alice, first, note="again")
