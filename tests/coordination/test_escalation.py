"""Escalation by priority (issue 17 §5): an urgent or as-soon-as-possible task goes to the supervisor within
hours, a routine one after a day; each delay is a setting (CARECONDUCTOR_ESCALATION_HOURS_<PRIORITY>)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import timezone

from careconductor.coordination.actions import do_create_task
from careconductor.coordination.choices import NotificationKind, TaskPriority
from careconductor.coordination.escalation import do_escalate_overdue_tasks, escalation_delays
from careconductor.coordination.models import Notification, Task
from tests.personas import World

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 3, 1)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(MONDAY, dt.time(hour, minute)))


# Module scope: the shared world is built on this morning too.
@pytest.fixture(autouse=True, scope="module")
def _frozen() -> Iterator[None]:
    with time_machine.travel(at(8), tick=False):
        yield


def make(world: World, priority: TaskPriority, due: dt.datetime) -> Task:
    return do_create_task(
        world.alice,
        world.paula,
        owner=world.alice,
        title=f"A {priority.label.lower()} task",
        due_at=due,
        priority=priority,
    )


def escalated(*tasks: Task) -> list[bool]:
    return [Task.objects.get(pk=t.pk).escalated_to_id is not None for t in tasks]


def test_urgent_tasks_escalate_in_hours_by_priority_and_routine_after_a_day(world: World) -> None:
    due = at(9)
    stat, asap, urgent, routine = (
        make(world, p, due)
        for p in (TaskPriority.STAT, TaskPriority.ASAP, TaskPriority.URGENT, TaskPriority.ROUTINE)
    )
    # Defaults: immediately and as soon as possible 1 h, urgent 2 h, routine 24 h.
    assert escalation_delays() == {"stat": 1, "asap": 1, "urgent": 2, "routine": 24}
    with time_machine.travel(at(9, 59), tick=False):
        assert do_escalate_overdue_tasks() == 0
    with time_machine.travel(at(10), tick=False):
        assert do_escalate_overdue_tasks() == 2
        assert escalated(stat, asap, urgent, routine) == [True, True, False, False]
    with time_machine.travel(at(11), tick=False):
        assert do_escalate_overdue_tasks() == 1
        assert escalated(urgent, routine) == [True, False]
        assert "overdue by 2 h" in Task.objects.get(pk=urgent.pk).note
    with time_machine.travel(due + dt.timedelta(hours=24), tick=False):
        assert do_escalate_overdue_tasks() == 1
        assert escalated(routine) == [True]
    assert Notification.objects.filter(user=world.sam, kind=NotificationKind.TASK_ESCALATED).count() == 4


def test_each_priority_has_its_own_setting(world: World, settings) -> None:
    settings.TASK_ESCALATION_HOURS_URGENT = 4
    settings.TASK_ESCALATION_HOURS = 3  # the routine delay (CARECONDUCTOR_ESCALATION_HOURS, as before)
    urgent = make(world, TaskPriority.URGENT, at(9))
    routine = make(world, TaskPriority.ROUTINE, at(9))
    # An urgent task never waits longer than a routine one: its 4 h are cut to the routine 3 h.
    with time_machine.travel(at(11, 59), tick=False):
        assert do_escalate_overdue_tasks() == 0
    with time_machine.travel(at(12), tick=False):
        assert do_escalate_overdue_tasks() == 2
    assert escalated(urgent, routine) == [True, True]
