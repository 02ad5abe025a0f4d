"""The demo shows the portal the moment it starts: patients with log-ins, a proxy, a month of readings, an
alert raised this morning, unread messages on casemanager's worklist."""

from __future__ import annotations

import pytest

from careconductor.accounts.models import Organization, User
from careconductor.coordination.choices import TaskKind, TaskPriority
from careconductor.coordination.models import Flag, Task
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.demo.engagement import add_engagement_scenarios
from careconductor.demo.generator import ORGANIZATION_NAME
from careconductor.engagement.models import Message, ProxyGrant
from careconductor.engagement.queries import self_management
from careconductor.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_demo_patient_has_a_log_in_a_proxy_and_a_month_of_reports(demo: str) -> None:
    patient = Patient.objects.get(portal_user__username="patient")
    assert ProxyGrant.objects.get(patient=patient, proxy__username="caregiver").is_active
    card = self_management(patient)
    assert card.days_since_use == 0  # this morning's reading
    assert card.adherence_share is not None and 0 < card.adherence_share < 1
    assert card.last_check_in is not None
    assert any(r.past_limit and r.label == "Blood pressure" for r in card.readings)
    assert "patient              Patient portal" in demo and "caregiver" in demo


def test_the_demo_patient_has_an_app_connected_that_the_portal_lists(demo: str) -> None:
    from careconductor.smart.queries import connections_of

    login = User.objects.get(username="patient")
    (connection,) = connections_of(login)
    assert connection.app.client.name == "Blood pressure coach" and connection.lasting
    assert "patient/*.rs" in connection.scopes and connection.since.date() < clock.today()
    assert "blood pressure app connected" in demo


def test_the_alerts_and_messages_reach_casemanagers_worklist(demo: str) -> None:
    manager = User.objects.get(username="casemanager")
    patient = Patient.objects.get(portal_user__username="patient")
    flag = Flag.objects.get(patient=patient, rule="self-report:bp-high", status="active")
    task = Task.objects.get(patient=patient, kind=TaskKind.SELF_REPORT)
    assert task.owner == manager and task.priority == TaskPriority.URGENT
    # 184/102, then a headache and 185/110: one alert and task with the worse value, the case manager told again.
    assert "185/110" in flag.text and "headache" in flag.text and "185/110" in task.title
    assert manager.notifications.filter(url=f"/tasks/{task.pk}/", title__startswith="Worse:").exists()
    weight = Patient.objects.get(portal_user__username="patient2")
    assert Flag.objects.filter(patient=weight, rule="self-report:weight-gain").exists()
    # "Short of breath" in a message: not routine.
    assert Flag.objects.filter(patient=weight, rule="message:symptoms").exists()
    items = build_worklist(manager).items
    kinds = {(i.kind, i.patient_id) for i in items}
    assert ("message", patient.pk) in kinds and ("message", weight.pk) in kinds
    assert ("alert", patient.pk) in kinds  # the alert and its task, one row
    assert Message.objects.filter(patient=patient, attachments__isnull=False).exists()


def test_a_second_run_adds_nothing(demo: str) -> None:
    org = Organization.objects.get(name=ORGANIZATION_NAME)
    assert add_engagement_scenarios(org) == 0
