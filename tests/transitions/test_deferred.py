# ruff: noqa: F811  (the fixtures of test_work, imported by name, are parameters here)
"""A discharge's work done after the message's commit (issue 19, "every discharge … turns into the right work
within a minute"): the MLLP listener applies and acknowledges the A03 without computing the risk scores or
starting the referral in its transaction; a huey task queued at the commit does them once (a second run, or the
sweep, finds nothing to do), and the minute's sweep does a discharge whose task was lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]

from careconductor.assessments.models import RiskScore
from careconductor.cases.choices import Program
from careconductor.cases.models import Case
from careconductor.patients.models import Encounter
from careconductor.privacy import chain
from careconductor.transitions.actions import do_discharge_work, do_receive, queued_discharges
from careconductor.transitions.choices import Outcome
from careconductor.transitions.models import AdtMessage
from careconductor.transitions.tasks import discharge_work_sweep
from careconductor.transitions.work import QUEUED

from ..coordination.test_followup_actions import at
from ..personas import World
from .messages import adt
from .test_work import (  # noqa: F401  (fixtures)
    DAY,
    LONG_STAY,
    NGUYEN,
    _frozen,
    active,
    admit,
    discharge,
    hospital_notices,
    nguyen,
    traveller,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate() -> Iterator[None]:
    """Queued tasks run when queued (huey's immediate mode, an in-memory queue)."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def test_the_listener_acknowledges_a_discharge_then_its_work_is_done_once(
    active: World,
    traveller: time_machine.Traveller,
    django_capture_on_commit_callbacks,
    immediate,
) -> None:
    traveller.move_to(at(DAY + dt.timedelta(days=4), 12))
    do_receive(admit("M1"), defer_work=True)
    with django_capture_on_commit_callbacks() as queued:
        receipt = do_receive(discharge("M2", DAY, DAY + dt.timedelta(days=4)), defer_work=True)
    assert receipt.message.outcome == Outcome.APPLIED and "MSA|AA|M2" in receipt.ack
    assert QUEUED in receipt.message.effect and QUEUED in receipt.ack
    assert Encounter.objects.get(patient=active.paula, source="hl7v2").end is not None  # the stay: at once
    assert not RiskScore.objects.filter(model="lace").exists()  # the work: not yet
    tasks = [f for f in queued if getattr(f, "args", None) == (receipt.message.pk,)]
    assert len(tasks) == 1
    tasks[0]()  # the commit queues the task (here: runs it)
    lace = RiskScore.objects.get(patient=active.paula, model="lace")
    assert lace.value == 7 and lace.computed_by.username == "adt-stmarys"
    effect = AdtMessage.objects.get(pk=receipt.message.pk).effect
    assert QUEUED not in effect and effect.startswith("Paula Reyes") and "LACE 7" in effect
    assert hospital_notices()["alice"].title == "Paula Reyes discharged from St. Mary's Hospital"
    notices = hospital_notices()
    assert do_discharge_work(receipt.message.pk) == ""  # again: nothing
    tasks[0]()
    assert RiskScore.objects.filter(model="lace").count() == 1
    assert hospital_notices() == notices
    assert chain.verify().ok


def test_the_sweep_does_the_work_of_a_discharge_whose_task_was_lost(
    world: World,
    traveller: time_machine.Traveller,
    immediate,
) -> None:
    patient = nguyen(world)
    receipt = do_receive(discharge("M1", LONG_STAY, DAY, hour=8, **NGUYEN), defer_work=True)
    # No commit here (the test's transaction): its task never went into the queue.
    assert QUEUED in receipt.message.effect and not Case.objects.filter(patient=patient).exists()
    assert queued_discharges() == []  # a task may still be on its way
    traveller.shift(dt.timedelta(minutes=1))
    assert queued_discharges() == [receipt.message.pk]
    assert discharge_work_sweep.call_local() == 1
    case = Case.objects.get(patient=patient)
    assert case.program == Program.TCM
    assert case.referral_reason == "Discharged from St. Mary's Hospital on Dec 1, 2026, LACE 10"
    assert "referred to transitional care" in AdtMessage.objects.get(pk=receipt.message.pk).effect
    assert queued_discharges() == [] and discharge_work_sweep.call_local() == 0
    assert Case.objects.filter(patient=patient).count() == 1


def test_a_discharge_cancelled_before_its_work_starts_no_work(
    active: World,
    traveller: time_machine.Traveller,
) -> None:
    traveller.move_to(at(DAY + dt.timedelta(days=4), 12))
    do_receive(admit("M1"), defer_work=True)
    queued = do_receive(discharge("M2", DAY, DAY + dt.timedelta(days=4)), defer_work=True).message
    assert do_receive(adt("A13", "M3"), defer_work=True).message.outcome == Outcome.APPLIED
    assert do_discharge_work(queued.pk) == "; discharge cancelled before its work was done"
    assert not RiskScore.objects.filter(model="lace").exists()
    assert QUEUED not in AdtMessage.objects.get(pk=queued.pk).effect


def test_the_file_drop_and_other_callers_still_do_the_work_at_once(
    active: World,
    traveller: time_machine.Traveller,
) -> None:
    traveller.move_to(at(DAY + dt.timedelta(days=4), 12))
    do_receive(admit("M1"))
    receipt = do_receive(discharge("M2", DAY, DAY + dt.timedelta(days=4)))
    assert QUEUED not in receipt.message.effect and "LACE 7" in receipt.message.effect
