"""Internal codes never show on a screen (issue 17 §5): the pages people read name instruments, the rules that
raised a task, who does a template's work, roles, purposes of use and languages in words, not as the codes
the software keeps ("self-harm-thoughts", "AHCHRSNCore", "case_manager", "TREAT", "ES")."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from careconductor.assessments import catalogue
from careconductor.assessments.choices import Signal
from careconductor.careplans.actions import do_create_plan
from careconductor.coordination import hooks
from careconductor.coordination.actions import do_move_task
from careconductor.coordination.choices import TaskStatus
from careconductor.coordination.models import Task
from careconductor.education.actions import do_assign_material
from careconductor.engagement import rules as portal_rules
from careconductor.engagement.actions import do_set_programme_threshold

from .assessments.helpers import phq9_answers, record
from .personas import World

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    """What a reader sees: the page without its tags, scripts and styles."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_finding_names_its_instrument_as_people_do(world: World, login) -> None:  # type: ignore[no-untyped-def]
    record(world.alice, world.paula, "phq-9", phq9_answers(12))
    client = login(world.alice)
    for url in (
        reverse("assessments:patient", args=[world.paula.pk]),
        reverse("patients:chart", args=[world.paula.pk]),
    ):
        page = _text(client.get(url).content.decode())
        assert "Depression symptoms (PHQ-9, " in page and "PHQ9" not in page, url


def test_every_shipped_instrument_has_a_short_title_that_is_not_its_code(db: None) -> None:
    for questionnaire in catalogue.current_questionnaires():
        short = questionnaire.short_title
        assert short and short in questionnaire.title, questionnaire.slug  # never "AHCHRSNCore"
    by_slug = {q.slug: q.short_title for q in catalogue.current_questionnaires()}
    assert by_slug["ahc-hrsn"] == "AHC HRSN" and by_slug["gad-7"] == "GAD-7"


def test_a_task_raised_by_a_rule_names_the_rule_in_words(world: World, login) -> None:  # type: ignore[no-untyped-def]
    record(world.alice, world.paula, "phq-9", phq9_answers(3, item9=1))
    task = Task.objects.get(owner=world.alice, rule=Signal.SELF_HARM_THOUGHTS)
    do_move_task(world.alice, task, TaskStatus.IN_PROGRESS)  # so it can be put on hold
    html = login(world.alice).get(reverse("coordination:task", args=[task.pk])).content.decode()
    page = _text(html)
    assert "Thoughts of self-harm (PHQ-9 item 9 above 0)" in page
    assert "self-harm-thoughts" not in page
    select = html.split('id="other-status"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r">([^<]+)</option>", select)  # the other statuses it can move to
    assert "On hold" in options and not any("-" in o for o in options), options


def _portal_rules() -> set[str]:
    """Every rule a patient's own report can raise, found by asking the rules with values past every limit."""
    limits = portal_rules.effective_limits(heart_failure=True)
    low, high = Decimal(1), Decimal(900)
    now = dt.datetime(2030, 1, 10, 9, 0)
    found = [
        portal_rules.check_blood_pressure(high, high, limits, "555"),
        portal_rules.check_blood_pressure(Decimal(60), Decimal(30), {
            "bp-systolic": portal_rules.Limit("bp-systolic", low=Decimal(90)),
            "bp-diastolic": portal_rules.Limit("bp-diastolic", low=Decimal(50)),
        }, "555"),
        portal_rules.check_glucose(low, limits, "555"),
        portal_rules.check_glucose(high, limits, "555"),
        portal_rules.check_weight(Decimal(90), now, [(now - dt.timedelta(days=1), Decimal(80))], limits, "555"),
        portal_rules.check_peak_flow(low, {"peak-flow": portal_rules.Limit("peak-flow", low=Decimal(200))}, "555"),
        portal_rules.check_wellbeing(None, ["chest-pain"], "555"),
        portal_rules.check_wellbeing(1, [], "555"),
    ]  # fmt: skip
    return {breach.rule for breach in found if breach is not None}


def test_every_rule_that_raises_work_has_words() -> None:
    rules = {s.value for s in Signal} | _portal_rules() | {"closure-approval"}
    assert len(rules) == len(Signal) + 8 + 1
    for rule in rules:
        assert hooks.rule_label(rule) != rule, rule


def test_a_templates_interventions_say_who_does_them_in_words(world: World, login) -> None:  # type: ignore[no-untyped-def]
    plan = do_create_plan(world.alice, world.paula_case)
    url = reverse("careplans:template_apply", args=[plan.pk, "diabetes"])
    page = _text(login(world.alice).get(url).content.decode())
    assert "(case manager)" in page and "(pharmacist)" in page
    assert "case-manager" not in page


def test_the_audit_trail_names_roles_and_purposes_in_words(world: World, login) -> None:  # type: ignore[no-untyped-def]
    login(world.alice).get(reverse("patients:chart", args=[world.paula.pk]))
    page = _text(login(world.pia).get(reverse("privacy:audit")).content.decode())
    assert "Case manager" in page and "Treatment" in page
    assert "case_manager" not in page and " TREAT " not in page


def test_education_pages_name_the_language(world: World, login) -> None:  # type: ignore[no-untyped-def]
    assignment = do_assign_material(world.alice, world.paula, slug="depression-you-are-not-alone")
    client = login(world.alice)
    patient_page = _text(client.get(reverse("education:patient", args=[world.paula.pk])).content.decode())
    deliver = _text(client.get(reverse("education:deliver", args=[assignment.pk])).content.decode())
    library = _text(client.get(reverse("education:library")).content.decode())
    material = _text(
        client.get(reverse("education:material", args=["depression-you-are-not-alone"])).content.decode()
    )
    assert "· Spanish ·" in patient_page and "· ES ·" not in patient_page
    assert "· Spanish ·" in deliver and "What it says (Spanish)" in deliver and "(ES)" not in deliver
    assert "English, Spanish" in library and "EN, ES" not in library
    assert " ES " not in material and " EN " not in material


def test_the_assignment_page_names_each_candidates_languages(world: World, login) -> None:  # type: ignore[no-untyped-def]
    page = _text(login(world.sam).get(reverse("cases:assign", args=[world.paula_case.pk])).content.decode())
    assert "English, Spanish" in page and "en, es" not in page


def test_the_alert_limits_page_names_measures_and_programmes(world: World, login) -> None:  # type: ignore[no-untyped-def]
    do_set_programme_threshold(
        world.adam, program="complex_cm", measure="glucose", low=None, high=Decimal(250)
    )
    page = _text(login(world.adam).get(reverse("engagement:alert_limits")).content.decode())
    assert "Systolic blood pressure (mmHg)" in page and "Complex case management" in page
    assert "bp-systolic" not in page and "complex_cm" not in page
