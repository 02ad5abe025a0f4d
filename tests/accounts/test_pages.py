"""The role-to-page matrix (accounts.rules.PAGE_ROLES) as a table: what the top bar offers each role, and that
the guards of the pages only some roles may open refuse exactly the others."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.rules import Page, current_page, pages_for, roles_for
from tests.personas import World, make_staff

P = Page
ALL_STAFF = {P.WORKLIST, P.PATIENTS, P.CASES, P.RESOURCES, P.CALENDAR, P.NOTIFICATIONS}

TABLE: dict[Role, set[Page]] = {
    Role.CASE_MANAGER: ALL_STAFF | {P.TIME_REPORT},
    Role.SUPERVISOR: ALL_STAFF | {P.TEAM, P.CASELOADS, P.TIME_REPORT, P.READMISSIONS, P.OUTCOMES},
    Role.ADMIN: ALL_STAFF
    | {P.TEAM, P.CASELOADS, P.TIME_REPORT, P.READMISSIONS, P.SETUP, P.POPULATION, P.OUTCOMES},
    Role.CARE_TEAM: ALL_STAFF,
    Role.UM_REVIEWER: {P.PATIENTS, P.CASES, P.NOTIFICATIONS, P.PRIOR_AUTH},
    Role.MEDICAL_DIRECTOR: {P.PATIENTS, P.CASES, P.NOTIFICATIONS, P.PRIOR_AUTH},
    Role.PRIVACY_OFFICER: {P.PRIVACY, P.NOTIFICATIONS},
    Role.POPULATION_HEALTH: {P.POPULATION, P.OUTCOMES, P.NOTIFICATIONS},
    Role.PATIENT: set(),
    Role.PARTNER: set(),  # a partner organisation's log-in has its own page (/partner/)
}

URLS = {
    P.WORKLIST: "coordination:worklist",
    P.PATIENTS: "patients:list",
    P.CASES: "cases:list",
    P.TEAM: "coordination:team",
    P.CASELOADS: "cases:caseloads",
    P.TIME_REPORT: "coordination:time_report",
    P.READMISSIONS: "transitions:figures",
    P.RESOURCES: "directory:search",
    P.CALENDAR: "appointments:calendar",
    P.PRIVACY: "privacy:emergency_queue",
    P.SETUP: "administration:start",
    P.NOTIFICATIONS: "notifications:list",
    P.PRIOR_AUTH: "um:worklist",
    P.POPULATION: "population:home",
    P.OUTCOMES: "population:outcomes",
}
# Pages only some roles may open: their guards use the same sets as the top bar.
GUARDED = (
    P.TEAM,
    P.CASELOADS,
    P.TIME_REPORT,
    P.READMISSIONS,
    P.PRIVACY,
    P.SETUP,
    P.PRIOR_AUTH,
    P.POPULATION,
    P.OUTCOMES,
)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_offered_its_pages(role: Role) -> None:
    assert pages_for(role) == TABLE[role]


def test_every_page_has_a_row_and_every_role_a_page_or_the_portal() -> None:
    assert set(URLS) == set(Page)
    assert all(roles_for(page) for page in Page)


@pytest.mark.parametrize(
    ("nav", "item"), [("setup", "setup"), ("security", "setup"), ("alert-limits", "setup"), ("team", "team")]
)
def test_set_up_sections_sit_under_set_up(nav: str, item: str) -> None:
    assert current_page(nav) == item


def _people(world: World) -> dict[Role, object]:
    return {
        Role.POPULATION_HEALTH: make_staff("ivy", Role.POPULATION_HEALTH, world.riverside),
        Role.CASE_MANAGER: world.alice,
        Role.SUPERVISOR: world.sam,
        Role.ADMIN: world.adam,
        Role.CARE_TEAM: world.dana,
        Role.UM_REVIEWER: world.uma,
        Role.MEDICAL_DIRECTOR: world.mo,
        Role.PRIVACY_OFFICER: world.pia,
    }


@pytest.mark.django_db
def test_the_top_bar_links_each_role_to_its_pages_and_the_guards_agree(world: World, login) -> None:
    for role, person in _people(world).items():
        client = login(person)
        body = client.get(reverse(URLS[P.NOTIFICATIONS])).content.decode()
        bar = body.split("<header", 1)[1].split("</header>", 1)[0]
        linked = {page for page, name in URLS.items() if f'href="{reverse(name)}"' in bar}
        assert linked == TABLE[role], role
        for page in GUARDED:
            status = client.get(reverse(URLS[page])).status_code
            assert (status == 403) == (page not in TABLE[role]), (role, page, status)


@pytest.mark.django_db
def test_the_top_bar_marks_the_page_it_is_on(world: World, login) -> None:
    bar = login(world.alice).get(reverse(URLS[P.WORKLIST])).content.decode().split("</header>", 1)[0]
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', bar) == [reverse(URLS[P.WORKLIST])]
