"""The coordination screens other than the morning's worklist, in Chromium, with screenshots to look at: the
supervisor's team view, a task's hand-over form and a queue task's Claim button, the care team with a caregiver
outside the system who leads it (and the add form's error beside its field), closing a case (the drafted summary,
then the supervisor's decision), the administrator's follow-up settings and the monthly time report with 99490.

One scene serves them all, built through the actions: the enrolments, the consent, the conditions and the care
plan on the first day of last month (time-machine), last month's 25-minute call, then today's state."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
import time_machine

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.careplans import actions as plan_actions
from careconductor.cases.choices import CaseStatus, ClosureReason, Program
from careconductor.cases.models import Case
from careconductor.coordination.actions import (
    do_create_task,
    do_escalate_overdue_tasks,
)
from careconductor.coordination.choices import ClosureStatus, TaskPriority
from careconductor.coordination.models import CadenceRule, ClosureRequest, Task, TaskReassignment
from careconductor.core import clock
from careconductor.patients.actions import do_add_care_team_member, do_add_condition, do_add_encounter
from careconductor.patients.choices import CareTeamCategory
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType

from ..personas import World, build_world, make_staff
from .test_morning import (
    LAPTOP,
    TABLET,
    at,
    enrol,
    last_business_day,
    log_in,
    overflow,
    patient_of,
    reached,
    settle,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HER_GOAL = "Quiero caminar a la iglesia los domingos"
DAUGHTER = "Lucía Reyes"


@dataclass
class Scene:
    world: World
    cara: User  # a case manager over her capacity
    last_month: dt.date  # its first day
    bea: Patient  # Bob's, never reached since enrolment
    own_task: Task  # Alice's routine task on Paula
    queue_task: Task  # in team North's queue, on Paula
    late_task: Task  # Bob's, overdue and escalated to Sam


def build_scene() -> Scene:
    today = clock.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with time_machine.travel(at(last_month, 9), tick=True):
        world = build_world()
        alice, bob = world.alice, world.bob
        cara = make_staff("cara", Role.CASE_MANAGER, world.riverside, team=world.north, capacity=10)
        paula_case = enrol(alice, world.paula_case)
        do_add_condition(alice, world.paula, icd10_code="E11.9", display="Type 2 diabetes")
        do_add_condition(alice, world.paula, icd10_code="I50.22", display="Chronic systolic heart failure")
        do_record_consent(
            alice,
            world.paula,
            consent_type=ConsentType.CCM_BILLING,
            method=ConsentMethod.VERBAL,
            given_on=last_month,
        )
        plan = plan_actions.do_create_plan(alice, paula_case)
        plan_actions.do_add_goal(
            alice,
            plan,
            patient_words=HER_GOAL,
            proposed_by="patient",
            measure="other",
            measure_text="Walks to church",
            target_text="Walks to church most Sundays",
        )
        plan_actions.do_publish(alice, plan, reason="")
        olive = patient_of(alice, "Olive", "Ashworth", tier=4, phone="555-0141")
        bea = patient_of(bob, "Bea", "Fairley", tier=4, phone="555-0151")
        patient_of(bob, "Bill", "Garnett", tier=4, phone="555-0152")
        bo = patient_of(bob, "Bo", "Hollis", tier=1, phone="555-0153")
        for given in ("Cy", "Cass"):
            patient_of(cara, given, "Ingram", tier=4)
    reached(alice, world.paula, at(last_month + dt.timedelta(days=9), 10), minutes=25)
    reached(alice, olive.patient, at(today - dt.timedelta(days=7), 10))
    reached(bob, bo.patient, at(today - dt.timedelta(days=1), 10))  # every 60 days: not due for weeks
    discharged_on = last_business_day(today)
    do_add_encounter(
        alice,
        olive.patient,
        encounter_class="IMP",
        facility="St Mary's",
        start=at(discharged_on - dt.timedelta(days=3), 14),
        end=at(discharged_on, 11),
        discharge_disposition="home",
    )
    own_task = do_create_task(
        alice,
        world.paula,
        owner=alice,
        title="Send the diabetes diet leaflet in Spanish",
        due_at=at(today + dt.timedelta(days=1), 17),
        case_id=paula_case.pk,
    )
    queue_task = do_create_task(
        alice,
        world.paula,
        team=world.north,
        title="Book transport to the eye clinic",
        due_at=at(today + dt.timedelta(days=2), 12),
        case_id=paula_case.pk,
    )
    late_task = do_create_task(
        bob,
        bea.patient,
        owner=bob,
        title="Chase the cardiology letter",
        due_at=at(today - dt.timedelta(days=3), 12),
        priority=TaskPriority.URGENT,
    )
    do_escalate_overdue_tasks()
    do_add_care_team_member(
        alice,
        world.paula,
        role="Daughter, main caregiver",
        category=CareTeamCategory.CAREGIVER,
        name=DAUGHTER,
        phone="555-0177",
        email="lucia.reyes@example.org",
        is_lead=True,
    )
    return Scene(world, cara, last_month, bea.patient, own_task, queue_task, late_task)


@pytest.fixture
def scene(settings) -> Scene:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()  # Paula's plan comes into force without an approval
    return build_scene()


def _in_view(page, locator) -> bool:  # type: ignore[no-untyped-def]
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return bool(box and box["y"] >= 0 and box["y"] + box["height"] <= height)


# --- The supervisor's team view --------------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "viewport"), [("laptop", LAPTOP), ("tablet", TABLET)])
def test_the_team_view_shows_who_is_behind(
    live_server, browser, screenshot, scene: Scene, size, viewport
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    w = scene.world
    context, page = log_in(browser, live_server.url, w.sam, viewport)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    expect(page).to_have_url(re.compile(r"/worklist/team/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Team view")
    rows = page.locator("table.team tbody tr")
    expect(rows).to_have_count(3)  # Alice, Bob and Cara: the staff with a caseload capacity
    # Most behind first: Bob (2 contacts and a task overdue, escalated).
    bob = rows.first
    expect(bob).to_contain_text("Bob Tester")
    cells = bob.locator("td")
    expect(cells.nth(1)).to_have_text("3")  # cases
    expect(cells.nth(2)).to_contain_text("13 / 60 (22%)")  # 6 + 6 + 1 points
    expect(cells.nth(3)).to_have_text("2")
    expect(cells.nth(5)).to_contain_text("1 (1 escalated)")
    alice = rows.filter(has_text="Alice Tester")
    # Paula (tier 3, last reached 10 days into last month) is overdue; Olive (tier 4, 7 days ago) is due today.
    expect(alice.locator("td").nth(3)).to_have_text("1")
    expect(alice.locator("td").nth(4)).to_have_text("1")
    expect(alice.locator("td").nth(6)).to_have_text("1")  # Olive's discharge
    cara = rows.filter(has_text="Cara Tester")
    expect(cara.locator("td").nth(2)).to_contain_text("12 / 10 (120%)")
    expect(cara.locator("td").nth(2).locator("span.over")).to_have_count(1)
    expect(page.locator("meter.load")).to_have_count(3)

    urgent = page.locator(
        "section", has=page.get_by_role("heading", name="Urgent and overdue across the team")
    )
    late = urgent.locator("tbody tr", has_text="Chase the cardiology letter")
    expect(late).to_contain_text("(escalated)")
    expect(late.locator("td").last).to_have_text("Bob Tester")
    expect(urgent.locator("tbody tr", has_text="Fairley, Bea").first).to_be_visible()
    print(f"\n[team {size}] overflow {overflow(page)}")
    screenshot(f"coordination-team-{size}", on=page)
    settle(page)  # the badge request of the last page writes the session
    context.close()


# --- Tasks: hand-over and the queue's Claim ---------------------------------------------------------------------
def test_a_task_is_handed_over_and_a_queue_task_claimed(
    live_server, browser, screenshot, scene: Scene
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    w = scene.world
    context, page = log_in(browser, live_server.url, w.alice, TABLET)

    page.goto(f"{live_server.url}/tasks/{scene.own_task.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paula Reyes")  # the patient banner
    expect(
        page.get_by_role("heading", level=2, name="Send the diabetes diet leaflet in Spanish")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Claim this task")).to_have_count(0)  # already Alice's
    handover = page.locator("#reassign")
    handover.get_by_label("Hand to").select_option(label="Bob Tester")
    handover.get_by_role("button", name="Hand over").click()
    why = page.locator("#reassign .field", has=page.locator("#id_reason"))
    expect(why).to_have_class(re.compile(r"\bhas-error\b"))
    expect(why.locator(".error")).to_have_text("Say why the task changes hands.")
    settle(page)
    assert not TaskReassignment.objects.filter(task=scene.own_task).exists()
    print(f"\n[task] hand-over error in view: {_in_view(page, why.locator('.error'))}")
    screenshot("coordination-task-handover-error", on=page)
    page.locator("#reassign").get_by_label("Hand to").select_option(label="Bob Tester")
    page.locator("#reassign").get_by_label("Why").fill("Bob speaks with the diabetes educator on Tuesdays")
    page.locator("#reassign").get_by_role("button", name="Hand over").click()
    expect(page.locator(".flash")).to_have_text("Task handed to Bob Tester.")
    expect(page.locator("ul.timeline")).to_contain_text("Alice Tester → Bob Tester")
    screenshot("coordination-task-handed-over", on=page)

    # The queue's task: Claim, and it is hers.
    page.goto(f"{live_server.url}/tasks/{scene.queue_task.pk}/")
    expect(page.locator("dl.facts")).to_contain_text("North queue")
    claim = page.get_by_role("button", name="Claim this task")
    expect(claim).to_be_visible()
    screenshot("coordination-task-queue-claim", on=page)
    claim.click()
    expect(page.locator(".flash")).to_have_text("The task is yours.")
    expect(page.get_by_role("button", name="Claim this task")).to_have_count(0)
    expect(page.locator("ul.timeline")).to_contain_text("North queue → Alice Tester (claimed)")
    settle(page)
    scene.queue_task.refresh_from_db()
    assert scene.queue_task.owner_id == w.alice.pk
    settle(page)  # the badge request of the last page writes the session
    context.close()


# --- The care team ---------------------------------------------------------------------------------------------
def test_the_care_team_with_a_caregiver_who_leads_and_the_add_forms_error(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, scene: Scene
) -> None:
    from playwright.sync_api import expect

    w = scene.world
    context, page = log_in(browser, live_server.url, w.alice, TABLET)
    page.goto(f"{live_server.url}/patients/{w.paula.pk}/care-team/")
    expect(page.get_by_role("heading", level=2, name="Care team of Paula Reyes")).to_be_visible()
    rows = page.locator("table tbody tr")
    daughter = rows.filter(has_text=DAUGHTER)
    expect(daughter.locator(".badge", has_text="Lead")).to_be_visible()
    expect(daughter.locator(".badge", has_text="outside the system")).to_be_visible()
    expect(daughter).to_contain_text("555-0177")
    expect(daughter).to_contain_text("Family caregiver")
    dana = rows.filter(has_text="Dana Tester")
    expect(dana.get_by_role("button", name="Make lead")).to_be_visible()
    expect(page.locator(".badge", has_text="Lead")).to_have_count(1)
    print(f"\n[care team] overflow {overflow(page)}")
    screenshot("coordination-care-team", on=page)

    # Someone outside the system with no way to reach them: the error beside Phone, nothing added.
    add = page.locator("#add")
    add.get_by_label("Name (outside the system)").fill("Marco Díaz")
    add.get_by_label("Kind of member").select_option(label="Community health worker")
    add.get_by_label("Role on the team").fill("Community health worker, home visits")
    add.get_by_role("button", name="Add to the team").click()
    phone = page.locator("#add .field", has=page.locator("#id_phone"))
    expect(phone).to_have_class(re.compile(r"\bhas-error\b"))
    expect(phone.locator(".error")).to_have_text(
        "Give a phone number or e-mail address, so the team can reach them."
    )
    expect(page.locator("#id_name")).to_have_value("Marco Díaz")  # kept
    settle(page)
    assert not CareTeamMember.objects.filter(name="Marco Díaz").exists()
    print(f"[care team] phone error in view on arrival: {_in_view(page, phone.locator('.error'))}")
    page.locator("#add").scroll_into_view_if_needed()
    screenshot("coordination-care-team-add-error", on=page)
    page.locator("#add").get_by_label("Phone").fill("555-0188")
    page.locator("#add").get_by_role("button", name="Add to the team").click()
    expect(page.locator(".flash")).to_have_text("Added to the care team.")
    expect(page.locator("table tbody tr", has_text="Marco Díaz")).to_contain_text("555-0188")
    expect(page.locator(".badge", has_text="Lead")).to_have_count(1)
    settle(page)  # the badge request of the last page writes the session
    context.close()


# --- Closing a case: the drafted summary, then the supervisor ------------------------------------------------------
def test_closing_a_case_drafts_the_summary_and_the_supervisor_decides(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, scene: Scene
) -> None:
    from playwright.sync_api import expect

    w = scene.world
    case = w.paula_case
    context, page = log_in(browser, live_server.url, w.alice, LAPTOP)
    page.goto(f"{live_server.url}/cases/{case.pk}/close/")
    expect(page.get_by_role("heading", level=2, name="Close the case")).to_be_visible()
    expect(page.locator("main")).to_contain_text("your request and summary go to Sam Tester")
    summary = page.get_by_label("Closing summary")
    draft = summary.input_value()
    assert HER_GOAL in draft, draft
    assert "Open work and referrals" in draft and "Book transport to the eye clinic (North queue" in draft, (
        draft
    )
    assert "Who takes over\n- not yet named" in draft, draft
    screenshot("coordination-close-1-draft", on=page)

    # "Unable to reach" before the protocol is refused, and says why.
    page.get_by_label("Reason for closing").select_option(label=ClosureReason.UNABLE_TO_REACH.label)
    page.get_by_role("button", name="Ask to close").click()
    refusal = page.get_by_text(re.compile(r"^Finish the unable-to-reach protocol first"))
    expect(refusal).to_be_visible()
    beside_reason = page.locator(".field", has=page.locator("#id_reason")).locator(".error")
    print(f"\n[close] unable-to-reach refusal beside the Reason field: {beside_reason.count() > 0}")
    screenshot("coordination-close-2-unable-to-reach-refused", on=page)
    settle(page)
    assert not ClosureRequest.objects.exists()

    page.get_by_label("Reason for closing").select_option(label=ClosureReason.GOALS_MET.label)
    page.get_by_label("Who takes over").fill("Dr Dana Tester (PCP) and her daughter Lucía")
    page.get_by_role("button", name="Ask to close").click()
    expect(page.locator(".flash")).to_have_text("Sent to the supervisor for approval.")
    waiting = page.locator("section", has=page.get_by_role("heading", name="Waiting for the supervisor"))
    expect(waiting).to_contain_text(HER_GOAL)
    expect(waiting.locator("form")).to_have_count(0)  # Alice cannot decide her own request
    screenshot("coordination-close-3-waiting", on=page)
    settle(page)  # the badge request of the last page writes the session
    context.close()

    # The supervisor: returning without a comment is refused beside Comments; then he approves.
    context, page = log_in(browser, live_server.url, w.sam, LAPTOP)
    page.goto(f"{live_server.url}/cases/{case.pk}/close/")
    waiting = page.locator("section", has=page.get_by_role("heading", name="Waiting for the supervisor"))
    expect(waiting).to_contain_text("Alice Tester asked on")
    expect(waiting.locator("pre.notes")).to_contain_text("Who takes over")
    # What Alice typed under "Who takes over" is on the request, but is it on the supervisor's screen?
    settle(page)
    request = ClosureRequest.objects.get()
    assert request.takes_over == "Dr Dana Tester (PCP) and her daughter Lucía"
    print(
        f"[close] the supervisor sees who takes over: {waiting.get_by_text('Dr Dana Tester (PCP)').count() > 0}"
    )
    screenshot("coordination-close-4-supervisor-form", on=page)
    waiting.get_by_role("radio", name="Return with comments").check()
    waiting.get_by_role("button", name="Record decision").click()
    comments = page.locator(".field", has=page.locator("#id_comment"))
    expect(comments).to_have_class(re.compile(r"\bhas-error\b"))
    expect(comments.locator(".error")).to_have_text("Say what needs to change before the case can close.")
    screenshot("coordination-close-5-supervisor-error", on=page)
    page.get_by_role("radio", name="Approve and close the case").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".flash")).to_have_text("Case closed.")
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    screenshot("coordination-close-6-closed", on=page)
    settle(page)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and HER_GOAL in case.closing_summary
    assert "Who takes over\n- Dr Dana Tester (PCP) and her daughter Lucía" in case.closing_summary
    assert ClosureRequest.objects.get().status == ClosureStatus.APPROVED
    settle(page)  # the badge request of the last page writes the session
    context.close()


# --- Follow-up settings (administrator) --------------------------------------------------------------------------
def test_the_follow_up_settings_of_an_administrator(live_server, browser, screenshot, scene: Scene) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    w = scene.world
    context, page = log_in(browser, live_server.url, w.adam, TABLET)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Set-up").click()
    page.get_by_role("navigation", name="Set-up").get_by_role("link", name="Follow-up settings").click()
    expect(page).to_have_url(re.compile(r"/settings/follow-up/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up settings")
    table = page.locator("table").first
    expect(table.locator("tbody tr")).to_have_count(4 * len(Program))
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("7 days")
    expect(first).to_contain_text("(default)")
    print(f"\n[settings] overflow {overflow(page)}")
    screenshot("coordination-settings-1", on=page)

    form = page.locator("form", has=page.locator("input[name=form][value=cadence]"))
    form.get_by_label("Programme").select_option(label=Program.COMPLEX.label)
    form.get_by_label("Acuity tier").select_option("4")
    form.get_by_label("Contact every (days)").fill("0")
    form.get_by_role("button", name="Save").click()
    every = page.locator(".field", has=page.locator("#id_interval_days"))
    expect(every).to_have_class(re.compile(r"\bhas-error\b"))
    print(f"[settings] interval error: {every.locator('.error').inner_text()!r}")
    settle(page)
    assert not CadenceRule.objects.exists()
    every.scroll_into_view_if_needed()
    screenshot("coordination-settings-2-error", on=page)

    form = page.locator("form", has=page.locator("input[name=form][value=cadence]"))
    form.get_by_label("Contact every (days)").fill("5")
    form.get_by_label("How").select_option(label="Phone")
    form.get_by_label("By whom").fill("nurse case manager")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Cadence saved.")
    row = page.locator("table").first.locator("tbody tr", has_text=Program.COMPLEX.label).first
    expect(row).to_contain_text("5 days")
    expect(row).to_contain_text("nurse case manager")
    expect(row.get_by_role("button", name="Use the default")).to_be_visible()
    screenshot("coordination-settings-3-saved", on=page)
    settle(page)
    rule = CadenceRule.objects.get()
    assert (rule.program, rule.acuity_tier, rule.interval_days) == (Program.COMPLEX, 4, 5)
    settle(page)  # the badge request of the last page writes the session
    context.close()


# --- The monthly time report -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "viewport"), [("laptop", LAPTOP), ("tablet", TABLET)])
def test_the_time_report_shows_99490(live_server, browser, screenshot, scene: Scene, size, viewport) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    w = scene.world
    month = f"{scene.last_month:%Y-%m}"
    context, page = log_in(browser, live_server.url, w.sam, viewport)
    page.goto(f"{live_server.url}/reports/time/?month={month}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Care-management time, {scene.last_month:%B %Y}"
    )
    paula = page.locator("table.time-report tbody tr", has_text="Paula Reyes")
    expect(paula).to_have_count(1)
    expect(paula.locator("td").nth(1)).to_have_text("25 / 0 / 0 / 0")
    expect(paula.locator("td").nth(2)).to_contain_text("99490")
    expect(paula.locator("td").nth(2).locator(".badge")).to_have_text("billable")
    expect(page.locator("main")).to_contain_text("Billable this month: 99490 × 1.")
    csv_link = page.get_by_role("link", name="Download CSV")
    assert csv_link.get_attribute("href") == f"/reports/time.csv?month={month}"
    print(f"\n[time report {size}] overflow {overflow(page)}")
    screenshot(f"coordination-time-report-{size}", on=page)
    settle(page)  # the badge request of the last page writes the session
    context.close()


def test_the_case_stays_open_until_decided(scene: Scene) -> None:
    """The scene itself: what the screens above start from (no browser)."""
    case = Case.objects.get(pk=scene.world.paula_case.pk)
    assert case.status == CaseStatus.ACTIVE
    assert Task.objects.get(pk=scene.late_task.pk).escalated_to_id == scene.world.sam.pk
    assert Task.objects.get(pk=scene.queue_task.pk).owner_id is None
