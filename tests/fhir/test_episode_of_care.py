"""EpisodeOfCare through the FHIR API: cases read and searched as their patients' access allows, referrals
created, and status, case manager and acuity changed only through the cases actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careconductor.cases.actions import do_refer_case, do_register_and_refer
from careconductor.cases.choices import CaseStatus, ClosureReason, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.fhir.mappers.common import EXT
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType

from .conftest import query_count

pytestmark = pytest.mark.django_db

PROGRAM = "urn:careconductor:program"


def ext(body, name):
    return next((e for e in body.get("extension", []) if e["url"] == EXT + name), None)


def with_ext(body, name, **value):
    kept = [e for e in body.get("extension", []) if e["url"] != EXT + name]
    return {**body, "extension": [*kept, {"url": EXT + name, **value}]}


def consent_to_enrolment(world):
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today(),
    )


def referral(world, **changes):
    body = {
        "resourceType": "EpisodeOfCare",
        "status": "planned",
        "type": [{"coding": [{"system": PROGRAM, "code": "tcm"}]}],
        "patient": {"reference": f"Patient/{world.paula.pk}"},
    }
    return {**body, **changes}


def test_read_shows_the_case_with_team_manager_history_and_extensions(world, api):
    case = world.paula_case
    reply = api(world.alice).get(f"EpisodeOfCare/{case.pk}")
    assert reply.status == 200
    body = reply.body
    assert body["status"] == "planned"
    assert body["patient"] == {"reference": f"Patient/{world.paula.pk}"}
    assert body["managingOrganization"] == {
        "reference": f"Organization/team-{world.north.pk}",
        "display": "North",
    }
    assert body["careManager"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["team"] == [{"reference": f"CareTeam/{world.paula.pk}"}]
    assert body["type"][0]["coding"][0] == {
        "system": PROGRAM,
        "code": "complex_cm",
        "display": "Complex case management",
    }
    assert [h["status"] for h in body["statusHistory"]] == ["planned"]
    assert body["period"]["start"] == case.referred_at.isoformat()
    assert ext(body, "acuity-tier")["valueInteger"] == 3
    assert ext(body, "referral-source")["valueCoding"]["code"] == "pcp"
    assert ext(body, "referral-reason")["valueString"].startswith("Uncontrolled diabetes")
    assert reply.headers["ETag"] == f'W/"{case.version}"'


def test_strangers_see_nothing(world, api):
    case = world.paula_case
    for stranger in (world.bob, world.charlie, world.uma):
        assert api(stranger).get(f"EpisodeOfCare/{case.pk}").status == 404
        assert api(stranger).search("EpisodeOfCare") == []
        assert api(stranger).search(f"EpisodeOfCare?patient={world.paula.pk}") == []


def test_search_by_each_parameter(world, api):
    alice = api(world.alice)
    case = world.paula_case
    me = [str(case.pk)]

    def ids(query):
        return [r["id"] for r in alice.search(f"EpisodeOfCare?{query}")]

    assert ids(f"patient=Patient/{world.paula.pk}") == me
    assert ids(f"patient={world.paula.pk + 1000}") == []
    assert ids("status=planned") == me
    assert ids("status=http://hl7.org/fhir/episode-of-care-status|planned,active") == me
    assert ids("status=active") == []
    assert ids("status:not=planned") == []
    assert ids(f"type={PROGRAM}|complex_cm") == me
    assert ids("type=tcm") == []
    assert ids(f"care-manager=Practitioner/{world.alice.pk}") == me
    assert ids(f"care-manager={world.bob.pk}") == []
    # The search takes dates in the server's time zone: between midnight UTC and midnight in New York the
    # UTC date is a day ahead.
    referred = timezone.localdate(case.referred_at).isoformat()
    assert ids(f"date={referred}") == me
    assert ids(f"date=ge{referred}&date=le{referred}") == me
    assert ids(f"date=gt{referred}") == []
    assert ids(f"date=lt{referred}") == []
    assert ids(f"organization=Organization/team-{world.north.pk}") == me
    assert ids(f"organization=team-{world.north.pk + 100}") == []
    assert ids(f"organization=Organization/{world.riverside.pk}") == me
    assert ids(f"_id={case.pk}") == me
    assert ids(f"_lastUpdated=ge{referred}") == me
    assert ids("_sort=-date") == me


def test_include_patient_and_care_manager_and_revinclude_from_patient(world, api):
    alice = api(world.alice)
    reply = alice.get(
        f"EpisodeOfCare?patient={world.paula.pk}&_include=EpisodeOfCare:patient"
        "&_include=EpisodeOfCare:care-manager"
    )
    included = {
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in reply.body["entry"]
        if e["search"]["mode"] == "include"
    }
    assert included == {f"Patient/{world.paula.pk}", f"Practitioner/{world.alice.pk}"}
    reply = alice.get(f"Patient?_id={world.paula.pk}&_revinclude=EpisodeOfCare:patient")
    assert [
        e["resource"]["id"] for e in reply.body["entry"] if e["resource"]["resourceType"] == "EpisodeOfCare"
    ] == [str(world.paula_case.pk)]


def test_a_page_of_cases_costs_a_fixed_number_of_queries(world, api):
    alice = api(world.alice)
    alice.search("EpisodeOfCare")  # warm up: token, content types

    def page_has(n: int) -> None:
        assert len(alice.search("EpisodeOfCare")) == n

    one = query_count(lambda: page_has(1))
    for i in range(5):
        do_register_and_refer(
            world.alice,
            PatientDetails(
                given_name="Test", family_name=f"Case{i}", birth_date=dt.date(1950, 1, 1), sex=Sex.MALE
            ),
            program=Program.CCM,
            referral_source=ReferralSource.PCP,
            referral_reason="Follow-up",
        )
    assert query_count(lambda: page_has(6)) == one


def test_a_supervisor_refers_an_existing_patient_to_a_team_and_manager(world, api):
    reply = api(world.sam).post(
        "EpisodeOfCare",
        referral(
            world,
            managingOrganization={"reference": f"Organization/team-{world.north.pk}"},
            careManager={"reference": f"Practitioner/{world.alice.pk}"},
            extension=[
                {"url": EXT + "referral-reason", "valueString": "Discharged yesterday"},
                {"url": EXT + "acuity-tier", "valueInteger": 2},
            ],
        ),
    )
    assert reply.status == 201, reply.body
    case = Case.objects.get(pk=reply.body["id"])
    assert case.program == Program.TCM
    assert case.referral_source == ReferralSource.INTERFACE
    assert case.referral_reason == "Discharged yesterday"
    assert case.team == world.north
    assert case.primary_case_manager == world.alice
    assert case.acuity_tier == 2
    assert reply.body["status"] == "planned"
    assert reply.headers["Location"].endswith(f"EpisodeOfCare/{case.pk}/_history/1")


def test_a_case_manager_refers_her_own_patient_to_her_own_team(world, api):
    reply = api(world.alice).post("EpisodeOfCare", referral(world))
    assert reply.status == 201, reply.body
    case = Case.objects.get(pk=reply.body["id"])
    assert case.team == world.north
    assert case.referral_reason == "Referred through the FHIR API"
    assert case.primary_case_manager is None


LONG_REASON = (
    "Discharged yesterday after a second heart-failure admission in six weeks. " * 6
)  # 450 characters


def test_a_long_referral_reason_is_kept_whole(world, api):
    # Issue 17 §5: the reason was silently cut at 300 characters.
    assert len(LONG_REASON) > 300
    body = referral(world, extension=[{"url": EXT + "referral-reason", "valueString": LONG_REASON}])
    reply = api(world.alice).post("EpisodeOfCare", body)
    assert reply.status == 201, reply.body
    assert Case.objects.get(pk=reply.body["id"]).referral_reason == LONG_REASON.strip()
    assert ext(reply.body, "referral-reason")["valueString"] == LONG_REASON.strip()


def test_a_referral_reason_past_the_limit_is_refused_naming_the_extension(world, api):
    before = Case.objects.count()
    body = referral(world, extension=[{"url": EXT + "referral-reason", "valueString": "x" * 4001}])
    reply = api(world.alice).post("EpisodeOfCare", body)
    assert reply.status == 422
    assert any("referral-reason" in path for path in reply.issue_paths()), reply.body
    assert Case.objects.count() == before


def test_referrals_are_refused_for_patients_not_visible_and_for_bad_input(world, api):
    before = Case.objects.count()
    assert api(world.bob).post("EpisodeOfCare", referral(world)).status == 403
    bad_team = referral(world, managingOrganization={"reference": "Organization/team-99999"})
    assert api(world.bob).post("EpisodeOfCare", bad_team).status == 403  # not 422: nothing told
    assert api(world.charlie).post("EpisodeOfCare", referral(world)).status == 403
    alice = api(world.alice)
    reply = alice.post("EpisodeOfCare", referral(world, status="active"))
    assert reply.status == 422
    assert "EpisodeOfCare.status" in reply.issue_paths()
    reply = alice.post(
        "EpisodeOfCare", referral(world, type=[{"coding": [{"system": PROGRAM, "code": "nope"}]}])
    )
    assert reply.status == 422
    assert "EpisodeOfCare.type" in reply.issue_paths()
    lake_team = world.charlie.profile.team
    reply = alice.post(
        "EpisodeOfCare",
        referral(world, managingOrganization={"reference": f"Organization/team-{lake_team.pk}"}),
    )
    assert reply.status == 422
    assert "EpisodeOfCare.managingOrganization" in reply.issue_paths()
    reply = alice.post(
        "EpisodeOfCare", referral(world, careManager={"reference": f"Practitioner/{world.dana.pk}"})
    )
    assert reply.status == 422
    assert "EpisodeOfCare.careManager" in reply.issue_paths()
    assert Case.objects.count() == before


def test_status_moves_one_step_at_a_time_to_active(world, api):
    alice = api(world.alice)
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    current = alice.get(path).body
    reply = alice.put(path, {**current, "status": "active"})
    assert reply.status == 422  # a referral is screened first
    screening = alice.put(path, {**current, "status": "waitlist"})
    assert screening.status == 200, screening.body
    assert screening.body["status"] == "waitlist"
    reply = alice.put(path, {**screening.body, "status": "active"})
    assert reply.status == 422  # no consent to case management yet
    consent_to_enrolment(world)
    active = alice.put(path, {**alice.get(path).body, "status": "active"})
    assert active.status == 200, active.body
    assert [h["status"] for h in active.body["statusHistory"]] == ["planned", "waitlist", "active"]
    assert (
        active.body["statusHistory"][0]["period"]["end"] == active.body["statusHistory"][1]["period"]["start"]
    )
    case = Case.objects.get(pk=world.paula_case.pk)
    assert case.status == CaseStatus.ACTIVE
    assert case.enrolled_at is not None


def _active(world, api):
    alice = api(world.alice)
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    consent_to_enrolment(world)
    assert alice.put(path, {**alice.get(path).body, "status": "waitlist"}).status == 200
    assert alice.put(path, {**alice.get(path).body, "status": "active"}).status == 200
    return alice, path


def test_closing_without_a_reason_is_refused_naming_the_element(world, api):
    alice, path = _active(world, api)
    current = alice.get(path).body
    reply = alice.put(
        path, with_ext({**current, "status": "finished"}, "closing-summary", valueString="Goals met.")
    )
    assert reply.status == 422
    assert f"EpisodeOfCare.extension('{EXT}closure-reason')" in reply.issue_paths()
    assert Case.objects.get(pk=world.paula_case.pk).status == CaseStatus.ACTIVE
    closing = with_ext(
        {**current, "status": "finished"},
        "closure-reason",
        valueCodeableConcept={
            "coding": [{"system": "urn:careconductor:closure-reason", "code": "goals_met"}]
        },
    )
    reply = alice.put(path, closing)
    assert reply.status == 422
    assert f"EpisodeOfCare.extension('{EXT}closing-summary')" in reply.issue_paths()
    reply = alice.put(path, with_ext(closing, "closing-summary", valueString="A1c under 8; PCP follows up."))
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "finished"
    assert reply.body["period"]["end"]
    assert ext(reply.body, "closure-reason")["valueCodeableConcept"]["coding"][0]["code"] == "goals_met"
    case = Case.objects.get(pk=world.paula_case.pk)
    assert case.closure_reason == ClosureReason.GOALS_MET


def test_cancelled_needs_to_say_declined_or_ineligible(world, api):
    alice = api(world.alice)
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    current = alice.get(path).body
    reply = alice.put(path, {**current, "extension": [], "status": "cancelled"})
    assert reply.status == 422
    assert f"EpisodeOfCare.extension('{EXT}case-status')" in reply.issue_paths()
    declined = with_ext(
        {**current, "status": "cancelled"},
        "case-status",
        valueCoding={"system": "urn:careconductor:case-status", "code": "declined"},
    )
    reply = alice.put(path, declined)
    assert reply.status == 422
    assert f"EpisodeOfCare.extension('{EXT}status-note')" in reply.issue_paths()
    reply = alice.put(path, with_ext(declined, "status-note", valueString="Does not want calls."))
    assert reply.status == 200, reply.body
    assert Case.objects.get(pk=world.paula_case.pk).status == CaseStatus.DECLINED


def test_the_supervisor_reassigns_the_case_manager_with_a_reason(world, api):
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    current = api(world.sam).get(path).body
    to_bob = {**current, "careManager": {"reference": f"Practitioner/{world.bob.pk}"}}
    reply = api(world.alice).put(path, to_bob)
    assert reply.status == 422  # case managers do not assign
    reply = api(world.sam).put(path, to_bob)
    assert reply.status == 422  # bob is not eligible for tier 3: a reason is needed
    assert f"EpisodeOfCare.extension('{EXT}assignment-reason')" in reply.issue_paths()
    reply = api(world.sam).put(path, with_ext(to_bob, "assignment-reason", valueString="Alice is on leave."))
    assert reply.status == 200, reply.body
    assert reply.body["careManager"]["reference"] == f"Practitioner/{world.bob.pk}"
    assert Case.objects.get(pk=world.paula_case.pk).primary_case_manager == world.bob
    assert world.paula_case.assignments.filter(
        case_manager=world.bob, override_reason="Alice is on leave."
    ).exists()


def test_acuity_changes_through_the_extension(world, api):
    alice = api(world.alice)
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    current = alice.get(path).body
    reply = alice.put(path, with_ext(current, "acuity-tier", valueInteger=4))
    assert reply.status == 200, reply.body
    assert ext(reply.body, "acuity-tier")["valueInteger"] == 4
    assert [h["status"] for h in reply.body["statusHistory"]] == ["planned"]  # not a status change
    reply = alice.put(path, with_ext(reply.body, "acuity-tier", valueInteger=7))
    assert reply.status == 422
    assert f"EpisodeOfCare.extension('{EXT}acuity-tier')" in reply.issue_paths()


def test_what_an_episode_keeps_for_life_cannot_change(world, api):
    alice = api(world.alice)
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    current = alice.get(path).body
    other = do_register_and_refer(
        world.alice,
        PatientDetails(given_name="Omar", family_name="Other", birth_date=dt.date(1960, 2, 2), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Follow-up",
    )
    cases = [
        ({**current, "patient": {"reference": f"Patient/{other.pk}"}}, "EpisodeOfCare.patient"),
        ({**current, "type": [{"coding": [{"system": PROGRAM, "code": "ccm"}]}]}, "EpisodeOfCare.type"),
        (
            with_ext(current, "referral-reason", valueString="Something else"),
            f"EpisodeOfCare.extension('{EXT}referral-reason')",
        ),
        ({**current, "careManager": None}, "EpisodeOfCare.careManager"),
    ]
    for body, element in cases:
        body = {k: v for k, v in body.items() if v is not None}
        reply = alice.put(path, body)
        assert reply.status == 422, element
        assert element in reply.issue_paths()
    assert Case.objects.get(pk=world.paula_case.pk).version == world.paula_case.version


def test_a_stale_if_match_is_refused(world, api):
    alice = api(world.alice)
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    current = alice.get(path).body
    version = current["meta"]["versionId"]
    moved = alice.put(path, {**current, "status": "waitlist"}, HTTP_IF_MATCH=f'W/"{version}"')
    assert moved.status == 200, moved.body
    assert int(moved.body["meta"]["versionId"]) > int(version)
    stale = alice.put(path, with_ext(current, "acuity-tier", valueInteger=4), HTTP_IF_MATCH=f'W/"{version}"')
    assert stale.status == 412
    assert Case.objects.get(pk=world.paula_case.pk).acuity_tier == 3


def test_a_second_case_of_another_patient_stays_out_of_reach(world, api):
    lake_patient = do_register_and_refer(
        world.charlie,
        PatientDetails(given_name="Lou", family_name="Lake", birth_date=dt.date(1970, 1, 1), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Follow-up",
    )
    lake_case = Case.objects.get(patient=lake_patient)
    assert api(world.adam).get(f"EpisodeOfCare/{lake_case.pk}").status == 404
    assert [r["id"] for r in api(world.adam).search("EpisodeOfCare")] == [str(world.paula_case.pk)]
    assert [r["id"] for r in api(world.charlie).search("EpisodeOfCare")] == [str(lake_case.pk)]
    second = do_refer_case(
        world.sam,
        world.paula,
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="CCM too",
        team=world.north,
    )
    assert {r["id"] for r in api(world.sam).search(f"EpisodeOfCare?patient={world.paula.pk}")} == {
        str(world.paula_case.pk),
        str(second.pk),
    }


@pytest.mark.django_db(transaction=True)
def test_history_keeps_each_status(world, api):
    alice = api(world.alice)
    path = f"EpisodeOfCare/{world.paula_case.pk}"
    current = alice.get(path).body
    assert alice.put(path, {**current, "status": "waitlist"}).status == 200
    history = alice.get(f"{path}/_history")
    assert [e["resource"]["status"] for e in history.body["entry"]][:2] == ["waitlist", "planned"]
    first = alice.get(f"{path}/_history/{current['meta']['versionId']}")
    assert first.status == 200
    assert first.body["status"] == "planned"
