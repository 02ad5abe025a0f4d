"""The access walk's sensitivity axis (issue 17 §1): Paula has 42 CFR Part 2 and psychotherapy records, each with
marker text of its own, in every place such a record can appear (conditions, notes, care-plan problems made from
them, the versions of her plan, risk scores computed from her problem list). People who may see her chart but
not those records (a pharmacist on her care team, a case manager of another team on emergency access, the
administrator; none named by a consent) open every page and make every FHIR interaction, and no marker may show;
her case manager makes the same requests and sees them, so the walk can fail.

The world, the filled-in URLs, the log-ins and the tokens are made once for the module (tests/shared.py); the
URL walk reuses tests/test_access_walk.py's patterns and ids and the API walk tests/fhir/test_api_access_walk.py's
rows and searches. A task given under one's own emergency access granting nothing after expiry is
tests/privacy/test_sensitive.py::test_a_task_given_under_ones_own_emergency_access_grants_nothing_after_it_ends.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from pypdf import PdfReader

from careconductor.accounts.actions import do_create_token
from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Team, User
from careconductor.assessments.actions import do_compute_risk_scores
from careconductor.careplans import actions as careplans
from careconductor.careplans.choices import BarrierKind, InterventionKind, OwnerType
from careconductor.careplans.models import CarePlan
from careconductor.coordination.actions import ContactInput, FollowUp, do_log_contact
from careconductor.core import clock
from careconductor.directory.models import Service
from careconductor.fhir.registry import all_mappers, mapper_for
from careconductor.patients.actions import do_add_care_team_member, do_add_condition, do_add_note
from careconductor.privacy.actions import do_break_glass, do_record_consent, do_record_disclosure
from careconductor.privacy.choices import ConsentMethod, ConsentType, EmergencyReason, Sensitivity
from careconductor.referrals import actions as referrals
from careconductor.referrals.models import Referral

from ..access_world import UM_P2_SERVICE, _grant, take_in_prior_authorisation
from ..fhir.conftest import BASE, Api
from ..fhir.test_api_access_walk import TYPES, entries, rows_of
from ..personas import World, make_staff
from ..shared import ModuleDb, reread
from ..test_access_walk import ALL_PATTERNS, API, PATIENT_KWARGS, _full, _session, _takes

pytestmark = pytest.mark.django_db

# Marker text of the sensitive records: any of it in a response is a leak.
P2_CONDITION = "Opioid use disorder wm-p2-condition"
P2_LIVER = "Alcoholic cirrhosis wm-p2-liver"  # a Part 2 diagnosis the Charlson index counts
PSY_CONDITION = "Post-traumatic stress wm-psy-condition"
P2_NOTE = "Methadone 60 mg at the programme wm-p2-note"
PSY_NOTE = "Explored guilt about her husband wm-psy-note"
PSY_PROBLEM = "Grief work wm-psy-problem"  # a problem made from the psychotherapy condition, renamed
P2_GOAL = "Keep going to the programme wm-p2-goal"  # a goal for the Part 2 problem only
P2_CONTACT = "Ask the programme about take-home doses wm-p2-contact"
P2_CONSENT = "Dosing coordination wm-p2-consent"  # a Part 2 disclosure consent tells she is in a programme
# A referral for substance use treatment is a Part 2 record; so is the disclosure of one (it tells it exists).
P2_REFERRAL = "Wants to stop drinking wm-p2-referral"
P2_DISCLOSURE = "Letter about her programme wm-p2-disclosure"
SENSITIVE_CODES = ("F11.20", "K70.30", "F43.10")
LEAK = re.compile(r"wm-(?:p2|psy)-[a-z]+|" + "|".join(re.escape(c) for c in SENSITIVE_CODES))
# Normal records beside them, so a page that shows them shows that the walk reached her data.
NORMAL_CONDITION = "Type 2 diabetes wm-normal-condition"
NORMAL_NOTE = "Walked to the pharmacy wm-normal-note"

# People who see Paula's chart but not her sensitive records, none of them named by a consent.
PERSONAS = ["phil", "erin", "adam"]  # care team pharmacist, emergency access from another team, administrator
# Pages without Paula's ids that show her data, with the query that brings her up.
QUERIES = {
    "patients:list": ["?q=Reyes", "?q=F11"],
    "patients:emergency_access": ["?name=Paula+Reyes&birth_date=1956-03-14"],
    "careplans:versions": ["", "?a=1&b=2", "?a=1&b=working"],
    "careplans:print": ["", "?version=2"],
    "careplans:pdf": ["", "?version=2", "?version=1&lang=en"],
    "coordination:worklist": ["", "?scope=all"],
}
PAGES = [n for n, p in ALL_PATTERNS if getattr(p.callback, "access_policy", "") != API and n != "logout"]


@dataclass(frozen=True)
class Walk:
    urls: dict[str, list[str]]  # every page pattern filled in with Paula's ids (and QUERIES)
    sessions: dict[str, str]  # persona -> session key
    tokens: dict[str, str]  # persona -> API token secret
    paula_id: int
    plan_id: int
    sensitive_conditions: tuple[int, ...]
    sensitive_problems: tuple[int, ...]
    sensitive_work: tuple[str, ...]  # pages of the goal, tasks and step made only for her Part 2 problem


def _sensitive_records(world: World) -> tuple[list[int], list[int]]:
    """Paula's sensitive records and normal ones beside them, made by her case manager; a care-plan version
    without the sensitive problems and one with them."""
    alice, paula = world.alice, world.paula
    do_add_condition(alice, paula, icd10_code="E11.9", display=NORMAL_CONDITION)
    conditions = [
        do_add_condition(alice, paula, icd10_code=code, display=display, sensitivity=label)
        for code, display, label in (
            ("F11.20", P2_CONDITION, Sensitivity.PART2),
            ("K70.30", P2_LIVER, Sensitivity.PART2),
            ("F43.10", PSY_CONDITION, Sensitivity.PSYCHOTHERAPY),
        )
    ]
    do_add_note(alice, paula, text=NORMAL_NOTE)
    do_add_note(alice, paula, text=P2_NOTE, sensitivity=Sensitivity.PART2)
    do_add_note(alice, paula, text=PSY_NOTE, sensitivity=Sensitivity.PSYCHOTHERAPY)
    # A call with her treatment programme, and the follow-up it calls for: both name it.
    do_log_contact(
        alice,
        paula,
        ContactInput(
            contact_at=clock.now() - dt.timedelta(hours=1),
            mode="phone",
            direction="outbound",
            reached=True,
            party="provider",
            party_name="Harbor Treatment Center",
            minutes=10,
            next_steps=P2_CONTACT,
            sensitivity=Sensitivity.PART2,
        ),
        follow_up=FollowUp(P2_CONTACT.replace("contact", "followup"), clock.today() + dt.timedelta(days=2)),
    )
    do_record_consent(
        alice,
        paula,
        consent_type=ConsentType.PART2,
        method=ConsentMethod.WRITTEN,
        given_on=clock.today(),
        recipient="Harbor Treatment Center",
        scope_note=P2_CONSENT,
    )
    plan = CarePlan.objects.get(patient=paula)
    part2 = careplans.do_add_problem_from_condition(alice, plan, conditions[0])
    grief = careplans.do_add_problem_from_condition(alice, plan, conditions[2])
    careplans.do_update_problem(alice, grief, title=PSY_PROBLEM, patient_priority=True)
    goal = plan.goals.get()
    goal.problems.add(part2, grief)  # the goal form keeps links it does not show; so does this
    # A goal made only for the Part 2 problem names it; so do its step, barrier and intervention.
    p2_goal = careplans.do_add_goal(
        alice,
        plan,
        problem_ids=[part2.pk],
        patient_words=P2_GOAL,
        measure="other",
        measure_text="Days at the programme",
        target_text="Every weekday",
    )
    careplans.do_add_step(alice, p2_goal, text=P2_GOAL.replace("goal", "step"))
    careplans.do_add_barrier(alice, p2_goal, kind=BarrierKind.TRANSPORT, description=P2_GOAL + "barrier")
    careplans.do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.COUNSELLING,
        title=P2_GOAL.replace("goal", "action"),
        owner_type=OwnerType.STAFF,
        owner=alice,
        goal=p2_goal,
    )
    careplans.do_publish(alice, plan, reason="Treatment added")
    do_compute_risk_scores(alice, paula)
    for description, label in (("Records for her new GP", ""), (P2_DISCLOSURE, Sensitivity.PART2)):
        do_record_disclosure(
            alice,
            paula,
            disclosed_on=clock.today(),
            recipient_name="Harbor Treatment Center" if label else "Dr Lee",
            description=description,
            purpose="At the patient's request",
            sensitivity=Sensitivity(label),
        )
    referrals.do_create_referral(
        alice,
        paula,
        need="substance-use",
        reason=P2_REFERRAL,
        service=Service.objects.get(name="Outpatient recovery program"),
    )
    _knee_request(world)
    return [c.pk for c in conditions], [part2.pk, grief.pk]


def _knee_request(world: World) -> None:
    """A normal prior-authorisation request beside the Part 2 one access_world made (its marker: UM_P2_SERVICE)."""
    take_in_prior_authorisation(
        world, code="73721", description="MRI of the knee", diagnoses=("M25.561",), servicing="Riverside Imaging",
        notes="Knee pain for 8 weeks.",
    )  # fmt: skip


def _people(world: World) -> dict[str, User]:
    phil = make_staff("phil", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    do_add_care_team_member(world.alice, world.paula, member=phil, role="Pharmacist")
    south = Team.objects.create(organization=world.riverside, name="South")
    erin = make_staff("erin", Role.CASE_MANAGER, world.riverside, team=south, capacity=60)
    do_break_glass(erin, world.paula, reason=EmergencyReason.COVERING, explanation="Covering South at night.")
    return {"phil": phil, "erin": erin, "adam": world.adam, "alice": world.alice}


def _urls(name: str, world: World, grant_id: int, problems: list[int]) -> list[str]:
    try:
        base = _full(name, world, grant_id)
    except NoReverseMatch:
        return []  # an id the access walk does not fill in: not one of Paula's (checked below)
    urls = [base + query for query in QUERIES.get(name, [""])]
    if _takes(dict(ALL_PATTERNS)[name], "problem_id"):
        urls += [reverse(name, kwargs={"problem_id": pk}) for pk in problems]
    return urls


def _build(world: World) -> Walk:
    with override_settings(CARE_PLAN_APPROVAL_PROGRAMS=frozenset()):
        grant = _grant(world)  # one of everything about Paula (tests/test_access_walk.py)
        conditions, problems = _sensitive_records(world)
    people = _people(world)
    world = reread(world)
    return Walk(
        urls={name: _urls(name, world, grant.pk, problems) for name in PAGES},
        sessions={name: _session(user) for name, user in people.items()},
        tokens={name: do_create_token(user, name="walk")[1] for name, user in people.items()},
        paula_id=world.paula.pk,
        plan_id=CarePlan.objects.get(patient=world.paula).pk,
        sensitive_conditions=tuple(conditions),
        sensitive_problems=tuple(problems),
        sensitive_work=_sensitive_work(world),
    )


def _sensitive_work(world: World) -> tuple[str, ...]:
    from careconductor.careplans.models import Goal
    from careconductor.coordination.models import Task

    goal = Goal.objects.get(patient=world.paula, patient_words=P2_GOAL)
    tasks = Task.objects.filter(patient=world.paula).exclude(sensitivity="")
    assert tasks.count() == 2  # the intervention's and the contact's follow-up
    referral = Referral.objects.get(patient=world.paula, sensitivity=Sensitivity.PART2)
    return (
        reverse("careplans:goal", args=[goal.pk]),
        reverse("careplans:step", args=[goal.steps.get().pk]),
        *(reverse("coordination:task", args=[t.pk]) for t in tasks),
        reverse("referrals:detail", args=[referral.pk]),
    )


@pytest.fixture(scope="module")
def shared_walk(module_db: ModuleDb, shared_world: World) -> Walk:
    return module_db.build(_build, shared_world)


@pytest.fixture
def walk(shared_walk: Walk, db: None) -> Walk:
    return shared_walk


def _as(client: Client, walk: Walk, persona: str) -> Client:
    client.cookies[settings.SESSION_COOKIE_NAME] = walk.sessions[persona]
    return client


def _text(response) -> str:  # type: ignore[no-untyped-def]
    """The body as text: a PDF's extracted text and its raw bytes, anything else decoded."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    raw = content.decode(errors="replace")
    if response.get("Content-Type", "").startswith("application/pdf"):
        return raw + " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return raw


def _leaks(text: str, *asked: str) -> set[str]:
    """The markers in a reply, but for the request's own words that a search bundle's self link repeats."""
    for words in asked:
        text = text.replace(words, "")
    return set(LEAK.findall(text))


# --- the records are there to leak ----------------------------------------------------------------------------
def test_every_model_with_a_sensitivity_label_has_sensitive_rows_of_paulas(walk: Walk) -> None:
    """A model given a `sensitivity` field later is walked only once the world has rows of it: add them. (Both
    labels for conditions and notes; a risk score that counted both kinds is labelled Part 2.)"""
    labelled = [m for m in apps.get_models() if any(f.name == "sensitivity" for f in m._meta.get_fields())]
    assert labelled
    for model in labelled:
        labels = set(
            model._default_manager.filter(patient_id=walk.paula_id).values_list("sensitivity", flat=True)
        )
        assert "" in labels and labels - {""}, f"the walk has no sensitive {model.__name__} rows"
        if model.__name__ in ("Condition", "Note"):
            assert labels == {s.value for s in Sensitivity}, model.__name__


# --- pages ------------------------------------------------------------------------------------------------------
def test_the_walk_fills_in_every_page_about_a_patient(walk: Walk) -> None:
    missing = [
        name
        for name in PAGES
        if not walk.urls[name] and any(_takes(dict(ALL_PATTERNS)[name], k) for k in PATIENT_KWARGS)
    ]
    assert missing == [], "give these pages Paula's ids in tests/test_access_walk.py's _full"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", PAGES)
def test_pages_show_no_sensitive_record(persona: str, name: str, walk: Walk, client: Client) -> None:
    _as(client, walk, persona)
    for url in walk.urls[name]:
        response = client.get(url)
        assert not _leaks(_text(response)), (
            f"{persona} GET {url} ({response.status_code}) showed {_leaks(_text(response))}"
        )


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_problem_made_from_a_sensitive_record_is_not_found_by_its_id(
    persona: str, walk: Walk, client: Client
) -> None:
    _as(client, walk, persona)
    for pk in walk.sensitive_problems:
        response = client.post(reverse("careplans:problem", args=[pk]), {})
        assert response.status_code == 404, f"{persona} reached problem {pk}: {response.status_code}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_work_made_for_a_sensitive_record_is_not_found_by_its_id(
    persona: str, walk: Walk, client: Client
) -> None:
    def status(url: str) -> int:  # a page answers GET; an action (a step's check box) only POST
        got = client.get(url).status_code
        return client.post(url, {}).status_code if got == 405 else got

    _as(client, walk, persona)
    for url in walk.sensitive_work:
        assert status(url) == 404, f"{persona} reached {url}"
    _as(client, walk, "alice")
    assert [status(url) for url in walk.sensitive_work] == [200, 302, 200, 200, 200]


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_chart_still_shows_them_her_normal_records(persona: str, walk: Walk, client: Client) -> None:
    """So the walk above reached her data: the same log-in sees the chart and its normal records."""
    body = _as(client, walk, persona).get(reverse("patients:chart", args=[walk.paula_id])).content.decode()
    assert NORMAL_CONDITION in body and NORMAL_NOTE in body
    assert not _leaks(body)
    risk = client.get(reverse("assessments:patient", args=[walk.paula_id])).content.decode()
    assert "HOSPITAL score" in risk  # it counted no diagnosis
    assert "Charlson comorbidity index" not in risk  # it counted the Part 2 cirrhosis


def test_her_case_manager_sees_every_sensitive_record_on_the_pages(walk: Walk, client: Client) -> None:
    _as(client, walk, "alice")
    chart = client.get(reverse("patients:chart", args=[walk.paula_id])).content.decode()
    missing = [
        m
        for m in (
            P2_CONDITION,
            P2_LIVER,
            PSY_CONDITION,
            P2_NOTE,
            PSY_NOTE,
            P2_CONSENT,
            P2_GOAL,
            "wm-p2-action",
            UM_P2_SERVICE,  # the prior authorisations card
        )
        if m not in chart
    ]
    assert missing == []
    plan = client.get(reverse("careplans:plan", args=[walk.plan_id])).content.decode()
    assert P2_CONDITION in plan and PSY_PROBLEM in plan
    compared = client.get(
        reverse("careplans:versions", args=[walk.plan_id]), {"a": 1, "b": 2}
    ).content.decode()
    assert PSY_PROBLEM in compared
    for pk in walk.sensitive_problems:
        assert client.post(reverse("careplans:problem", args=[pk]), {}).status_code == 302
    risk = client.get(reverse("assessments:patient", args=[walk.paula_id])).content.decode()
    assert "Charlson comorbidity index" in risk and "K70.30" in risk


# --- the API ----------------------------------------------------------------------------------------------------
def _searches(resource_type: str, paula_id: int) -> list[str]:
    """The type's searches that reach Paula's rows: all, by her, each _include and _revinclude of it."""
    mapper = mapper_for(resource_type)
    assert mapper is not None
    searches = [f"{resource_type}?_count=200"]
    for name, param in mapper.params.items():
        if param.type == "reference" and param.target == "Patient":
            searches.append(f"{resource_type}?{name}={paula_id}&_count=200")
        if param.type == "reference" and param.path:
            searches.append(f"{resource_type}?_include={resource_type}:{name}&_count=200")
    for source in all_mappers():
        for name, param in source.params.items():
            if param.type == "reference" and param.path and param.target == resource_type:
                searches.append(f"{resource_type}?_revinclude={source.resource_type}:{name}&_count=200")
    return searches


def _api_paths(resource_type: str, walk: Walk) -> list[str]:
    mapper = mapper_for(resource_type)
    assert mapper is not None
    paths = _searches(resource_type, walk.paula_id)
    if resource_type == "Condition":  # asking for a hidden record by its code finds nothing either
        paths += [f"Condition?patient={walk.paula_id}&code={code}" for code in SENSITIVE_CODES]
    # A read renders a row as the searches do; its history holds the versions kept as they were then (a
    # vread serves one of them).
    paths += [f"{resource_type}/{mapper.resource_id(row)}/_history" for row in rows_of(mapper, _paula(walk))]
    return paths


def _paula(walk: Walk):  # type: ignore[no-untyped-def]
    return apps.get_model("patients", "Patient").objects.get(pk=walk.paula_id)


def _api(client: Client, walk: Walk, persona: str, path: str) -> tuple[int, str]:
    """(status, body) of a GET with the persona's token; tests/fhir validates the replies, this walk only reads."""
    token = {"HTTP_AUTHORIZATION": f"Bearer {walk.tokens[persona]}"}
    response = client.get(BASE + path, **token)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("resource_type", TYPES)
def test_the_api_serves_no_sensitive_record(
    resource_type: str, persona: str, walk: Walk, client: Client
) -> None:
    for path in _api_paths(resource_type, walk):
        status, body = _api(client, walk, persona, path)
        assert not _leaks(body, path), f"{persona} GET {path} ({status}) showed {_leaks(body, path)}"
    if resource_type == "Condition":
        for pk in walk.sensitive_conditions:
            assert not json.loads(_api(client, walk, persona, f"Condition?_id={pk}")[1]).get("entry")
            for path in (f"Condition/{pk}", f"Condition/{pk}/_history", f"Condition/{pk}/_history/1"):
                assert _api(client, walk, persona, path)[0] == 404, f"{persona} read {path}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_everything_and_bundles_serve_no_sensitive_record(persona: str, walk: Walk, client: Client) -> None:
    api = Api(client, walk.tokens[persona])
    everything = api.get(f"Patient/{walk.paula_id}/$everything")
    assert everything.status == 200, everything.body  # each of them may see her chart
    assert ("Condition", str(walk.sensitive_conditions[0])) not in entries(everything.body)
    assert not _leaks(json.dumps(everything.body)), f"{persona} $everything"
    reads = [f"Condition/{pk}" for pk in walk.sensitive_conditions]
    searches = [f"Condition?_id={pk}" for pk in walk.sensitive_conditions] + [
        f"Patient?_id={walk.paula_id}&_revinclude=Condition:patient",
        f"Condition?patient={walk.paula_id}&code=F11.20",
    ]
    for kind in ("batch", "transaction"):
        bundle = {
            "resourceType": "Bundle",
            "type": kind,
            "entry": [{"request": {"method": "GET", "url": url}} for url in reads + searches],
        }
        reply = api.post("", bundle)
        assert not _leaks(json.dumps(reply.body), *searches), f"{persona} {kind}"
    posted = client.post(
        "/fhir/r4/Condition/_search",
        f"patient={walk.paula_id}&_count=200",
        content_type="application/x-www-form-urlencoded",
        **api.auth,
    )
    assert posted.status_code == 200 and not _leaks(posted.content.decode())


def test_her_case_manager_sees_them_through_the_api(walk: Walk, client: Client) -> None:
    api = Api(client, walk.tokens["alice"])
    found = json.dumps(api.get(f"Condition?patient={walk.paula_id}&_count=200").body)
    assert {"wm-p2-condition", "wm-p2-liver", "wm-psy-condition"} <= _leaks(found)
    for pk in walk.sensitive_conditions:
        assert api.get(f"Condition/{pk}").status == 200
        assert api.get(f"Condition/{pk}/_history").status == 200
    everything = json.dumps(api.get(f"Patient/{walk.paula_id}/$everything").body)
    assert {"wm-p2-condition", "wm-psy-condition", "F11.20", "K70.30"} <= _leaks(everything)
    charlson = api.search(f"RiskAssessment?patient={walk.paula_id}&method=charlson")
    assert len(charlson) == 1 and "K70.30" in json.dumps(charlson[0]["note"])
    assert [c["code"] for c in charlson[0]["meta"]["security"]] == ["ETH", "R"]
