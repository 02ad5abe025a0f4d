"""The assessment screens: start, one screen per section saved as you go, finish and score, the result in plain
words with what it raised, history with a trend chart, risk scores, and what the chart and the case show."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from careconductor.assessments.actions import do_complete_assessment, do_save_answers, do_start_assessment
from careconductor.assessments.choices import AssessmentStatus
from careconductor.assessments.models import Assessment, RiskScore
from careconductor.cases.models import Case
from careconductor.coordination.choices import FlagStatus, TaskStatus
from careconductor.coordination.models import Flag, Task
from careconductor.patients.actions import do_add_condition, do_add_encounter
from careconductor.patients.choices import AdmissionType, EncounterClass

from ..personas import World
from .helpers import phq9_answers, questionnaire, record
from .kit import code_for, instrument

pytestmark = pytest.mark.django_db


def _start(client, world: World, slug: str = "phq-9", language: str = "en") -> Assessment:
    url = reverse("assessments:start", args=[world.paula.pk, slug])
    response = client.post(url, {"language": language})
    assessment = Assessment.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:section", args=[assessment.pk, 1])
    return assessment


def test_a_case_manager_fills_a_phq9_screen_by_screen_and_sees_the_result(world: World, login) -> None:
    client = login(world.alice)
    page = client.get(reverse("assessments:patient", args=[world.paula.pk]))
    assert page.status_code == 200 and "Patient Health Questionnaire-9" in page.content.decode()
    assessment = _start(client, world)
    section = reverse("assessments:section", args=[assessment.pk, 1])
    first = client.get(section).content.decode()
    assert "Section 1 of 2" in first and "0 of 10 answered" in first
    answers = {k: v[0] for k, v in phq9_answers(12).items()}
    moved = client.post(section, {**answers, "go": "next"})
    assert moved["Location"] == reverse("assessments:section", args=[assessment.pk, 2])
    done = client.post(reverse("assessments:section", args=[assessment.pk, 2]), {"go": "finish"})
    assert done["Location"] == reverse("assessments:detail", args=[assessment.pk])
    result = client.get(done["Location"]).content.decode()
    assert "12" in result and "moderate" in result and "clinically significant" in result
    assert "Depression symptoms" in result
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED


def test_finishing_with_unanswered_questions_says_which_and_scores_nothing(world: World, login) -> None:
    client = login(world.alice)
    assessment = _start(client, world)
    answers = {k: v[0] for k, v in phq9_answers(12).items() if k != "phq9-6"}
    client.post(reverse("assessments:section", args=[assessment.pk, 1]), {**answers, "go": "next"})
    response = client.post(reverse("assessments:section", args=[assessment.pk, 2]), {"go": "finish"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Section 1 of 2" in body  # back on the screen with the gap
    assert re.search(r'id="q-phq9-6".*?Answer this question', body, re.S)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.IN_PROGRESS and not assessment.scores.exists()


def test_answers_are_saved_as_they_are_given(world: World, login) -> None:
    client = login(world.alice)
    assessment = _start(client, world)
    code = code_for(instrument("phq9"), "phq9-1", 2)
    response = client.post(
        reverse("assessments:section", args=[assessment.pk, 1]), {"phq9-1": code}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "1 of 10 answered" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.answers == {"phq9-1": [code]}


def test_a_bad_answer_is_shown_beside_its_question_and_changes_nothing(world: World, login) -> None:
    client = login(world.alice)
    assessment = _start(client, world)
    response = client.post(reverse("assessments:section", args=[assessment.pk, 1]), {"phq9-1": "LA0000-0"})
    assert response.status_code == 422
    assessment.refresh_from_db()
    assert assessment.answers == {}


def test_the_questions_come_in_the_patients_language(world: World, login) -> None:
    client = login(world.alice)
    assessment = _start(client, world, language="es")
    body = client.get(reverse("assessments:section", args=[assessment.pk, 1])).content.decode()
    assert "Poco interés o placer en hacer cosas" in body and "Varios días" in body
    assert 'lang="es"' in body


def _answer_rows(html: str) -> list[list[str]]:
    """The cells of each row of the result's answers table, as plain text."""
    table = html.split("<h2>Answers</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows
    ]


def test_a_result_answered_in_spanish_pairs_english_questions_with_english_answers(
    world: World, login
) -> None:
    # Issue 17 §5: the English question sat beside the Spanish answer ("Little interest…" — "Varios días").
    assessment = do_start_assessment(world.alice, world.paula, questionnaire("phq-9"), language="es")
    do_complete_assessment(world.alice, do_save_answers(world.alice, assessment, phq9_answers(9)))
    html = login(world.alice).get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    first = next(r for r in _answer_rows(html) if r and r[0] == "Little interest or pleasure in doing things")
    # The patient's own words stay beside them, question and answer both in the language they were asked in.
    assert first == ["Little interest or pleasure in doing things", "Nearly every day",
                     "Poco interés o placer en hacer cosas: Casi todos los días"]  # fmt: skip


def test_a_result_answered_in_english_has_no_second_language_column(world: World, login) -> None:
    assessment = record(world.alice, world.paula, "phq-9", phq9_answers(9))
    html = login(world.alice).get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    first = next(r for r in _answer_rows(html) if r and r[0] == "Little interest or pleasure in doing things")
    assert first == ["Little interest or pleasure in doing things", "Nearly every day"]


def test_the_language_picker_names_each_language_in_its_own_words(world: World, login) -> None:
    # Issue 17 §5: the picker offered "en" and "es".
    html = login(world.alice).get(reverse("assessments:patient", args=[world.paula.pk])).content.decode()
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', html.split('id="lang-phq-9"', 1)[1])
    assert options[:2] == [("en", "English"), ("es", "Español")]
    assert re.search(r"<option value=\"es\"[^>]*\sselected>", html)  # Paula's language comes chosen
    assert ">en<" not in html and ">es<" not in html and "en, es" not in html


def test_item_9_shows_the_alert_on_the_chart_and_the_tasks_on_the_result_and_the_case_list(
    world: World, login
) -> None:
    assessment = record(world.alice, world.paula, "phq-9", phq9_answers(3, item9=1))
    client = login(world.alice)
    result = client.get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    assert "Same-day suicide risk follow-up" in result and "Urgent" in result
    chart = client.get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    assert "Safety alerts" in chart and "self-harm" in chart
    cases = client.get(reverse("cases:list")).content.decode()
    assert "My open tasks" in cases and "Same-day suicide risk follow-up" in cases
    supervisor = login(world.sam).get(reverse("cases:list")).content.decode()
    assert "Same-day suicide risk follow-up" in supervisor


def test_acknowledging_an_alert_needs_a_note_and_clears_it(world: World, login) -> None:
    record(world.alice, world.paula, "phq-9", phq9_answers(3, item9=1))
    flag = Flag.objects.get()
    client = login(world.alice)
    client.post(reverse("coordination:acknowledge_flag", args=[flag.pk]), {"note": ""})
    assert Flag.objects.get().status == FlagStatus.ACTIVE
    client.post(
        reverse("coordination:acknowledge_flag", args=[flag.pk]), {"note": "Called; safety plan made."}
    )
    flag.refresh_from_db()
    assert flag.status == FlagStatus.INACTIVE and flag.acknowledged_by == world.alice


def test_the_owner_marks_a_task_done(world: World, login) -> None:
    record(world.alice, world.paula, "phq-9", phq9_answers(3, item9=1))
    task = Task.objects.get(owner=world.alice)
    login(world.alice).post(reverse("coordination:move_task", args=[task.pk]), {"status": "completed"})
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.completed_at is not None


def test_history_draws_the_scores_with_the_band_lines(world: World, login) -> None:
    for total in (18, 13, 9):
        record(world.alice, world.paula, "phq-9", phq9_answers(total))
    body = (
        login(world.alice)
        .get(reverse("assessments:history", args=[world.paula.pk, "phq-9"]))
        .content.decode()
    )
    assert body.count('class="dot"') == 3
    assert all(name in body for name in ("mild", "moderate", "moderately severe", "severe"))
    assert re.findall(r"<td>(\d+)</td>", body)[:3] == ["9", "13", "18"]  # newest first in the table


def test_risk_scores_are_computed_from_the_chart_with_their_basis(world: World, login) -> None:
    import datetime as dt

    from django.utils import timezone

    admitted = timezone.now() - dt.timedelta(days=10)
    do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.INPATIENT,
        start=admitted,
        end=admitted + dt.timedelta(days=5),
        admission_type=AdmissionType.EMERGENCY,
    )
    do_add_condition(world.alice, world.paula, icd10_code="I50.22", display="Chronic systolic heart failure")
    client = login(world.alice)
    client.post(reverse("assessments:compute_risk", args=[world.paula.pk]))
    lace = RiskScore.objects.get(model="lace")
    # clinical.md §4.1: L 5 days → 4, A emergent → 3, C heart failure (2) → 2, E none → 0.
    assert lace.value == 9 and lace.band == "moderate"
    hospital = RiskScore.objects.get(model="hospital")
    assert hospital.value is None and hospital.missing
    page = client.get(reverse("assessments:patient", args=[world.paula.pk])).content.decode()
    assert "LACE index" in page and "Missing:" in page


def test_the_risk_section_shows_one_charlson_score(world: World, login) -> None:
    # Issue 17 §5: LACE's comorbidity line said "Charlson score 2" beside "Charlson comorbidity index: 6".
    import datetime as dt

    from django.utils import timezone

    admitted = timezone.now() - dt.timedelta(days=10)
    do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.INPATIENT,
        start=admitted,
        end=admitted + dt.timedelta(days=5),
        admission_type=AdmissionType.EMERGENCY,
    )
    do_add_condition(world.alice, world.paula, icd10_code="I50.22", display="Chronic systolic heart failure")
    client = login(world.alice)
    client.post(reverse("assessments:compute_risk", args=[world.paula.pk]))
    charlson = RiskScore.objects.get(model="charlson")
    html = client.get(reverse("assessments:patient", args=[world.paula.pk])).content.decode()
    risk = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="risk"', 1)[1].split("</section>", 1)[0])
    )
    # Every number the section gives as a Charlson score is the Charlson index it shows, said once.
    assert re.findall(r"Charlson[^:\d]*:? (\d+)", risk) == [str(charlson.value)]
    assert f"Charlson comorbidity index (age-adjusted): {charlson.value}" in risk


def test_the_case_suggests_an_acuity_tier_and_a_person_confirms_it(world: World, login) -> None:
    grid = instrument("icm_grid")
    answers = {link_id: [code_for(grid, link_id, 2)] for link_id in grid.questions}  # 40: tier 4
    record(world.alice, world.paula, "icm-complexity-grid", answers)
    client = login(world.alice)
    page = client.get(reverse("cases:detail", args=[world.paula_case.pk])).content.decode()
    assert "Suggested: <strong>tier 4</strong>" in page and "Complexity grid total 40" in page
    client.post(
        reverse("cases:acuity", args=[world.paula_case.pk]),
        {"acuity_tier": 4, "note": "Confirmed the suggestion"},
    )
    assert Case.objects.get(pk=world.paula_case.pk).acuity_tier == 4


def test_the_case_lists_the_assessments_due(world: World, login) -> None:
    client = login(world.alice)
    page = client.get(reverse("cases:detail", args=[world.paula_case.pk])).content.decode()
    due = page[page.index("Assessments due") : page.index("Open tasks")]
    assert "Complexity assessment grid" in due and "(AHC HRSN)" in due and "never done" in due
    assert "Patient Health Questionnaire-9" not in due  # PHQ-9 repeats only while depression is on the plan
    record(world.alice, world.paula, "phq-9", phq9_answers(14))
    page = client.get(reverse("cases:detail", args=[world.paula_case.pk])).content.decode()
    due = page[page.index("Assessments due") : page.index("Open tasks")]
    assert "Patient Health Questionnaire-9" not in due  # just done: next in 4 weeks, beyond the 2-week view


def test_a_care_team_member_reads_results_but_cannot_start_one(world: World, login) -> None:
    record(world.alice, world.paula, "phq-9", phq9_answers(4))
    client = login(world.dana)
    page = client.get(reverse("assessments:patient", args=[world.paula.pk])).content.decode()
    assert "PHQ-9" in page and ">Start<" not in page
    client.post(reverse("assessments:start", args=[world.paula.pk, "phq-9"]), {"language": "en"})
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize("extra", [0, 5])
def test_the_pages_cost_a_fixed_number_of_queries(
    extra: int, world: World, login, django_assert_max_num_queries
) -> None:
    for _ in range(1 + extra):
        last = record(world.alice, world.paula, "phq-9", phq9_answers(12, item9=1))
    client = login(world.alice)
    for url, budget in (
        (reverse("assessments:patient", args=[world.paula.pk]), 30),
        (reverse("assessments:detail", args=[last.pk]), 26),
        (reverse("assessments:history", args=[world.paula.pk, "phq-9"]), 24),
    ):
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200
