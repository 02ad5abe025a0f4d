"""The experience rule on held cases (issue 17 §4): a case whose tier rises past its case manager's experience,
or that a case manager takes themselves at intake, gives the team's supervisor one task to reassign it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer, do_set_acuity
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.experience import RULE
from careconductor.cases.models import Case
from careconductor.coordination.hooks import rule_label
from careconductor.coordination.models import Task
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex

from ..personas import World, make_staff

pytestmark = pytest.mark.django_db


def register(user: User, tier: int, given: str = "Nina") -> Case:
    patient = do_register_and_refer(
        user,
        PatientDetails(given_name=given, family_name="Tier", birth_date=dt.date(1952, 2, 2), sex=Sex.FEMALE),
        program=Program.COMPLEX,
        referral_source=ReferralSource.HOSPITAL,
        referral_reason="Three admissions this year",
        acuity_tier=tier,
    )
    return Case.objects.get(patient=patient)


def reassign_tasks() -> list[Task]:
    return list(Task.objects.filter(rule=RULE).select_related("owner"))


@pytest.mark.parametrize(
    ("holder", "tiers", "titles"),
    [
        # Bob is competent: the rise to 3 asks once; the rise to 4 and the fall do not add a second task.
        (
            "bob",
            [3, 4, 2],
            ["Reassign Complex case management for Nina Tier: tier 3 held by a competent case manager"],
        ),
        ("bob", [1, 2], []),
        ("alice", [3, 4], []),  # proficient
    ],
)
def test_a_rise_past_the_holder_gives_the_supervisor_one_task(
    world: World, holder: str, tiers: list[int], titles: list[str]
) -> None:
    case = register(getattr(world, holder), 2)
    for tier in tiers:
        do_set_acuity(getattr(world, holder), case, tier)
    made = reassign_tasks()
    assert [t.title for t in made] == titles
    assert all(t.owner_id == world.sam.pk and t.case_id == case.pk and t.is_open for t in made)


def test_a_novice_taking_a_complex_case_at_intake_asks_the_supervisor(world: World) -> None:
    nell = make_staff(
        "nell",
        Role.CASE_MANAGER,
        world.riverside,
        team=world.north,
        experience=ExperienceLevel.NOVICE,
        capacity=30,
    )
    register(nell, 2, "Ola")
    assert reassign_tasks() == []
    case = register(nell, 4)
    [task] = reassign_tasks()
    assert task.title == "Reassign Complex case management for Nina Tier: tier 4 held by a novice"
    assert task.owner_id == world.sam.pk and task.case_id == case.pk
    assert rule_label(task.rule) == "Tier 3–4 cases go to proficient or expert staff"


def test_once_the_task_is_done_a_new_rise_asks_again(world: World) -> None:
    case = register(world.bob, 2)
    do_set_acuity(world.bob, case, 3)
    [task] = reassign_tasks()
    Task.objects.filter(pk=task.pk).update(status="completed")
    do_set_acuity(world.bob, case, 4)
    assert len(reassign_tasks()) == 2


def test_the_supervisor_sees_the_task_on_their_worklist(world: World, login) -> None:
    register(world.bob, 3)
    body = login(world.sam).get(reverse("coordination:worklist")).content.decode()
    assert "tier 3 held by a competent case manager" in body
