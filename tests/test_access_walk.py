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
from careconductor.appointments import actions as appointments
from careconductor.appointments.models import Appointment
from careconductor.assessments.models import Assessment
from careconductor.careplans import actions as careplans
from careconductor.careplans.choices import BarrierKind, InterventionKind, OwnerType, Proposer
from careconductor.careplans.models import Barrier, CarePlan, Goal, GoalStep, Intervention, Problem
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination import actions as coordination
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
from careconductor.letters.actions import LetterRequest, do_send_letter
from careconductor.letters.models import Letter
from careconductor.medications import actions as medications
from careconductor.medications.models import DoseReport, Medication, Reconciliation, ReconciliationLine
from careconductor.patients.actions import do_add_care_team_member
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_break_glass, do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType, EmergencyReason
from careconductor.privacy.models import AuditEvent, EmergencyAccess
from careconductor.referrals import actions as referrals
from careconductor.referrals.models import PartnerAccount, PartnerLink, Referral, ReferralEvent
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.models import AdtMessage, Feed

from .assessments.helpers import phq9_answers, record
from .conftest import log_in
from .personas import PASSWORD, World, make_staff
from .shared import ModuleDb, reread
from .transitions.messages import adt

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


def _grant(world: World) -> EmergencyAccess:
    """An emergency access to Paula by a colleague outside the walk, so the review page has a real target, and
    one of everything about her (built once per module: tests/shared.py)."""
    ed = make_staff("ed", Role.CASE_MANAGER, world.riverside, team=world.north, capacity=60)
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=dt.date(2026, 11, 1),
    )
    # An item-9 PHQ-9, so the assessment, task and flag pages have real targets.
    record(world.alice, world.paula, "phq-9", phq9_answers(4, item9=1))
    _care_plan(world)
    _coordination(world)
    _medication(world)
    _engagement(world)
    _adt(world)
    _letter(world)
    _referral(world)
    _appointment(world)
    return do_break_glass(
        ed, world.paula, reason=EmergencyReason.EMERGENCY_CARE, explanation="Called by the ED at night."
    )


def _letter(world: World) -> None:
    """A welcome letter given to Paula by hand, so the letter's pages have a real target."""
    request = LetterRequest(kind="welcome", language="es", delivery="hand", case=world.paula_case)
    do_send_letter(world.alice, world.paula, request)


def _care_plan(world: World) -> None:
    """A published plan with one of everything, so every care-plan page has a real target."""
    plan = careplans.do_create_plan(world.alice, world.paula_case)
    problem = careplans.do_add_problem_by_hand(world.alice, plan, title="Food insecurity")
    goal = careplans.do_add_goal(
        world.alice,
        plan,
        problem_ids=[problem.pk],
        patient_words="I want enough food every week.",
        proposed_by=Proposer.PATIENT,
        measure="food",
        target_text="Screens negative",
    )
    careplans.do_add_step(world.alice, goal, text="Apply for SNAP")
    careplans.do_add_barrier(world.alice, goal, kind=BarrierKind.TRANSPORT, description="No car")
    careplans.do_add_intervention(
        world.alice,
        plan,
        goal=goal,
        kind=InterventionKind.BENEFITS,
        title="SNAP application",
        owner_type=OwnerType.PATIENT,
    )
    careplans.do_publish(world.alice, plan, reason="")


def _coordination(world: World) -> None:
    """A contact, minutes this month, an external care-team member and a pending closure, so the contact, time,
    care-team, closing and report pages have Paula in them to leak."""
    now = clock.now()
    for target in (CaseStatus.SCREENING, CaseStatus.ACTIVE):
        do_transition_case(world.alice, world.paula_case, TransitionRequest(target))
    world.paula_case.refresh_from_db()
    coordination.do_log_contact(
        world.alice,
        world.paula,
        coordination.ContactInput(
            contact_at=now - dt.timedelta(hours=1),
            mode="phone",
            direction="outbound",
            reached=True,
            minutes=25,
        ),
        case=world.paula_case,
    )
    coordination.do_log_time(
        world.alice, world.paula, on=clock.today(), activity="records", minutes=20, case=world.paula_case
    )
    do_add_care_team_member(
        world.alice, world.paula, name="Rosa Reyes", role="Daughter", category="caregiver", phone="555-0100"
    )
    coordination.do_request_closure(world.alice, world.paula_case, reason="goals_met", summary="Goals met.")


def _coordination_state(paula: Patient, case: Case) -> tuple:
    return (
        sorted(paula.contact_log.values_list("pk", "reached")),
        sorted(paula.time_entries.values_list("pk", "minutes")),
        sorted(paula.care_team.values_list("pk", "end_date", "is_lead")),
        sorted(case.closure_requests.values_list("pk", "status")),
        sorted(case.outreach_steps.values_list("pk", flat=True)),
        case.status,
    )


def _medication(world: World) -> None:
    """A medication with a dose reported and a reconciliation of it, so the medication pages have a real
    target."""
    medication = medications.do_add_medication(
        world.alice,
        world.paula,
        name="Metformin",
        dose="500 mg tablet",
        instructions="With breakfast and supper",
        times=["08:00", "18:00"],
        start_date=clock.today(),
    )
    medications.do_report_doses(
        world.alice, world.paula, day=clock.today(), answers={(medication.pk, "08:00"): True}
    )
    reconciliation = medications.do_start_reconciliation(world.alice, world.paula)
    medications.do_add_discharge_line(world.alice, reconciliation, name="Metformin", dose="1000 mg tablet")


def _medication_state(paula: Patient) -> tuple:
    return (
        sorted(Medication.objects.filter(patient=paula).values_list("pk", "version", "end_date")),
        sorted(DoseReport.objects.filter(patient=paula).values_list("pk", "taken")),
        sorted(Reconciliation.objects.filter(patient=paula).values_list("pk", "version")),
        sorted(ReconciliationLine.objects.filter(reconciliation__patient=paula).values_list("pk", "version")),
    )


def _engagement(world: World) -> None:
    """Paula in the portal: her own log-in, a proxy invited, a message with a photo and a reply, her own alert
    limit and a high reading, so every portal and engagement page has her to leak."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    made = engagement.do_invite_patient(world.alice, world.paula)
    login = engagement.do_accept_invitation(
        made.secret, username="paula", password=PASSWORD, birth_date=world.paula.birth_date
    )
    world.paula.refresh_from_db()
    engagement.do_grant_proxy(login, world.paula, name="Rosa Reyes", relationship="child")
    photo = SimpleUploadedFile("foot.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40)
    message = engagement.do_send_message(login, world.paula, subject="Reyes foot", body="Look", files=[photo])
    engagement.do_send_message(world.alice, world.paula, subject="", body="Calling you", reply_to=message)
    engagement.do_set_threshold(
        world.alice, world.paula, measure="glucose", low=Decimal(80), high=Decimal(250)
    )
    engagement.do_report_blood_pressure(login, world.paula, systolic=Decimal(185), diastolic=Decimal(95))


def _adt(world: World) -> None:
    """A hospital's feed and an admission of Paula it sent, so the ADT message pages have her to leak."""
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    assert do_receive(adt("A01", "WALK1")).message.patient_id == world.paula.pk


def _referral(world: World) -> None:
    """A referral of Paula's to the starter directory's food pantry, sent with her consent, with a document, so
    the referral pages (and the partner's link and log-in) have her to leak."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from careconductor.demo.directory import STARTER
    from careconductor.directory.actions import do_import_hsds
    from careconductor.directory.models import Service

    do_import_hsds(world.adam, json.loads(STARTER.read_text(encoding="utf-8")))
    referral = referrals.do_create_referral(
        world.alice,
        world.paula,
        need="food",
        reason="Reyes runs out of food",
        service=Service.objects.get(name="Weekly food pantry"),
        shared=["attachments", "reason"],
    )
    import io

    from reportlab.pdfgen.canvas import Canvas

    pdf = io.BytesIO()
    page = Canvas(pdf)
    page.drawString(72, 720, "A letter about Reyes")
    page.save()
    letter = SimpleUploadedFile("reyes.pdf", pdf.getvalue())
    referrals.do_add_attachments(world.alice, referral, [letter])
    referrals.do_send_referral(
        world.alice, referral, record_consent={"method": "verbal", "given_on": clock.today()}
    )


def _appointment(world: World) -> None:
    """An appointment of Paula's with Dana tomorrow, so the appointment pages have her to leak."""
    appointments.do_book_appointment(
        world.alice,
        world.paula,
        starts_at=clock.now() + dt.timedelta(days=1),
        purpose="Walk visit",
        staff=world.dana,
        location="Riverside Clinic",
    )


def _referral_state(paula: Patient) -> tuple:
    return (
        sorted(paula.referrals.values_list("pk", "status", "needs_attention")),
        sorted(ReferralEvent.objects.filter(referral__patient=paula).values_list("pk", flat=True)),
        sorted(PartnerLink.objects.filter(referral__patient=paula).values_list("pk", "used_at")),
    )


def _engagement_state(paula: Patient) -> tuple:
    return (
        sorted(Message.objects.filter(patient=paula).values_list("pk", "read_at")),
        sorted(ProxyGrant.objects.filter(patient=paula).values_list("pk", "proxy", "revoked_at")),
        sorted(
            PortalInvitation.objects.filter(patient=paula).values_list("pk", "accepted_at", "withdrawn_at")
        ),
        sorted(Threshold.objects.filter(patient=paula).values_list("pk", "low", "high")),
        paula.readings.count(),
        paula.check_ins.count(),
        paula.portal_use.count(),
    )


def _plan_state(paula: Patient) -> list[tuple]:
    return sorted(
        CarePlan.objects.filter(patient=paula).values_list("pk", "status", "version", "current_version")
    ) + sorted(Goal.objects.filter(patient=paula).values_list("pk", "version", "achievement"))


def _paula_state(paula: Patient, case: Case) -> tuple:
    """Everything about Paula a refused request must leave as it was."""
    return (
        case.status_changes.count(),
        paula.conditions.count(),
        sorted(paula.consents.values_list("pk", "status")),
        sorted(paula.assessments.values_list("pk", "status", "version")),
        sorted(paula.tasks.values_list("pk", "status")),
        sorted(paula.flags.values_list("pk", "status")),
        paula.risk_scores.count(),
        _plan_state(paula),
        _coordination_state(paula, case),
        _medication_state(paula),
        _engagement_state(paula),
        _referral_state(paula),
        sorted(paula.appointments.values_list("pk", "status", "version", "patient_answer")),
    )


def _first_pk(model: type, world: World) -> int:
    row = model.objects.filter(patient=world.paula).order_by("pk").first()  # type: ignore[attr-defined]
    return row.pk if row else 0


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
        "account_id": PartnerAccount.objects.values_list("pk", flat=True).first() or 0,
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
STRANGERS = ["bob", "charlie", "tess", "pete", "ana", "uma", "pia", "mo", "pat", "omar", "vera", "hal"]


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
        **_other_patient(world),
    }
    return {name: people.get(name) or getattr(world, name) for name in STRANGERS}


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


@pytest.mark.parametrize("persona", STRANGERS)
@pytest.mark.parametrize("name", [n for n, _ in ALL_PATTERNS])
def test_users_without_a_relationship_never_see_paula(
    persona: str, name: str, walk: Walk, client: Client
) -> None:
    user = User.objects.get(pk=walk.user_ids[persona])
    client.cookies[settings.SESSION_COOKIE_NAME] = walk.sessions[persona]
    url = walk.urls[name]
    pattern = dict(ALL_PATTERNS)[name]
    role_scoped = name.startswith(ROLE_SCOPED.get(persona, "-"))
    patient_page = any(_takes(pattern, k) for k in PATIENT_KWARGS) and not role_scoped
    refusals = (401,) if getattr(pattern.callback, "access_policy", "") == API else (403, 404, 405)
    for method in ("get", "post"):
        response = getattr(client, method)(
            url,
            {
                "target": "screening",
                "icd10_code": "E11.9",
                "display": "x",
                "given_on": "2026-01-01",
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
                "agreed_on": "2026-01-01",
                "agreed_by": "patient",
                "goals": ["enough-food"],
                "lifecycle": "on-hold",
                "achievement": "improving",
                "done": "1",
                "assignee": f"user:{user.pk}",
                "step": "letter",
                "summary": "x",
                "comment": "x",
                "contact_at": "2026-01-01T10:00",
                "mode": "phone",
                "direction": "outbound",
                "reached": "yes",
                "minutes": 5,
                "on": "2026-01-01",
                "activity": "records",
                "end_date": "2026-01-01",
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
            },
        )
        if patient_page:
            assert response.status_code in refusals, (
                f"{persona} {method.upper()} {url}: {response.status_code}"
            )
        body = response.content.decode(errors="replace")
        if not role_scoped:
            assert "Reyes" not in body, f"{persona} saw Paula's name at {method.upper()} {url}"
    paula = Patient.objects.get(pk=walk.paula_id)
    assert _paula_state(paula, Case.objects.get(pk=walk.case_id)) == walk.before, (
        "a refused request changed Paula's record"
    )
    assert not AuditEvent.objects.filter(user=user, patient=paula).exclude(action="refused").exists(), (
        "a refused user left a successful read or change of Paula in the audit trail"
    )


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
