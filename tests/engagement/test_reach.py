"""Unable to reach and the portal (issue 17 §5): a patient who checks in, reports a reading or writes a message
in the portal is reachable; the failed calls before it no longer count toward the unable-to-reach steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from careconductor.coordination.actions import do_request_closure
from careconductor.coordination.reach import reach_state_for
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.engagement import actions
from careconductor.patients.models import Patient
from tests.coordination.test_followup_actions import enrol, log

from .conftest import Portal

pytestmark = pytest.mark.django_db


def monday() -> dt.date:
    today = clock.today()
    return today + dt.timedelta(days=7 - today.weekday())


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


USES: dict[str, Callable[[Portal, Patient], object]] = {
    "wrote a message": lambda p, patient: actions.do_send_message(
        p.paula_login, patient, subject="My pills", body="Can you call me after 5? I work days."
    ),
    "checked in": lambda p, patient: actions.do_report_wellbeing(
        p.daughter, patient, mood=4, symptoms=[], note="Mum is doing fine"
    ),
    "reported a reading": lambda p, patient: actions.do_report_reading(
        p.paula_login, patient, measure="glucose", value=Decimal(132)
    ),
}


@pytest.mark.parametrize("use", list(USES))
def test_a_patient_active_in_the_portal_today_is_not_unable_to_reach(portal: Portal, use: str) -> None:
    world = portal.world
    start = monday()
    with time_machine.travel(at(start, 8), tick=False) as traveller:
        case = enrol(world, world.paula_case)
        # Three failed calls on three days at three times of day, after the first contact fell due.
        for n, hour in ((15, 9), (16, 14), (17, 19)):
            traveller.move_to(at(start + dt.timedelta(days=n), hour))
            log(world.alice, world.paula, reached=False, case=case)
        traveller.move_to(at(start + dt.timedelta(days=18), 10))
        assert reach_state_for(case).stage == "protocol"
        assert "outreach" in {i.kind for i in build_worklist(world.alice).items if i.case_id == case.pk}

        traveller.move_to(at(start + dt.timedelta(days=18), 11))
        USES[use](portal, world.paula)
        assert reach_state_for(case).stage == "reached"
        rows = [i for i in build_worklist(world.alice).items if i.case_id == case.pk]
        assert "outreach" not in {i.kind for i in rows}
        # The team's own contact is still due (the cadence), and the row says where the patient is.
        [contact] = [i for i in rows if i.kind == "contact"]
        assert contact.overdue and f"{use} in the portal today" in contact.reason
        with pytest.raises(ActionRefused) as refused:
            do_request_closure(world.alice, case, reason="unable_to_reach", summary="Not reached.")
        assert "closure_reason" in refused.value.errors
