"""Walk every URL pattern as people without a relationship to Paula and expect a refusal wherever her data
would show (STYLE.md habit 3, DEVELOPERS rule 4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Team, User
from careconductor.appointments.models import Appointment
from careconductor.assessments.models import Assessment
from careconductor.careplans.models import Barrier, CarePlan, Goal, GoalStep, Intervention, Problem
from careconductor.cases.models import Case
from careconductor.coordination.models import Flag, Notification, Task
from careconductor.core import clock
from careconductor.engagement import actions as engagement
from careconductor.engagement.models import (
    Message,
    MessageAttachment,
    PortalInvitation,
    ProxyGrant,
    Threshold,
)
from careconductor.letters.models import Letter
from careconductor.medications.models import Medication, Reconciliation, ReconciliationLine
from careconductor.patients.models import Patient
from careconductor.population.models import Registry
from careconductor.privacy.models import AuditEvent, EmergencyAccess
from careconductor.referrals import actions as referrals
from careconductor.referrals.models import PartnerAccount, Referral
from careconductor.transitions.models import AdtMessage, Feed
from careconductor.um.models import Attachment as UmDocument
from careconductor.um.models import AuthRequest, Notice

from .access_world import _first_pk, _grant, _paula_state
from .conftest import log_in
from .personas import PASSWORD, World, make_staff
from .shared import ModuleDb, reread

pytestmark = pytest.mark.django_db


def _walk(patterns: list, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{p.namespace}:" if p.namespace else ""
            found += _walk(p.url_patterns, prefix + ns)
        else:
            found.append((prefix + (p.name or ""), p))
    return found


ALL_PATTERNS = _walk(get_resolver().url_patterns)
PATIENT_KWARGS = {
    "patient_id", "case_id", "grant_id", "consent_id", "resource_id", "assessment_id", "task_id", "flag_id",
    "plan_id", "goal_id", "problem_id", "step_id", "barrier_id", "intervention_id", "member_id",
    "medication_id", "assignment_id", "invitation_id", "threshold_id", "message_id", "attachment_id", "proxy_id",
    "adt_message_id", "reconciliation_id", "line_id", "referral_id", "letter_id", "appointment_id",
    "request_id", "notice_id", "document_id",
}  # fmt: skip
# The FHIR API answers a session without a bearer token with 401 (tests/fhir/test_api_access_walk.py walks
# it with tokens).
API = "api-token"


def _takes(pattern: URLPattern, key: str) -> bool:
    return f":{key}>" in str(pattern.pattern) or f"(?P<{key}>" in str(pattern.pattern)


# Pages whose job is to show patient identities to one role: the privacy officer's audit pages.
ROLE_SCOPED = {"pia": "privacy:"}


@pytest.fixture(scope="module")
def shared_grant(module_db: ModuleDb, shared_world: World) -> EmergencyAccess:
    return module_db.build(_grant, shared_world)


def _full(name: str, world: World, grant_id: int = 0) -> str:
    pattern = dict(ALL_PATTERNS)[name]
    consent = world.paula.consents.first()
    values = {
        "patient_id": world.paula.pk,
        "case_id": world.paula_case.pk,
        "grant_id": grant_id,
        "consent_id": consent.pk if consent else 0,
        "resource_type": "Patient",
        "resource_id": str(world.paula.pk),
        "version_id": "1",
        "assessment_id": _first_pk(Assessment, world),
        "task_id": _first_pk(Task, world),
        "flag_id": _first_pk(Flag, world),
        "plan_id": _first_pk(CarePlan, world),
        "goal_id": _first_pk(Goal, world),
        "problem_id": Problem.objects.filter(plan__patient=world.paula).values_list("pk", flat=True).first(),
        "step_id": GoalStep.objects.filter(goal__patient=world.paula).values_list("pk", flat=True).first(),
        "barrier_id": Barrier.objects.filter(goal__patient=world.paula).values_list("pk", flat=True).first(),
        "intervention_id": _first_pk(Intervention, world),
        "member_id": world.paula.care_team.values_list("pk", flat=True).first(),
        "assignment_id": world.paula.education_assignments.values_list("pk", flat=True).first() or 0,
        "medication_id": _first_pk(Medication, world),
        "reconciliation_id": _first_pk(Reconciliation, world),
        "line_id": ReconciliationLine.objects.filter(reconciliation__patient=world.paula)
        .values_list("pk", flat=True)
        .first(),
        "invitation_id": _first_pk(PortalInvitation, world),
        "threshold_id": _first_pk(Threshold, world),
        "message_id": _first_pk(Message, world),
        "attachment_id": MessageAttachment.objects.filter(message__patient=world.paula)
        .values_list("pk", flat=True)
        .first(),
        "proxy_id": _first_pk(ProxyGrant, world),
        "adt_message_id": _first_pk(AdtMessage, world),
        "feed_id": Feed.objects.values_list("pk", flat=True).first() or 0,
        "letter_id": _first_pk(Letter, world),
        "referral_id": _first_pk(Referral, world),
        "appointment_id": _first_pk(Appointment, world),
        "request_id": _first_pk(AuthRequest, world),
        "notice_id": Notice.objects.filter(request__patient=world.paula).values_list("pk", flat=True).first(),
        "document_id": UmDocument.objects.filter(request__patient=world.paula)
        .values_list("pk", flat=True)
        .first(),
        "account_id": PartnerAccount.objects.values_list("pk", flat=True).first() or 0,
        "registry_id": Registry.objects.values_list("pk", flat=True).first() or 0,
        # No campaign holds Paula (she is in no registry): a campaign's pages answer 404 to every stranger.
        "campaign_id": 0,
        "run_id": 0,
        # Connected apps (set-up): none is Paula's; another organisation's or a missing id answers 404.
        "app_id": 0,
        "job_id": "00000000-0000-4000-8000-000000000000",
        "name": "Patient.ndjson",
        # The resource directory's rows (no patient data; another organisation's ids answer 404).
        "provider_id": 0,
        "service_id": 0,
        "location_id": 0,
        "phone_id": 0,
        "schedule_id": 0,
        "measure": "glucose",
        "secret": "not-a-real-invitation",
        # Someone else's notification about Paula (the closure request told the supervisor).
        "notification_id": Notification.objects.order_by("pk").values_list("pk", flat=True).first() or 0,
        "template_id": "food-insecurity",
        "slug": "phq-9",
        "number": 1,
        # The administrator's set-up pages (no patient data): Paula's team and case manager.
        "team_id": world.north.pk,
        "staff_id": world.alice.pk,
        "uidb64": "MQ",
        "token": "not-a-real-token",
    }
    kwargs = {k: v for k, v in values.items() if _takes(pattern, k)}
    return reverse(name, kwargs=kwargs)


def test_every_url_pattern_declares_an_access_policy() -> None:
    missing = [name for name, p in ALL_PATTERNS if not getattr(p.callback, "access_policy", None)]
    assert missing == []


def test_the_walk_covers_the_patient_pages() -> None:
    names = {name for name, _ in ALL_PATTERNS}
    assert {"patients:chart", "cases:detail", "cases:transition", "cases:assign"} <= names


# Every role without a relationship to Paula: a case manager on her team, one in another organisation, the
# supervisor of another team, a physician not on her care team, another organisation's admin, the UM reviewer,
# the privacy officer, the medical director, a log-in with the patient role and no record, another patient of
# Alice's with his own portal log-in (omar), and the proxy another patient chose (vera).
# And a partner organisation's log-in (hal, at the directory's housing charity, which Paula was not referred to).
# And a population health analyst (ivy), whose registry Paula is not in.
STRANGERS = ["bob", "charlie", "tess", "pete", "ana", "uma", "pia", "mo", "pat", "omar", "vera", "hal", "ivy"]


@pytest.fixture(scope="module")
def shared_strangers(
    module_db: ModuleDb, shared_world: World, shared_grant: EmergencyAccess
) -> dict[str, User]:
    return module_db.build(_strangers, shared_world)


@dataclass(frozen=True)
class Walk:
    """What every walk test starts from (the same at each test's start: each rolls back its own changes)."""

    urls: dict[str, str]  # every URL pattern filled in with Paula's ids
    before: tuple  # _paula_state
    user_ids: dict[str, int]  # persona -> user id
    sessions: dict[str, str]  # persona -> session key (logged in through the log-in pages)
    paula_id: int
    case_id: int
    bob_id: int
    message_id: int


@pytest.fixture(scope="module")
def shared_walk(
    module_db: ModuleDb, shared_world: World, shared_grant: EmergencyAccess, shared_strangers: dict[str, User]
) -> Walk:
    def build() -> Walk:
        world = reread(shared_world)
        return Walk(
            urls={name: _full(name, world, shared_grant.pk) for name, _ in ALL_PATTERNS},
            before=_paula_state(world.paula, world.paula_case),
            user_ids={name: user.pk for name, user in shared_strangers.items()},
            sessions={name: _session(user) for name, user in shared_strangers.items()},
            paula_id=world.paula.pk,
            case_id=world.paula_case.pk,
            bob_id=world.bob.pk,
            message_id=_first_pk(Message, world),
        )

    return module_db.build(build)


@pytest.fixture
def walk(shared_walk: Walk, db: None) -> Walk:
    return shared_walk


def _session(user: User) -> str:
    """A session of the user's, logged in through the log-in (and second-factor) pages once for the module. Its
    idle time-out is stretched so it outlives the module on a slow machine; each test's use of it rolls back."""
    with override_settings(SESSION_COOKIE_AGE=settings.SESSION_ABSOLUTE_SECONDS):
        client = log_in(Client(), user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _strangers(world: World) -> dict[str, User]:
    south = Team.objects.create(organization=world.riverside, name="South")
    tess = make_staff("tess", Role.SUPERVISOR, world.riverside, team=south)
    south.supervisor = tess
    south.save()
    people = {
        "tess": tess,
        "pete": make_staff("pete", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHYSICIAN),
        "ana": make_staff("ana", Role.ADMIN, world.lakeside, discipline=Discipline.ADMINISTRATION),
        "pat": do_create_user("pat", Role.PATIENT, world.riverside, PASSWORD),
        "hal": _partner(world),
        "ivy": _analyst(world),
        **_other_patient(world),
    }
    return {name: people.get(name) or getattr(world, name) for name in STRANGERS}


def _analyst(world: World) -> User:
    """A population health analyst with a registry of her own (no one in it: nothing is stratified here)."""
    from careconductor.population.registry_actions import do_create_registry

    ivy = make_staff("ivy", Role.POPULATION_HEALTH, world.riverside)
    do_create_registry(ivy, name="Heart failure", rule="heart_failure")
    return ivy


def _partner(world: World) -> User:
    from careconductor.directory.models import Provider

    housing = Provider.objects.get(name__startswith="Valley Home Partners")
    hal, _path = referrals.do_invite_partner(
        world.adam, housing, username="hal", first_name="Hal", last_name="Housing", email="hal@example.org"
    )
    hal.set_password(PASSWORD)
    hal.save()
    return hal


def _other_patient(world: World) -> dict[str, User]:
    """Omar, another patient of Alice's, in the portal with his own log-in, and Vera, whom he made his proxy."""
    from careconductor.cases.actions import do_register_and_refer
    from careconductor.cases.choices import Program, ReferralSource
    from careconductor.patients.actions import PatientDetails
    from careconductor.patients.choices import Sex

    omar = do_register_and_refer(
        world.alice,
        PatientDetails(given_name="Omar", family_name="Haddad", birth_date=dt.date(1960, 1, 2), sex=Sex.MALE),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Heart failure",
        acuity_tier=2,
    )
    made = engagement.do_invite_patient(world.alice, omar)
    omar_login = engagement.do_accept_invitation(
        made.secret, username="omar", password=PASSWORD, birth_date=omar.birth_date
    )
    omar.refresh_from_db()
    _grant, invited = engagement.do_grant_proxy(omar_login, omar, name="Vera Haddad", relationship="spouse")
    vera = engagement.do_accept_invitation(
        invited.secret, username="vera", password=PASSWORD, first_name="Vera", last_name="Haddad"
    )
    return {"omar": omar_login, "vera": vera}


@pytest.mark.parametrize("name", [n for n, _ in ALL_PATTERNS])
def test_users_without_a_relationship_never_see_paula(name: str, walk: Walk, client: Client) -> None:
    """Each stranger in turn GETs and POSTs the page; then Paula's record must be as it was and the audit trail
    must hold no successful read or change of hers by any of them (checked once per page: cheaper than after each
    stranger, and a change by any of them still shows)."""
    url = walk.urls[name]
    pattern = dict(ALL_PATTERNS)[name]
    # 429: the partner links count wrong tokens per address, and the strangers' 24 tries come from one address.
    refusals = (401,) if getattr(pattern.callback, "access_policy", "") == API else (403, 404, 405, 429)
    day = (clock.today() - dt.timedelta(days=30)).isoformat()  # a plausible past day, whatever today is
    for persona in STRANGERS:
        role_scoped = name.startswith(ROLE_SCOPED.get(persona, "-"))
        patient_page = any(_takes(pattern, k) for k in PATIENT_KWARGS) and not role_scoped
        client.cookies[settings.SESSION_COOKIE_NAME] = walk.sessions[persona]
        for method in ("get", "post"):
            response = getattr(client, method)(url, _form(day, walk, walk.user_ids[persona]))
            if patient_page:
                assert response.status_code in refusals, (
                    f"{persona} {method.upper()} {url}: {response.status_code}"
                )
            body = response.content.decode(errors="replace")
            if not role_scoped:
                assert "Reyes" not in body, f"{persona} saw Paula's name at {method.upper()} {url}"
    paula = Patient.objects.get(pk=walk.paula_id)
    assert _paula_state(paula, Case.objects.get(pk=walk.case_id)) == walk.before, (
        f"a refused request to {url} changed Paula's record"
    )
    seen = (
        AuditEvent.objects.filter(user_id__in=walk.user_ids.values(), patient=paula)
        .exclude(action="refused")
        .values_list("user__username", "action")
    )
    assert not seen, (
        f"refused users left successful reads or changes of Paula in the audit trail: {list(seen)}"
    )


def _form(day: str, walk: Walk, user_id: int) -> dict[str, object]:
    """One form with a plausible value for every field the pages read, so a POST reaches past validation."""
    return {
        "target": "screening",
        "icd10_code": "E11.9",
        "display": "x",
        "given_on": day,
        "method": "verbal",
        "case_manager": walk.bob_id,
        "acuity_tier": 1,
        "status": "completed",
        "note": "done",
        "language": "en",
        "phq9-1": "LA6571-9",
        "go": "finish",
        "reason": "walk",
        "title": "x",
        "patient_words": "x",
        "measure": "food",
        "target_text": "x",
        "decision": "approve",
        "agreed_on": day,
        "agreed_by": "patient",
        "goals": ["enough-food"],
        "lifecycle": "on-hold",
        "achievement": "improving",
        "done": "1",
        "assignee": f"user:{user_id}",
        "step": "letter",
        "summary": "x",
        "comment": "x",
        "contact_at": f"{day}T10:00",
        "mode": "phone",
        "direction": "outbound",
        "reached": "yes",
        "minutes": 5,
        "on": day,
        "activity": "records",
        "end_date": day,
        "role": "x",
        "name": "x",
        "phone": "1",
        "category": "other",
        "systolic": 190,
        "diastolic": 100,
        "value": 60,
        "rating": "well",
        "mood": 1,
        "subject": "x",
        "body": "x",
        "low": 50,
        "high": 400,
        "email": "x@example.org",
        "relationship": "friend",
        "patient": walk.paula_id,
        "reply_to": walk.message_id,
    }


@pytest.mark.parametrize(
    "name", [n for n, p in ALL_PATTERNS if getattr(p.callback, "access_policy", "") != "public"]
)
def test_anonymous_visitors_are_sent_to_log_in(name: str, walk: Walk, client) -> None:
    response = client.get(walk.urls[name])
    if getattr(dict(ALL_PATTERNS)[name].callback, "access_policy", "") == API:
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        return
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["alice", "sam", "adam", "dana"])
def test_people_with_a_relationship_can_open_the_chart(persona: str, world: World, login) -> None:
    client = login(getattr(world, persona))
    assert client.get(_full("patients:chart", world)).status_code == 200
    assert client.get(_full("cases:detail", world)).status_code == 200
