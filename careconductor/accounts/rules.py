"""Pure decisions about log-ins: which of the top bar's pages each role is offered, who decides an approval,
whether an API token may be used. No ORM, no I/O."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from .choices import STAFF_ROLES, Role

if TYPE_CHECKING:
    from .models import ApiToken


class Page(StrEnum):
    """The pages of the top bar (their `nav` names, which the pages pass to mark the current one)."""

    WORKLIST = "worklist"
    PATIENTS = "patients"
    CASES = "cases"
    TEAM = "team"
    CASELOADS = "caseloads"
    TIME_REPORT = "reports"
    READMISSIONS = "readmissions"
    RESOURCES = "resources"
    PRIVACY = "privacy"
    SETUP = "setup"
    NOTIFICATIONS = "notifications"
    CALENDAR = "calendar"
    PRIOR_AUTH = "prior-auth"
    POPULATION = "population"
    OUTCOMES = "outcomes"


SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
CASE_WORK = frozenset({Role.CASE_MANAGER, Role.SUPERVISOR, Role.ADMIN})

# Who is offered each page: the role-to-page matrix, in one place. The top bar shows a role its pages, and the
# guards of the pages that are only for some roles (team, caseloads, time report, privacy, set-up) refuse the
# others with the same sets. The worklist, patient and case lists open for every staff role (each shows only
# what the policy lets the person see); the top bar offers them to the roles whose work they are.
PAGE_ROLES: dict[Page, frozenset[Role]] = {
    Page.WORKLIST: CASE_WORK | {Role.CARE_TEAM},
    Page.PATIENTS: STAFF_ROLES - {Role.PRIVACY_OFFICER, Role.POPULATION_HEALTH},
    Page.CASES: STAFF_ROLES - {Role.PRIVACY_OFFICER, Role.POPULATION_HEALTH},
    Page.TEAM: SUPERVISING,
    Page.CASELOADS: SUPERVISING,
    Page.TIME_REPORT: CASE_WORK,
    Page.READMISSIONS: SUPERVISING,
    Page.RESOURCES: CASE_WORK | {Role.CARE_TEAM},
    Page.PRIVACY: frozenset({Role.PRIVACY_OFFICER}),
    Page.SETUP: frozenset({Role.ADMIN}),
    Page.NOTIFICATIONS: STAFF_ROLES,
    Page.CALENDAR: CASE_WORK | {Role.CARE_TEAM},
    Page.PRIOR_AUTH: frozenset({Role.UM_REVIEWER, Role.MEDICAL_DIRECTOR}),
    # The tiers and registries (population health): the analyst's page, and the administrators'
    # (privacy.policy.POPULATION_ROLES).
    Page.POPULATION: frozenset({Role.POPULATION_HEALTH, Role.ADMIN}),
    # A programme's outcomes: supervisors and leads, and the population roles (privacy.policy.OUTCOME_ROLES).
    Page.OUTCOMES: SUPERVISING | {Role.POPULATION_HEALTH},
}

# The set-up page's sections, each with its own `nav` name, all under "Set-up" in the top bar.
SETUP_SECTIONS = frozenset({"setup", "security", "follow-up", "alert-limits"})


def pages_for(role: str) -> frozenset[Page]:
    """The top bar's pages a role is offered (none for a patient: the portal has its own menu)."""
    return frozenset(page for page, roles in PAGE_ROLES.items() if role in roles)


def roles_for(page: Page) -> frozenset[Role]:
    """The roles a page is for, as its guard should name them (`staff_view(roles_for(Page.TEAM))`)."""
    return PAGE_ROLES[page]


def current_page(nav: str) -> str:
    """The top bar's item a page's `nav` name sits under."""
    return Page.SETUP.value if nav in SETUP_SECTIONS else nav


def may_decide_approval(
    role: str, user_id: int, *, team_supervisor_id: int | None, requested_by_id: int | None
) -> bool:
    """Who decides what a programme asks to be approved (a care plan version, closing a case): an administrator
    or the supervisor of the case's team, and never the person who asked for it. `requested_by_id` None: nobody
    has asked yet (may this person act without asking?). The caller checks the patient is visible to them."""
    if requested_by_id is not None and requested_by_id == user_id:
        return False
    if role == Role.ADMIN:
        return True
    return role == Role.SUPERVISOR and team_supervisor_id is not None and team_supervisor_id == user_id


def token_in_force(token: ApiToken | None, now: dt.datetime) -> bool:
    """Whether a bearer token may be used now: known, not revoked, not expired, its user active."""
    return (
        token is not None
        and token.revoked_at is None
        and (token.expires_at is None or token.expires_at > now)
        and token.user.is_active
    )


class LockedBy(StrEnum):
    """Why log-in is paused (django-axes counts; this decides). See docs/security.md, "Lock-out"."""

    NOTHING = ""
    USER_AT_ADDRESS = "user_at_address"  # this user name, tried from this address
    ADDRESS = "address"  # this address, whatever user names it tried


def locked_by(
    user_at_address: int, address: int, *, user_at_address_limit: int, address_limit: int
) -> LockedBy:
    """A user name is paused after `user_at_address_limit` failures from one address, not everywhere: so no one
    can lock a colleague (an administrator) out from anywhere by typing their name. An address is paused after
    `address_limit` failures across all user names, higher, so guessing spread over many accounts stops too,
    while a clinic behind one address survives its staff's typos."""
    if user_at_address >= user_at_address_limit:
        return LockedBy.USER_AT_ADDRESS
    if address >= address_limit:
        return LockedBy.ADDRESS
    return LockedBy.NOTHING
