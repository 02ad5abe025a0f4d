"""The worklist: today's work ranked by what matters, each row saying why (issue 7, "The worklist"), built with
a fixed number of queries whatever the caseload, scoped to the user; the supervisor's team view."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.coordination import rules
from careconductor.coordination import worklist_rows as worklist_rows_module
from careconductor.coordination.actions import do_create_task, do_raise_flag
from careconductor.coordination.choices import TaskPriority
from careconductor.coordination.rules import Band, WorkItem
from careconductor.coordination.worklist import build_team_worklist, build_worklist
from careconductor.medications import actions as med_actions
from careconductor.patients.actions import PatientDetails, do_add_encounter
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient

from ..personas import World, build_world, make_staff
from .test_followup_actions import at, enrol, log

pytestmark = pytest.mark.django_db

START = dt.date(2027, 2, 1)  # Monday: the world is built and the cases enrolled
TODAY = dt.date(2027, 3, 8)  # Monday five weeks later: the morning the worklist is read
FRIDAY = dt.date(2027, 3, 5)


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(at(START, 9), tick=False) as t:
        yield t


@pytest.fixture
def world(db: None, traveller: time_machine.Traveller) -> World:
    return build_world()


def patient_of(
    world: World, manager: User, given: str, *, tier: int = 2, program: Program = Program.CCM
) -> Case:
    """A patient registered by `manager` (who so carries the case), enrolled today."""
    patient = do_register_and_refer(
        manager,
        PatientDetails(
            given_name=given, family_name="Worklist", birth_date=dt.date(1948, 6, 1), sex=Sex.FEMALE
        ),
        program=program,
        referral_source=ReferralSource.HOSPITAL,
        referral_reason="Heart failure and diabetes",
        acuity_tier=tier,
    )
    return enrol(world, Case.objects.get(patient=patient), manager)


def discharge(user: User, patient: Patient, day: dt.date, facility: str = "St Mary's") -> None:
    do_add_encounter(
        user,
        patient,
        encounter_class="IMP",
        facility=facility,
        start=at(day - dt.timedelta(days=3), 14),
        end=at(day, 11),
        discharge_disposition="home",
    )


def task(user: User, patient: Patient, title: str, due: dt.date, **kw: Any) -> Any:
    kw.setdefault("owner", user)
    return do_create_task(user, patient, title=title, due_at=at(due, 17), **kw)


def rows_for(items: list[WorkItem], patient: Patient) -> list[WorkItem]:
    return [i for i in items if i.patient_id == patient.pk]


@pytest.fixture
def morning(world: World, traveller: time_machine.Traveller) -> dict[str, Any]:
    """Alice's caseload on the morning of TODAY, one patient per kind of work:

    flagged   a safety alert                           tier 2, reached Mar 1
    urgent    an urgent task due tomorrow               tier 2, reached Mar 1
    overdue   Paula, tier 3 (14 days), last reached Feb 15 → contact overdue since Mar 1
    today     tier 4 (7 days), last reached Mar 1       → contact due today
    home      discharged home Friday Mar 5              tier 2, reached Mar 1 (before the discharge)
    routine   a routine task due Friday                 tier 2, reached Mar 1
    and a routine task in team North's queue (on `flagged`).
    """
    alice = world.alice
    cases = {
        "flagged": patient_of(world, alice, "Flora"),
        "urgent": patient_of(world, alice, "Uma"),
        "overdue": enrol(world, world.paula_case),  # complex case management, tier 3
        "today": patient_of(world, alice, "Tess", tier=4),
        "home": patient_of(world, alice, "Hal"),
        "routine": patient_of(world, alice, "Rita"),
    }
    p = {name: case.patient for name, case in cases.items()}
    traveller.move_to(at(dt.date(2027, 2, 15), 10))
    log(alice, p["overdue"], at(dt.date(2027, 2, 15), 9))
    traveller.move_to(at(dt.date(2027, 3, 1), 10))
    for name in ("flagged", "urgent", "today", "home", "routine"):
        log(alice, p[name], at(dt.date(2027, 3, 1), 9))
    traveller.move_to(at(FRIDAY, 15))
    discharge(alice, p["home"], FRIDAY)
    traveller.move_to(at(TODAY, 8))
    flag = do_raise_flag(alice, p["flagged"], text="Said she does not feel safe at home", rule="test-safety")
    urgent = task(
        alice,
        p["urgent"],
        "Call about the insulin refill",
        TODAY + dt.timedelta(days=1),
        priority=TaskPriority.URGENT,
    )
    routine = task(alice, p["routine"], "Send the diet leaflet", dt.date(2027, 3, 12))
    queued = task(
        alice, p["flagged"], "Book transport", TODAY + dt.timedelta(days=1), owner=None, team=world.north
    )
    return {"patients": p, "flag": flag, "urgent": urgent, "routine": routine, "queued": queued}


def test_the_worklist_ranks_what_matters_first_and_says_why(world: World, morning: dict[str, Any]) -> None:
    p = morning["patients"]
    items = build_worklist(world.alice).items
    assert [i.band for i in items] == sorted(i.band for i in items)
    # Reassessments (the complexity grid and the social-needs screen, never done since enrolment) fill the
    # REVIEW band for every case; everything else, in order:
    others = [(i.kind, i.patient_id) for i in items if i.kind != "reassessment"]
    assert others == [
        ("flag", p["flagged"].pk),
        ("task", p["urgent"].pk),
        ("contact", p["overdue"].pk),
        ("contact", p["today"].pk),
        ("transition", p["home"].pk),
        ("task", p["flagged"].pk),  # the queue task, due tomorrow
        ("task", p["routine"].pk),  # the routine task, due Friday: last
    ]
    reasons = {(i.kind, i.patient_id): i.reason for i in items if i.kind != "reassessment"}
    assert reasons[("flag", p["flagged"].pk)] == "Safety alert: Said she does not feel safe at home"
    assert reasons[("task", p["urgent"].pk)] == "Urgent task, due Mar 9: Call about the insulin refill"
    assert reasons[("contact", p["overdue"].pk)] == (
        "Contact overdue by 7 d (last reached Feb 15; every 14 days) by phone"
    )
    assert (
        reasons[("contact", p["today"].pk)] == "Contact due today (last reached Mar 1; every 7 days) by phone"
    )
    assert reasons[("task", p["routine"].pk)] == "Routine task, due Mar 12: Send the diet leaflet"
    review = [i for i in items if i.kind == "reassessment"]
    assert {i.patient_id for i in review} == {pt.pk for pt in p.values()}
    assert {i.band for i in review} == {Band.REVIEW}
    assert all(
        i.overdue and i.reason.startswith("Reassessment:") and "overdue since Feb 1" in i.reason
        for i in review
    )
    assert all(i.reason for i in items)


def test_the_transitional_care_row_of_a_friday_discharge_names_the_tuesday(
    world: World, morning: dict[str, Any]
) -> None:
    [row] = [
        i
        for i in rows_for(build_worklist(world.alice).items, morning["patients"]["home"])
        if i.kind == "transition"
    ]
    # clinical.md §7 TCM timer model: contact due 2 business days after the discharge.
    assert (
        row.reason
        == "Discharged from St Mary's Mar 5: interactive contact due by Tue Mar 9 (2 business days)"
    )
    assert row.due is not None
    assert (row.band, row.overdue, row.due.date()) == (Band.TRANSITION, False, dt.date(2027, 3, 9))


def test_the_transitional_care_row_moves_to_the_visit_once_the_contact_is_made(
    world: World, morning: dict[str, Any], traveller: time_machine.Traveller
) -> None:
    home = morning["patients"]["home"]
    log(world.alice, home, at(TODAY, 7, 30))  # Monday: within the 2 business days
    [row] = [i for i in rows_for(build_worklist(world.alice).items, home) if i.kind == "transition"]
    # Tier 2 is not high complexity here: the visit is due within 14 days (99495), on Mar 19.
    assert row.reason == (
        "Discharged from St Mary's Mar 5: follow-up visit due by Mar 19 (14 days); medicines to reconcile by then"
    )
    traveller.move_to(at(dt.date(2027, 3, 10), 9))
    assert not rows_for(build_worklist(world.alice).items, home)[0].overdue


def test_the_transitional_care_row_is_done_once_the_medicines_are_reconciled(
    world: World, morning: dict[str, Any], traveller: time_machine.Traveller
) -> None:
    # clinical.md §7, TCM: the contact, the visit and the medicines reconciled by the visit.
    home = morning["patients"]["home"]
    log(world.alice, home, at(TODAY, 7, 30))
    traveller.move_to(at(dt.date(2027, 3, 12), 9))
    do_add_encounter(world.alice, home, encounter_class="AMB", start=at(dt.date(2027, 3, 12), 8))

    def transition_rows() -> list[WorkItem]:
        return [
            i
            for i in rows_for(build_worklist(world.alice).items, home)
            if i.kind in ("transition", "reconcile")
        ]

    [row] = transition_rows()
    assert (row.kind, row.band, row.overdue) == ("reconcile", Band.TRANSITION, False)
    assert (
        row.reason
        == "Discharged from St Mary's Mar 5: visit done, medicines not reconciled – reconcile them now"
    )
    traveller.move_to(at(dt.date(2027, 3, 13), 9))
    assert transition_rows()[0].overdue  # after the visit's day: late for TCM
    reconciliation = med_actions.do_start_reconciliation(world.alice, home)
    line = med_actions.do_add_discharge_line(world.alice, reconciliation, name="Furosemide", dose="40 mg")
    med_actions.do_decide_line(world.alice, line, decision="new")
    med_actions.do_complete_reconciliation(world.alice, reconciliation, participants="the patient")
    [row] = transition_rows()
    assert row.band == Band.OTHER and "in the 30-day transitional period until Apr 3" in row.reason


def test_a_missed_two_day_contact_says_so(
    world: World, morning: dict[str, Any], traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(dt.date(2027, 3, 10), 9))  # Wednesday
    home = morning["patients"]["home"]
    [row] = [i for i in rows_for(build_worklist(world.alice).items, home) if i.kind == "transition"]
    assert row.overdue and row.reason.endswith("2-business-day contact was due Mar 9 – missed, call now")


def test_the_queue_task_of_the_users_team_appears_to_be_claimed(
    world: World, morning: dict[str, Any], login
) -> None:
    queued = morning["queued"]
    [row] = [i for i in build_worklist(world.alice).items if i.task_id == queued.pk]
    assert row.reason == "In the North queue – claim it. Routine task, due Mar 9: Book transport"
    assert row.staff_id is None
    page = login(world.alice).get(reverse("coordination:worklist")).content.decode()
    claim = reverse("coordination:task_claim", args=[queued.pk])
    assert f'action="{claim}"' in page
    assert f'action="{reverse("coordination:task_claim", args=[morning["routine"].pk])}"' not in page
    # The page shows the rows in the worklist's order, each patient once with all their rows (the reassessments
    # of each come with them), where their most pressing row ranks.
    p = morning["patients"]
    names = [
        f"{p[k].family_name}, {p[k].given_name}"
        for k in ("flagged", "urgent", "overdue", "today", "home", "routine")
    ]
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions) and all(page.count(name) == 1 for name in names)
    positions = [
        page.index(text)
        for text in (
            "Safety alert: Said she does not feel safe at home",
            "Urgent task, due Mar 9",
            "Contact overdue by 7 d",
            "Contact due today",
            "interactive contact due by Tue Mar 9",
            "Routine task, due Mar 12",
        )
    ]
    assert positions == sorted(positions)


def test_an_alert_and_its_task_are_one_row_and_a_patients_rows_one_group(
    world: World, morning: dict[str, Any], login
) -> None:
    flora = morning["patients"]["flagged"]
    follow_up = task(
        world.alice,
        flora,
        "Call Flora about her safety",
        TODAY,
        priority=TaskPriority.URGENT,
        rule="test-safety",
    )
    rows = rows_for(build_worklist(world.alice).items, flora)
    # The alert and the task its rule raised: one row with both; the queue task and the reviews are her others.
    [alert] = [i for i in rows if i.band == Band.URGENT]
    assert (alert.kind, alert.flag_id, alert.task_id) == ("alert", morning["flag"].pk, follow_up.pk)
    assert alert.reason == "Safety alert: Said she does not feel safe at home – urgent task, due today"
    assert sorted(i.kind for i in rows) == ["alert", "reassessment", "task"]

    page = login(world.alice).get(reverse("coordination:worklist")).content.decode()
    groups = re.findall(r'<tbody class="patient-group" data-patient="(\d+)">(.*?)</tbody>', page, re.S)
    assert [pid for pid, _ in groups].count(str(flora.pk)) == 1  # one patient, one group
    [group] = [body for pid, body in groups if pid == str(flora.pk)]
    assert group.count("Worklist, Flora") == 1 and group.count("<tr ") == 3
    assert 'rowspan="3"' in group and "3 items" in group
    assert reverse("coordination:task", args=[follow_up.pk]) in group and "Review alert" in group
    assert "Book transport" in group and "Reassessment:" in group
    assert "Safety alert: Said she does not feel safe at home" in group
    assert page.count("Said she does not feel safe at home") == 1


def test_filters_narrow_the_page(world: World, morning: dict[str, Any], login) -> None:
    client = login(world.alice)
    contacts = client.get(reverse("coordination:worklist"), {"band": int(Band.CONTACT)}).content.decode()
    assert "Contact overdue by 7 d" in contacts and "Safety alert" not in contacts
    tier4 = client.get(reverse("coordination:worklist"), {"tier": 4}).content.decode()
    assert "Contact due today" in tier4 and "Contact overdue" not in tier4
    other = client.get(reverse("coordination:worklist"), {"program": "tcm"}).content.decode()
    assert "Nothing is due" in other


def test_a_user_sees_only_their_own_caseload(
    world: World, morning: dict[str, Any], traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(START, 10))
    bobs = patient_of(world, world.bob, "Bea", tier=4)
    traveller.move_to(at(TODAY, 9))
    alices_patients = {p.pk for p in morning["patients"].values()}
    assert {i.patient_id for i in build_worklist(world.alice).items} == alices_patients
    # Bob is on team North too, but the North queue task is about Flora, whom he may not see (privacy.policy).
    assert {i.patient_id for i in build_worklist(world.bob).items} == {bobs.patient_id}
    assert build_worklist(world.charlie).items == []
    team = {i.patient_id for i in build_team_worklist(world.sam).items}
    assert team == alices_patients | {bobs.patient_id}


def test_a_logged_contact_moves_its_row_at_once(world: World, morning: dict[str, Any]) -> None:
    overdue = morning["patients"]["overdue"]
    assert [
        i.kind for i in rows_for(build_worklist(world.alice).items, overdue) if i.band == Band.CONTACT
    ] == ["contact"]
    log(world.alice, overdue, at(TODAY, 7, 55))
    assert [i for i in rows_for(build_worklist(world.alice).items, overdue) if i.kind == "contact"] == []


def test_a_long_band_of_reviews_links_to_the_band_alone_which_shows_it_all(
    world: World, morning: dict[str, Any], login, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reviews and routine work past a screenful of patients are not sent at all (the page used to render them
    folded): a link opens the band alone, with the page's other filters, unfolded."""
    monkeypatch.setattr(worklist_rows_module, "FOLD_AFTER", 0)
    client = login(world.alice)
    page = client.get(reverse("coordination:worklist"), {"program": "ccm"})
    reviews = next(g for g in page.context["groups"] if g["band"] == Band.REVIEW)
    assert reviews["groups"] == [] and reviews["more"] == reviews["patients"] > 0
    assert f'href="?program=ccm&amp;band={int(Band.REVIEW)}"' in page.content.decode()
    band = client.get(reverse("coordination:worklist"), {"program": "ccm", "band": int(Band.REVIEW)})
    [only] = band.context["groups"]
    # Alone, the band also shows the reviews of patients whose most pressing work is elsewhere, and folds none.
    assert len(only["groups"]) == only["patients"] >= reviews["patients"] and only["more"] == 0
    # What must happen today is never folded.
    assert all(len(g["groups"]) == g["patients"] for g in page.context["groups"] if g["band"] < Band.REVIEW)


def test_a_short_band_of_reviews_hides_nobody_and_says_no_more(
    world: World, morning: dict[str, Any], login
) -> None:
    page = login(world.alice).get(reverse("coordination:worklist"))
    folded = [g for g in page.context["groups"] if g["band"] >= Band.REVIEW]
    assert folded and all(g["patients"] < worklist_rows_module.FOLD_AFTER for g in folded)
    assert all(g["more"] == 0 and len(g["groups"]) == g["patients"] for g in folded)
    assert "more patient" not in page.content.decode()  # once "-9 more patients: show all"


def test_the_page_audits_the_reads_of_the_patients_it_names_and_no_others(
    world: World, morning: dict[str, Any], login, monkeypatch: pytest.MonkeyPatch
) -> None:
    from careconductor.privacy.models import AuditEvent

    monkeypatch.setattr(worklist_rows_module, "FOLD_AFTER", 0)  # the reviews-only patients are not sent
    client = login(world.alice)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    page = client.get(reverse("coordination:worklist"))
    named = {grp["patient"].pk for g in page.context["groups"] for grp in g["groups"]}
    read = AuditEvent.objects.filter(pk__gt=last, object_type="Worklist")
    assert named and set(read.values_list("patient_id", flat=True)) == named
    assert len(named) < len(build_worklist(world.alice).patients)  # someone was left unread


# --- The supervisor's view --------------------------------------------------------------------------------------
def test_the_team_view_counts_overdue_contacts_per_person(
    world: World, traveller: time_machine.Traveller, login
) -> None:
    enrol(world, world.paula_case)  # tier 3: due Feb 15
    for name in ("Bea", "Bill"):
        patient_of(world, world.bob, name, tier=3)
    traveller.move_to(at(dt.date(2027, 2, 10), 10))
    log(world.alice, world.paula, at(dt.date(2027, 2, 10), 9))  # Alice keeps up: next due Feb 24
    traveller.move_to(at(dt.date(2027, 2, 20), 9))
    client = login(world.sam)
    response = client.get(reverse("coordination:team"))
    assert response.status_code == 200
    rows = {r.profile.user.username: r for r in response.context["rows"]}
    assert (rows["bob"].contacts_overdue, rows["bob"].load.open_cases) == (2, 2)
    assert (rows["alice"].contacts_overdue, rows["alice"].load.open_cases) == (0, 1)
    assert response.context["rows"][0].profile.user == world.bob  # the most behind first
    page = response.content.decode()
    bob_row = re.search(r"Bob Tester<br>.*?</tr>", page, re.S)
    assert bob_row and '<strong class="over">2</strong>' in bob_row.group(0)
    assert login(world.alice).get(reverse("coordination:team")).status_code == 403


# --- Query budget ------------------------------------------------------------------------------------------------
def caseload(world: World, traveller: time_machine.Traveller, username: str, n: int) -> User:
    """A case manager with n active cases, each with a reached contact, a failed attempt, an open task, a safety
    flag and a discharge home: every part of the worklist has rows."""
    traveller.move_to(at(START, 9))
    manager = make_staff(username, Role.CASE_MANAGER, world.riverside, team=world.north, capacity=500)
    for k in range(n):
        case = patient_of(world, manager, f"{username}{k}", tier=1 + k % 4)
        patient = case.patient
        log(manager, patient, at(START, 8), case=case)
        log(manager, patient, at(START, 8, 30), reached=False, case=case)
        task(
            manager,
            patient,
            f"Task {k}",
            START + dt.timedelta(days=k % 30),
            priority="urgent" if k % 3 else "routine",
        )
        do_raise_flag(manager, patient, text="Fell at home", rule="test-falls")
        discharge(manager, patient, START + dt.timedelta(days=1 + k % 5))
    return manager


# Budgets (STYLE.md habit 8; a budget that grows is a reviewed decision). Building the worklist, one query each:
# cases (the last reached contact and the user's teams subqueries), tasks, flags, cadence rows, failed attempts,
# protocol steps, discharges, contacts, visits and medication reconciliations since, holidays (11); the
# registered sources: questionnaires,
# assessments, findings, the organisation's programme rules (reassessments; issue 17), care plans (plan
# reviews), unread portal messages, referrals that came back or wait for an answer (a waiting referral adds the
# holidays since it was sent) and appointments missed or to change (8).
WORKLIST_BUDGET = 19
# The page: session, user, second factor and organisation (4), the worklist (19), the audit of the reads
# (emergency-access check, the chain head, one insert, the head update, in a savepoint) and the session save (8),
# and the outreach campaigns whose calls the user's team makes (1).
PAGE_BUDGET = 32


def test_the_worklist_costs_the_same_queries_for_3_cases_as_for_30(
    world: World, traveller: time_machine.Traveller, login, django_assert_max_num_queries
) -> None:
    small = caseload(world, traveller, "carol", 3)
    large = caseload(world, traveller, "dave", 30)
    traveller.move_to(at(START + dt.timedelta(days=10), 9))

    counts = []
    for user, n in ((small, 3), (large, 30)):
        with CaptureQueriesContext(connection) as queries:
            worklist = build_worklist(user)
        counts.append(len(queries.captured_queries))
        assert len(worklist.cases) == n
        assert {i.kind for i in worklist.items} >= {"flag", "task", "transition", "reassessment"}
    assert counts[0] == counts[1] <= WORKLIST_BUDGET, counts

    pages = []
    for user in (small, large):
        client = login(user)
        with django_assert_max_num_queries(PAGE_BUDGET) as page:
            response = client.get(reverse("coordination:worklist"))
        assert response.status_code == 200
        pages.append(len(page.captured_queries))
    assert pages[0] == pages[1], pages


def test_a_task_for_someone_else_on_the_case_carries_its_programme_and_the_summary_counts_by_date(
    world: World, morning: dict[str, Any], login
) -> None:
    # A task on Rita's (CCM) case: its row carries the case's programme, for the column and the filter, as the
    # contact rows do (task rows had none: a pharmacist's task showed an empty programme and left any filter).
    rita = morning["patients"]["routine"]
    case = Case.objects.get(patient=rita)
    review = task(
        world.alice, rita, "Review the discharge medicines", TODAY, owner=world.alice, case_id=case.pk
    )
    [row] = [i for i in build_worklist(world.alice).items if i.task_id == review.pk]
    assert row.program == case.program == Program.CCM
    client = login(world.alice)
    ccm = client.get(reverse("coordination:worklist"), {"program": "ccm"}).content.decode()
    assert "Review the discharge medicines" in ccm
    tcm = client.get(reverse("coordination:worklist"), {"program": "tcm"}).content.decode()
    assert "Review the discharge medicines" not in tcm
    # "N due today or overdue" goes by the dates (coordination.rules.due_now): the urgent task due tomorrow and
    # the transitional-care contact due by Tuesday sit in early bands but are not due today.
    items = build_worklist(world.alice).items
    early = [i for i in items if i.band < Band.REVIEW]
    counted = [i for i in items if rules.due_now(i, TODAY, timezone.get_current_timezone())]
    assert morning["urgent"].pk in {i.task_id for i in early} - {i.task_id for i in counted}
    assert any(i.kind == "transition" for i in early) and not any(i.kind == "transition" for i in counted)
    page = client.get(reverse("coordination:worklist")).content.decode()
    assert f"<strong>{len(counted)}</strong> due today or overdue" in page


def test_a_task_on_someone_elses_case_shows_that_cases_programme(
    world: World, morning: dict[str, Any], login
) -> None:
    # Dana (Paula's physician) has no case of her own: her task on Paula's case still names its programme.
    paula_case = Case.objects.get(patient=morning["patients"]["overdue"])
    task(
        world.alice,
        paula_case.patient,
        "Check the inhaler technique",
        TODAY,
        owner=world.dana,
        case_id=paula_case.pk,
    )
    page = login(world.dana).get(reverse("coordination:worklist")).content.decode()
    row = page[page.index("Check the inhaler technique") :][:400]
    assert f'<td class="optional">{paula_case.get_program_display()}</td>' in row
