"""Recording assessments: in progress until complete, scored only when complete, findings kept once, and the
safety rules of ARCHITECTURE.md §3 and clinical.md §1 (item 9) applied by the action that records them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.actions import do_create_user
from careconductor.assessments.actions import do_complete_assessment, do_save_answers, do_start_assessment
from careconductor.assessments.choices import AssessmentStatus, FindingDomain
from careconductor.assessments.models import Assessment, AssessmentScore, Finding
from careconductor.coordination.actions import do_move_task
from careconductor.coordination.choices import FlagStatus, TaskKind, TaskPriority, TaskStatus
from careconductor.coordination.models import Flag, Task
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.privacy.models import AuditEvent

from ..personas import World
from .helpers import phq9_answers, questionnaire, record

pytestmark = pytest.mark.django_db


def test_the_shipped_instruments_are_loaded_after_migrate(world: World) -> None:
    assert questionnaire("phq-9").current
    assert questionnaire("phq-9").panel_code == "44249-1"


def test_a_new_assessment_is_in_progress_with_every_required_item_missing(world: World) -> None:
    a = do_start_assessment(world.alice, world.paula, questionnaire("phq-9"))
    assert a.status == AssessmentStatus.IN_PROGRESS
    assert a.missing == [f"phq9-{n}" for n in range(1, 10)]
    assert AuditEvent.objects.filter(user=world.alice, patient=world.paula, object_type="Assessment").exists()


def test_an_incomplete_assessment_is_never_scored(world: World) -> None:
    answers = phq9_answers(15)
    del answers["phq9-3"]
    a = record(world.alice, world.paula, "phq-9", answers, complete=False)
    with pytest.raises(ActionRefused) as refused:
        do_complete_assessment(world.alice, a)
    assert set(refused.value.errors) == {"phq9-3"}
    a.refresh_from_db()
    assert a.status == AssessmentStatus.IN_PROGRESS
    assert a.missing == ["phq9-3"]
    assert not AssessmentScore.objects.filter(assessment=a).exists()
    assert not Finding.objects.filter(patient=world.paula).exists()


def test_a_complete_phq9_keeps_its_total_band_and_finding(world: World) -> None:
    a = record(world.alice, world.paula, "phq-9", phq9_answers(12))
    assert a.status == AssessmentStatus.COMPLETED
    (score,) = a.scores.all()
    assert (score.code_system, score.code, score.value, score.band) == (
        "http://loinc.org",
        "44261-6",
        12,
        "moderate",
    )
    (finding,) = Finding.objects.filter(patient=world.paula)
    assert finding.domain == FindingDomain.DEPRESSION
    assert finding.label.startswith("Depression symptoms (PHQ-9, ")
    assert not Task.objects.exists()


def test_a_finding_found_again_is_confirmed_not_duplicated(world: World) -> None:
    first = record(world.alice, world.paula, "phq-9", phq9_answers(12))
    second = record(world.alice, world.paula, "phq-9", phq9_answers(16))
    (finding,) = Finding.objects.filter(patient=world.paula, domain=FindingDomain.DEPRESSION)
    assert (finding.assessment_id, finding.last_assessment_id) == (first.pk, second.pk)


def test_item_9_raises_a_flag_and_same_day_urgent_tasks_for_the_case_manager_and_supervisor(
    world: World,
) -> None:
    a = record(world.alice, world.paula, "phq-9", phq9_answers(2, item9=1))
    assert a.scores.get().band == "minimal"
    (flag,) = Flag.objects.filter(patient=world.paula)
    assert flag.status == FlagStatus.ACTIVE and "self-harm" in flag.text
    assert flag.focus == f"QuestionnaireResponse/{a.pk}"
    tasks = Task.objects.filter(patient=world.paula).order_by("owner__username")
    assert [t.owner.username for t in tasks] == ["alice", "sam"]
    for task in tasks:
        assert (task.priority, task.kind) == (TaskPriority.URGENT, TaskKind.SAFETY_CHECK)
        assert timezone.localtime(task.due_at).date() == timezone.localdate()
        assert task.case_id == world.paula_case.pk


def test_the_supervisors_copy_of_the_safety_task_is_done_when_the_case_manager_completes_hers(
    world: World, login
) -> None:
    record(world.alice, world.paula, "phq-9", phq9_answers(2, item9=1))
    alices, sams = Task.objects.filter(patient=world.paula).order_by("owner__username")
    page = login(world.alice).get(reverse("coordination:task", args=[alices.pk])).content.decode()
    assert "Also given to" in page and "Sam Tester</a> (to do)" in page
    do_move_task(world.alice, alices, TaskStatus.IN_PROGRESS)
    done = do_move_task(world.alice, alices, TaskStatus.COMPLETED, note="Called her: safe, plan agreed")
    sams.refresh_from_db()
    # One transaction: both are done, the copy says who did it and where.
    assert (sams.status, sams.completed_at) == (TaskStatus.COMPLETED, done.completed_at)
    assert sams.note.endswith(f"Alice Tester: done: completed on the linked task {alices.pk} (Alice Tester)")
    assert AuditEvent.objects.filter(
        object_type="Task",
        object_id=str(sams.pk),
        detail=f"completed with task {alices.pk}",
        user=world.alice,
    ).exists()
    # And the other way round: the supervisor completing hers completes the case manager's.
    record(world.alice, world.paula, "phq-9", phq9_answers(2, item9=2))
    sams = Task.objects.open().get(patient=world.paula, owner=world.sam)
    do_move_task(world.sam, sams, TaskStatus.COMPLETED)
    assert not Task.objects.open().filter(patient=world.paula).exists()


def test_item_9_is_acted_on_when_saved_not_only_when_completed_and_only_once(world: World) -> None:
    answers = phq9_answers(5, item9=2)
    a = do_start_assessment(world.alice, world.paula, questionnaire("phq-9"))
    a = do_save_answers(world.alice, a, {"phq9-9": answers["phq9-9"]})
    assert Task.objects.filter(patient=world.paula).count() == 2
    assert Flag.objects.filter(patient=world.paula).count() == 1
    a = do_save_answers(world.alice, a, answers)
    do_complete_assessment(world.alice, a)
    assert Task.objects.filter(patient=world.paula).count() == 2
    assert Flag.objects.filter(patient=world.paula).count() == 1


def test_severe_depression_goes_to_the_care_team_physician(world: World) -> None:
    record(world.alice, world.paula, "phq-9", phq9_answers(21))
    (task,) = Task.objects.filter(patient=world.paula)
    assert task.owner == world.dana
    assert task.kind == TaskKind.PHYSICIAN_REVIEW


def test_with_no_physician_on_the_team_the_review_falls_to_the_case_manager_with_a_note(world: World) -> None:
    world.paula.care_team.update(start_date=dt.date(2019, 1, 1), end_date=dt.date(2020, 1, 1))
    record(world.alice, world.paula, "phq-9", phq9_answers(21))
    (task,) = Task.objects.filter(patient=world.paula)
    assert task.owner == world.alice
    assert "No physician" in task.description


def test_bad_answers_change_nothing(world: World) -> None:
    a = do_start_assessment(world.alice, world.paula, questionnaire("phq-9"))
    before = a.updated_at
    for bad in (
        {"phq9-1": ["LA0000-0"]},
        {"no-such-item": ["LA6568-5"]},
        {"phq9-1": ["LA6568-5", "LA6569-3"]},
    ):
        with pytest.raises(ActionRefused):
            do_save_answers(world.alice, a, bad)
    a.refresh_from_db()
    assert a.answers == {} and a.updated_at == before


def test_a_finished_assessment_cannot_change(world: World) -> None:
    a = record(world.alice, world.paula, "phq-9", phq9_answers(3))
    with pytest.raises(ActionRefused):
        do_save_answers(world.alice, a, phq9_answers(20))
    assert Assessment.objects.get(pk=a.pk).scores.get().value == 3


def test_people_without_a_relationship_cannot_assess_and_care_team_members_only_read(world: World) -> None:
    with pytest.raises(NotVisible):
        do_start_assessment(world.bob, world.paula, questionnaire("phq-9"))
    with pytest.raises(NotVisible):
        do_start_assessment(world.charlie, world.paula, questionnaire("phq-9"))
    with pytest.raises(ActionRefused):
        do_start_assessment(world.dana, world.paula, questionnaire("phq-9"))
    from careconductor.accounts.choices import Role

    patient_login = do_create_user("paula-login", Role.PATIENT, world.riverside, "x-long-password-1")
    with pytest.raises((NotVisible, ActionRefused)):
        do_start_assessment(patient_login, world.paula, questionnaire("phq-9"))
    assert not Assessment.objects.exists()
