"""The demo carries a week of ADT traffic (issue 19): St. Mary's feed, its messages applied through do_receive
and kept, one waiting in the match queue, a 30-day readmission, a patient still in hospital, and a discharge on
casemanager's worklist."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from careconductor.accounts.models import Organization, User
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.demo.adt_traffic import FACILITY, STRANGER, add_adt_traffic
from careconductor.demo.generator import ORGANIZATION_NAME
from careconductor.medications.choices import Discrepancy, ReconciliationStatus
from careconductor.medications.models import DischargeMedication, PharmacyFill, Reconciliation
from careconductor.patients.models import Encounter
from careconductor.privacy.models import AuditEvent
from careconductor.transitions.choices import Outcome
from careconductor.transitions.models import AdtMessage, Feed, HospitalVisit

pytestmark = pytest.mark.django_db


def test_the_feed_sent_a_week_of_messages_all_applied_but_one_held(demo: str) -> None:
    feed = Feed.objects.get(sending_facility=FACILITY)
    messages = AdtMessage.objects.filter(feed=feed)
    outcomes = sorted(messages.values_list("outcome", flat=True))
    assert 15 <= len(outcomes) <= 25
    assert outcomes.count(Outcome.HELD) == 1 and set(outcomes) == {Outcome.APPLIED, Outcome.HELD}
    held = messages.get(outcome=Outcome.HELD)
    assert STRANGER["family"] in held.raw and held.patient is None
    # Received over the last week (as the hospital sent them), the earlier stay of the readmission aside.
    since = clock.now() - dt.timedelta(days=17)
    assert all(since <= m.received_at <= clock.now() for m in messages)
    assert messages.filter(received_at__gte=clock.now() - dt.timedelta(days=7)).count() >= 15
    assert {"A01", "A02", "A03", "A04", "A08", "A11"} <= set(messages.values_list("trigger", flat=True))
    assert AuditEvent.objects.filter(user=feed.account).exists()
    assert f"ADT feed: {feed.name} sent {len(outcomes)} messages this week" in demo


def test_a_readmission_within_30_days_and_one_patient_still_in_hospital(demo: str) -> None:
    stays = Encounter.objects.filter(source="hl7v2", hospital_visit__feed__sending_facility=FACILITY)
    by_patient: dict[int, list[Encounter]] = {}
    for stay in stays.order_by("start"):
        by_patient.setdefault(stay.patient_id, []).append(stay)
    readmissions = [
        (first, second)
        for pair in by_patient.values()
        for first, second in itertools.pairwise(pair)
        if first.end is not None and second.start - first.end <= dt.timedelta(days=30)
    ]
    assert len(readmissions) == 1
    first, second = readmissions[0]
    assert (second.start - first.end).days in (9, 10, 11)
    assert second.encounter_class == "IMP"
    open_inpatient = stays.filter(end__isnull=True, encounter_class="IMP").exclude(pk=second.pk)
    assert open_inpatient.count() == 1
    visit = HospitalVisit.objects.get(encounter=open_inpatient.get())
    assert visit.prior_location and visit.location.startswith("4W")  # transferred from the ICU
    assert HospitalVisit.objects.filter(feed__sending_facility=FACILITY, cancelled=True).count() == 1


def test_casemanager_has_the_discharge_call_on_her_worklist(demo: str) -> None:
    manager = User.objects.get(username="casemanager")
    rows = [i for i in build_worklist(manager).items if i.kind == "transition"]
    assert any("St. Mary's Regional Medical Center" in i.reason for i in rows)


def test_a_second_run_adds_nothing(demo: str) -> None:
    org = Organization.objects.get(name=ORGANIZATION_NAME)
    assert add_adt_traffic(org, out=_Silent()) == 0


class _Silent:
    def write(self, text: str, /) -> object:
        return None


def test_a_reconciliation_in_progress_from_the_feeds_discharge_list_and_fills(demo: str) -> None:
    """demo/reconciliation.py: casemanager's patient discharged yesterday, the discharge list from the feed's
    RXE segments, the pharmacy's fills, two discrepancies found and a cost barrier on the care plan."""
    reconciliation = Reconciliation.objects.select_related("encounter", "started_by").get(
        status=ReconciliationStatus.IN_PROGRESS, started_by__username="casemanager"
    )
    assert reconciliation.encounter is not None and reconciliation.encounter.source == "hl7v2"
    lines = {line.name: line for line in reconciliation.lines.select_related("plan_barrier")}
    assert {"Albuterol HFA inhaler", "Lisinopril", "Theophylline ER", "Tiotropium inhaler"} <= set(lines)
    assert lines["Theophylline ER"].discrepancy == Discrepancy.STOPPED_BUT_TAKEN
    assert lines["Lisinopril"].discrepancy == Discrepancy.OMISSION
    assert lines["Albuterol HFA inhaler"].decision == "continue"
    assert any(not line.decision for line in lines.values())  # still in progress: lines wait for a decision
    barrier = lines["Tiotropium inhaler"].plan_barrier
    assert barrier is not None and barrier.kind == "cost" and barrier.response
    fills = PharmacyFill.objects.filter(patient=reconciliation.patient)
    assert fills.count() == 3 and fills.filter(pharmacy="Main Street Pharmacy").count() == 3
    assert DischargeMedication.objects.filter(encounter=reconciliation.encounter, says_stop=True).count() == 1
    assert "Medication reconciliation in progress" in demo
