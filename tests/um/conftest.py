"""UM tests share, per module, Paula's plan coverage (member ID RH-1001) and two more UM people: Ravi, a UM
reviewer who is a physician, and Meg, a second medical director (an appeal needs a physician other than the one
who denied)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.patients.actions import do_add_coverage
from careconductor.patients.choices import CoverageKind
from tests.fhir.conftest import api  # noqa: F401 (the FHIR tests' client, for Claim/$submit)
from tests.personas import World, make_staff
from tests.shared import ModuleDb

MEMBER_ID = "RH-1001"


@dataclass
class UmPeople:
    ravi: User
    meg: User


def build_um(world: World) -> dict[str, int]:
    do_add_coverage(
        world.alice,
        world.paula,
        kind=CoverageKind.MEDICARE_ADVANTAGE,
        payer="Riverside Health Plan",
        plan_name="Riverside Advantage",
        member_id=MEMBER_ID,
        start_date=clock.today() - dt.timedelta(days=365),
    )
    ravi = make_staff("ravi", Role.UM_REVIEWER, world.riverside, discipline=Discipline.PHYSICIAN)
    meg = make_staff("meg", Role.MEDICAL_DIRECTOR, world.riverside, discipline=Discipline.PHYSICIAN)
    return {"ravi": ravi.pk, "meg": meg.pk}


@pytest.fixture(scope="module")
def shared_um(module_db: ModuleDb, shared_world: World) -> dict[str, int]:
    return module_db.build(build_um, shared_world)


@pytest.fixture
def um_people(shared_um: dict[str, int], world: World) -> UmPeople:
    return UmPeople(ravi=User.objects.get(pk=shared_um["ravi"]), meg=User.objects.get(pk=shared_um["meg"]))
