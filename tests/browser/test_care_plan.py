"""A case manager builds Paula's care plan on a tablet-sized screen: problems from her assessment findings, a
template's goals and a goal in her own words, a small step, the plan put in force, her daughter's agreement as
her proxy (with the error beside the field first), then the patient's copy in Spanish and English and as a PDF.
A second test sends a plan for the supervisor's approval and sees it come into force."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.assessments.models import Questionnaire
from careconductor.careplans import actions
from careconductor.careplans.choices import AgreedBy, PlanStatus, VersionStatus
from careconductor.careplans.models import CarePlan, PlanAgreement
from careconductor.core import clock

from ..assessments.helpers import phq9_answers, record
from ..conftest import current_code
from ..personas import PASSWORD, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 1024, "height": 768}  # a tablet, landscape
HER_WORDS = "Quiero caminar con mis nietos al parque"
STEP = "Caminar diez minutos después del almuerzo"
DAUGHTER, RELATIONSHIP = "Lucía Reyes", "daughter"


def _ahc_food_and_transport() -> dict[str, list[str]]:
    """AHC HRSN answers positive for food insecurity and transportation only (as the demo's social-needs
    scenario builds them): food "sometimes"/"often true", "yes" to lack of transport, safety all "never"."""
    from careconductor.assessments import catalogue

    instrument = catalogue.instrument_for(Questionnaire.objects.get(slug="ahc-hrsn"))
    answers = {}
    for n in (7, 8, 9, 10):  # safety: "Never" (1) on each, sum 4, negative
        (option,) = instrument.questions[f"ahc-{n}"].options_with_ordinal(1)
        answers[f"ahc-{n}"] = [option.code]
    answers.update(
        {
            "ahc-1": ["LA31993-1"],  # a steady place to live
            "ahc-2": ["LA9-3"],  # none of the housing problems
            "ahc-3": ["LA6729-3"],  # food ran out: sometimes true
            "ahc-4": ["LA28397-0"],  # food didn't last: often true
            "ahc-5": ["LA33-6"],  # yes, lack of transport kept me from appointments
            "ahc-6": ["LA32-8"],  # no utility shut-off threat
        }
    )
    return answers


def _log_in(browser, base: str, user):  # type: ignore[no-untyped-def]
    """A new tablet-sized context logged in as `user` (password, then the authenticator's code)."""
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    device = TOTPDevice.objects.create(user=user, name=f"{user.username}'s tablet", confirmed=True)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login/" not in url and "second-factor" not in url)
    return context, page


def _open_plan(world: World) -> CarePlan:
    return CarePlan.objects.get(case=world.paula_case, status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE])


def test_plan_from_findings_agreed_and_printed(live_server, browser, screenshot, settings) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()  # in force without a supervisor's approval
    world = build_world()
    record(world.alice, world.paula, "ahc-hrsn", _ahc_food_and_transport())
    record(world.alice, world.paula, "phq-9", phq9_answers(16))
    base = live_server.url
    context, page = _log_in(browser, base, world.alice)

    # The case page offers to start a plan.
    page.goto(f"{base}/cases/{world.paula_case.pk}/")
    card = page.locator("#care-plan")
    expect(card).to_contain_text("No care plan yet")
    card.scroll_into_view_if_needed()
    screenshot("careplan-1-case-card", on=page)
    card.get_by_role("button", name="Start a care plan").click()
    expect(page).to_have_url(re.compile(r"/careplans/\d+/$"))
    plan = _open_plan(world)
    expect(page.locator("#plan-title")).to_contain_text("Draft")
    expect(page.locator("#agreement-status")).to_contain_text("Not agreed with the patient.")

    # Problems from the assessment findings.
    problems = page.locator("#add-problems")
    screenshot("careplan-1b-findings-offered", on=page)
    problems.get_by_label(re.compile(r"^Food insecurity \(")).check()
    problems.get_by_label(re.compile(r"^Transportation insecurity \(")).check()
    expect(problems.get_by_label(re.compile(r"^Depression"))).not_to_be_checked()  # offered, not ticked
    problems.get_by_role("button", name="Add to the plan").click()
    expect(page.get_by_text("2 problems added.")).to_be_visible()
    problem_list = page.locator("#problems ul.problems")
    expect(problem_list).to_contain_text("Food insecurity")
    expect(problem_list).to_contain_text("Transportation insecurity")
    screenshot("careplan-2-problems", on=page)

    # A suggested template's goals, for the food problem.
    suggested = page.locator("#suggested-templates")
    expect(suggested).to_contain_text("Transportation barrier")
    suggested.get_by_role("link", name="Food insecurity", exact=True).click()
    expect(page.get_by_role("heading", name="Template: Food insecurity")).to_be_visible()
    goal_boxes = page.get_by_role("group", name="Goals to add").get_by_role("checkbox")
    expect(goal_boxes.first).to_be_checked()
    template_goals = goal_boxes.count()
    page.get_by_label("For the problem").select_option(label="Food insecurity")
    screenshot("careplan-3-template-picker", on=page)
    page.get_by_role("button", name="Add the chosen goals").click()
    expect(page.get_by_text(re.compile(r"added from “Food insecurity”"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/careplans/\d+/#goal-\d+$"))
    assert plan.goals.count() == template_goals

    # A goal by hand, in Paula's words, measured by the PHQ-9.
    page.locator("#goals").get_by_role("link", name="Add a goal").click()
    page.get_by_label("The goal in the patient's own words").fill(HER_WORDS)
    page.get_by_label("Who proposed it").select_option(label="The patient")
    page.get_by_label("Does the patient agree?").select_option(label="Patient agrees")
    page.get_by_label("How progress is measured").select_option("phq9")
    page.get_by_label("Target value").fill("10")
    screenshot("careplan-goal-form", on=page)
    page.get_by_role("button", name="Add goal").click()
    goal = page.locator("article.goal", has_text=HER_WORDS)
    expect(goal).to_contain_text("Proposed by the patient · Patient agrees")
    expect(goal).to_contain_text("PHQ-9")
    expect(goal.locator("dd").nth(1)).to_contain_text("16")  # the baseline from the PHQ-9 on record

    # A small step on her goal.
    goal.get_by_role("link", name="Progress and details").click()
    expect(page.get_by_role("heading", name=f"“{HER_WORDS}”")).to_be_visible()
    page.get_by_role("textbox", name="Small step").fill(STEP)
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_text("Step added.")).to_be_visible()
    expect(page.locator("ul.steps")).to_contain_text(STEP)
    screenshot("careplan-goal-step", on=page)
    page.locator(".subnav").get_by_role("link").click()

    # In force: no approval needed for this programme here.
    page.get_by_role("button", name="Put the plan in force").click()
    expect(page.get_by_text("The new version is in force.")).to_be_visible()
    expect(page.locator("#plan-title")).to_contain_text("Version 1")
    expect(page.locator("#agreement-status")).to_contain_text("Version 1 has no recorded agreement")

    # The agreement, by her daughter as proxy: first without the proxy's name.
    agreement = page.locator("#agreement")
    expect(agreement.get_by_label("Reviewed and agreed on")).to_have_value(clock.today().isoformat())
    expect(agreement.get_by_label("How")).to_have_value("in-person")
    agreement.get_by_label("Agreed by").select_option(AgreedBy.PROXY.value)
    agreement.get_by_label("Relationship to the patient").fill(RELATIONSHIP)
    agreement.get_by_role("button", name="Record agreement").click()
    name_field = page.locator("#agreement .field", has=page.locator("#id_proxy_name"))
    expect(name_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(name_field.locator(".error")).to_have_text("Name the person who agreed for the patient.")
    expect(page.locator("#id_proxy_relationship")).to_have_value(RELATIONSHIP)  # kept
    assert not PlanAgreement.objects.exists()
    page.locator("#agreement").scroll_into_view_if_needed()
    screenshot("careplan-4-agreement-error", on=page)
    page.locator("#agreement").get_by_label("Proxy's name").fill(DAUGHTER)
    page.locator("#agreement").get_by_role("button", name="Record agreement").click()
    expect(page.get_by_text("The patient's agreement is recorded.")).to_be_visible()
    status = page.locator("#agreement-status")
    expect(status).to_have_class(re.compile(r"\bagreed\b"))
    expect(status).to_have_text(
        f"Agreed by {DAUGHTER} ({RELATIONSHIP}) on {clock.today():%Y-%m-%d} (in person)."
    )
    screenshot("careplan-5-in-force-agreed", on=page)

    # The patient's copy, in Spanish (Paula's language).
    page.get_by_role("link", name="Patient's copy (print)").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    sheet = page.locator("main.sheet")
    expect(sheet.get_by_role("heading", level=1)).to_have_text("Mi plan de cuidado: Paula Reyes")
    expect(sheet.locator("article.goal", has_text=HER_WORDS)).to_contain_text(STEP)
    expect(sheet.locator(".contacts")).to_contain_text(world.alice.display_name())
    expect(sheet.locator(".box-agreed")).to_contain_text(
        f"{DAUGHTER} ({RELATIONSHIP}) aceptó este plan por usted el"
    )
    screenshot("careplan-6-print-es", on=page)

    # ...and in English.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(sheet.get_by_role("heading", level=1)).to_have_text("My care plan: Paula Reyes")
    expect(sheet).to_contain_text(HER_WORDS)  # her words are never translated
    expect(sheet.locator(".box-agreed")).to_contain_text(
        f"{DAUGHTER} ({RELATIONSHIP}) agreed to this plan for you on"
    )
    screenshot("careplan-7-print-en", on=page)

    # The PDF of the same copy.
    pdf_href = page.get_by_role("link", name="Download PDF").get_attribute("href")
    assert pdf_href is not None and "lang=en" in pdf_href
    pdf = page.request.get(f"{base}{pdf_href}")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # The versions page lists the version in force.
    page.goto(f"{base}/careplans/{plan.pk}/")
    page.get_by_role("link", name="Versions (1)").click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("In force")
    expect(row).to_contain_text(world.alice.display_name())
    screenshot("careplan-8-versions", on=page)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.current_version == 1
    (agreed,) = PlanAgreement.objects.all()
    assert (agreed.agreed_by, agreed.proxy_name, agreed.proxy_relationship) == (
        AgreedBy.PROXY,
        DAUGHTER,
        RELATIONSHIP,
    )
    context.close()


def test_the_supervisor_approves_a_plan_sent_for_approval(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = build_world()  # complex case management: its plans need the team supervisor's approval
    plan = actions.do_create_plan(world.alice, world.paula_case)
    actions.do_add_goal(
        world.alice, plan, patient_words=HER_WORDS, proposed_by="patient", measure="steps", target_value=3000
    )
    base = live_server.url

    alice_ctx, page = _log_in(browser, base, world.alice)
    page.goto(f"{base}/careplans/{plan.pk}/")
    expect(page.locator(".plan-head")).to_contain_text("Sam Tester approves each version")
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_text("Sent to the supervisor for approval.")).to_be_visible()
    expect(page.locator("#awaiting-approval")).to_be_visible()
    expect(page.get_by_role("link", name="Add a goal")).to_have_count(0)  # frozen until decided
    screenshot("careplan-9-awaiting-approval", on=page)
    alice_ctx.close()

    sam_ctx, page = _log_in(browser, base, world.sam)
    page.goto(f"{base}/careplans/{plan.pk}/")
    decide = page.locator("form.decide")
    expect(decide).to_be_visible()
    decide.locator("#id_decision").select_option("approve")
    decide.get_by_label("Comments").fill("Buen plan.")
    screenshot("careplan-10-supervisor-decides", on=page)
    decide.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    expect(page.locator("#plan-title")).to_contain_text("Version 1")
    expect(page.locator("#awaiting-approval")).to_have_count(0)
    screenshot("careplan-11-approved", on=page)
    sam_ctx.close()

    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert plan.versions.get().status == VersionStatus.IN_FORCE
