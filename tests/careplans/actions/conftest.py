"""A draft plan for Paula's case, in a programme without approval."""

from __future__ import annotations

import pytest

from careconductor.careplans import actions
from careconductor.careplans.models import CarePlan
from tests.careplans.actions.kit import no_approval
from tests.personas import World


@pytest.fixture
def plan(world: World, settings) -> CarePlan:  # type: ignore[no-untyped-def]
    no_approval(settings)
    return actions.do_create_plan(world.alice, world.paula_case)
