"""Shared decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from careconductor.careplans import actions
from careconductor.careplans.models import CarePlan
from careconductor.core import clock
from careconductor.privacy.choices import AuditAction
from tests.careplans.actions.kit import Unchanged, audited, refused_fields
from tests.personas import World

pytestmark = pytest.mark.django_db


def decide(world: World, plan: CarePlan, **fields: Any):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "question": "Start insulin now or try diet for three months first?",
        "options": [
            {"option": "Start insulin", "benefits": "Sugar down sooner", "burdens": "Injections"},
            {"option": "Diet first", "benefits": "No needles", "burdens": "Slower"},
        ],
        "what_matters": "Not being a burden to my daughter.",
        "decision": "Diet first, recheck A1c in 3 months.",
        "participants": "Paula, Rosa (daughter), Alice",
        "decided_on": clock.today(),
    }
    values.update(fields)
    return actions.do_record_decision(world.alice, plan, **values)


def test_a_shared_decision_weighs_two_options_and_what_matters(world: World, plan: CarePlan) -> None:
    one = [{"option": "Start insulin"}, {"option": "   "}]
    with Unchanged(plan):
        assert refused_fields(decide, world, plan, options=one) == {"options"}
        assert refused_fields(decide, world, plan, what_matters="  ") == {"what_matters"}
        assert refused_fields(decide, world, plan, decided_on=clock.today() + dt.timedelta(days=1)) == {
            "decided_on"
        }
        assert refused_fields(decide, world, plan, question="", participants="", decision="") == {
            "question",
            "participants",
            "decision",
        }
    record_ = decide(world, plan, options=[*one, {"option": "Diet first", "extra": "dropped"}])
    assert [o["option"] for o in record_.options] == ["Start insulin", "Diet first"]
    assert set(record_.options[1]) == {"option", "benefits", "burdens"}
    assert audited(world.alice, plan, "SharedDecision", AuditAction.CREATE) == 1
