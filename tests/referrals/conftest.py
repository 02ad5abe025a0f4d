"""The referrals' shared world, built once per module through the actions: the starter directory (the food
pantry's organisation with an e-mail address), a partner log-in for it, and Paula's plan with a food goal and a
cost barrier."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import pytest

from careconductor.accounts.models import User
from careconductor.careplans.actions import do_add_barrier, do_add_goal, do_create_plan
from careconductor.careplans.choices import BarrierKind
from careconductor.careplans.models import Barrier, Goal
from careconductor.demo.directory import STARTER
from careconductor.directory.actions import do_import_hsds
from careconductor.directory.models import Service
from careconductor.referrals.actions import do_invite_partner

from ..coordination.test_followup_actions import enrol
from ..personas import PASSWORD, World
from ..shared import ModuleDb

PANTRY_EMAIL = "referrals@harvest-table.example"


@dataclass
class Referring:
    pantry: Service  # Weekly food pantry: a community organisation, not HIPAA covered
    counselling: Service
    recovery: Service  # Outpatient recovery program: substance use (Part 2)
    partner: User  # a log-in at the pantry's organisation
    goal: Goal
    barrier: Barrier


def build_referring(world: World) -> dict[str, int]:
    package = json.loads(STARTER.read_text(encoding="utf-8"))
    for service in package:
        if service["organization"]["name"].startswith("Riverside Harvest Table"):
            service["organization"] = {**copy.deepcopy(service["organization"]), "email": PANTRY_EMAIL}
    do_import_hsds(world.adam, package)
    pantry = Service.objects.get(name="Weekly food pantry")
    partner, _ = do_invite_partner(
        world.adam,
        pantry.provider,
        username="hana",
        first_name="Hana",
        last_name="Pantry",
        email="hana@example.org",
    )
    partner.set_password(PASSWORD)
    partner.save()
    enrol(world, world.paula_case)  # the worklist shows the work of active cases
    plan = do_create_plan(world.alice, world.paula_case)
    goal = do_add_goal(
        world.alice,
        plan,
        patient_words="Have enough food for the month",
        statement="Food all month",
        measure="other",
        measure_text="Days without enough food",
        target_text="Enough food every day of the month",
    )
    barrier = do_add_barrier(
        world.alice, goal, kind=BarrierKind.COST, description="Money runs out before payday"
    )
    return {"partner": partner.pk, "goal": goal.pk, "barrier": barrier.pk}


@pytest.fixture(scope="module")
def shared_referring(module_db: ModuleDb, shared_world: World) -> dict[str, int]:
    return module_db.build(build_referring, shared_world)


@pytest.fixture
def referring(shared_referring: dict[str, int], world: World) -> Referring:
    return Referring(
        pantry=Service.objects.select_related("provider").get(name="Weekly food pantry"),
        counselling=Service.objects.select_related("provider").get(name="Counselling and psychiatry"),
        recovery=Service.objects.select_related("provider").get(name="Outpatient recovery program"),
        partner=User.objects.get(pk=shared_referring["partner"]),
        goal=Goal.objects.get(pk=shared_referring["goal"]),
        barrier=Barrier.objects.get(pk=shared_referring["barrier"]),
    )
