"""The administrator merges two records of one person on screens (issue 17 §3): finds them (by a nickname too),
reviews them side by side without clinical content, confirms with a reason; the history is open to the
privacy officer. Bad input gets words, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails, do_add_condition, do_add_note
from careconductor.patients.choices import Sex
from careconductor.patients.models import Note, Patient, PatientMerge
from careconductor.privacy.choices import Sensitivity

from ..personas import World
from ..shared import ModuleDb

pytestmark = pytest.mark.django_db
SECRET_NOTE = "Discussed relapse at the treatment programme"


def _lupe(world: World) -> int:
    lupe = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name="Lupe", family_name="Reyes", birth_date=world.paula.birth_date, sex=Sex.FEMALE
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        case_manager=world.alice,
    )
    do_add_condition(
        world.alice, lupe, icd10_code="F10.20", display="Alcohol use disorder", sensitivity=Sensitivity.PART2
    )
    do_add_note(world.alice, lupe, text=SECRET_NOTE, sensitivity=Sensitivity.PART2)
    return lupe.pk


@pytest.fixture(scope="module")
def shared_lupe(module_db: ModuleDb, shared_world: World) -> int:
    return module_db.build(_lupe, shared_world)


@pytest.fixture
def lupe(shared_lupe: int, world: World) -> Patient:
    return Patient.objects.get(pk=shared_lupe)


def _review_url(kept: int, duplicate: int) -> str:
    return f"{reverse('administration:merge_review')}?kept={kept}&duplicate={duplicate}"


def test_the_administrator_finds_reviews_and_merges_two_records(
    world: World, lupe: Patient, login, django_assert_max_num_queries
) -> None:
    client = login(world.adam)
    with django_assert_max_num_queries(16):
        found = client.get(reverse("administration:merge"), {"q": "Reyes"})
    assert found.status_code == 200
    page = found.content.decode()
    assert "Paula Reyes" in page and "Lupe Reyes" in page and 'name="kept"' in page

    # One query per kind of row that may hold both records under a unique constraint (the merge's clash check):
    # 27 since outreach campaigns (population.CampaignMember: one member per campaign) came in.
    with django_assert_max_num_queries(27):
        review = client.get(_review_url(world.paula.pk, lupe.pk))
    assert review.status_code == 200
    text = review.content.decode()
    assert "Record to keep" in text and "Lupe Reyes" in text and "Records you may not read" in text
    # Lupe's only condition is Part 2: not even counted for the administrator.
    assert "Conditions" not in text
    # counts only: no clinical content, sensitive or not
    assert SECRET_NOTE not in text and "Alcohol" not in text

    refused = client.post(_review_url(world.paula.pk, lupe.pk), {"reason": "", "confirm": ""})
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode() and "This field is required" in refused.content.decode()
    assert not PatientMerge.objects.exists()

    done = client.post(_review_url(world.paula.pk, lupe.pk), {"reason": "Lupe is Guadalupe", "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("administration:merges")
    assert Patient.objects.get(pk=lupe.pk).merged_into_id == world.paula.pk
    with django_assert_max_num_queries(18):
        history = client.get(done["Location"])
    assert "Lupe is Guadalupe" in history.content.decode() and "Adam Tester" in history.content.decode()
    # the old link leads to the kept record's address
    moved = client.get(reverse("patients:chart", args=[lupe.pk]))
    assert moved.status_code == 302 and moved["Location"] == reverse("patients:chart", args=[world.paula.pk])


def test_every_old_address_of_a_merged_record_leads_to_the_same_page_of_the_kept_one(
    world: World, lupe: Patient, login
) -> None:
    from careconductor.patients.merge import do_merge_patients

    do_merge_patients(world.adam, world.paula, lupe, "Same person, registered twice")
    client = login(world.alice)
    for name in ("patients:chart", "patients:details", "coordination:contacts"):
        old = client.get(reverse(name, args=[lupe.pk]) + "?tab=2")
        assert (old.status_code, old["Location"]) == (302, reverse(name, args=[world.paula.pk]) + "?tab=2")
        assert client.get(old["Location"]).status_code == 200
    # A note written on a chart opened before the merge is sent on, unchanged, to the kept record (307).
    posted = client.post(
        reverse("patients:add_note", args=[lupe.pk]), {"text": "Called back about her foot."}
    )
    assert (posted.status_code, posted["Location"]) == (
        307,
        reverse("patients:add_note", args=[world.paula.pk]),
    )
    assert not Note.objects.filter(text="Called back about her foot.").exists()  # nothing saved on the way
    # Someone who may not see the kept record learns nothing: the old address is not found.
    assert login(world.bob).get(reverse("patients:chart", args=[lupe.pk])).status_code == 404


def test_the_privacy_officer_reads_the_history_and_nobody_else_merges(
    world: World, lupe: Patient, login
) -> None:
    from careconductor.patients.merge import do_merge_patients

    do_merge_patients(world.adam, world.paula, lupe, "Same person, registered twice")
    officer = login(world.pia)
    history = officer.get(reverse("administration:merges"))
    assert history.status_code == 200 and "registered twice" in history.content.decode()
    assert officer.get(reverse("administration:merge")).status_code == 403
    for persona in (world.sam, world.alice):
        client = login(persona)
        assert client.get(reverse("administration:merges")).status_code == 403
        assert client.get(_review_url(world.paula.pk, lupe.pk)).status_code == 403


@pytest.mark.parametrize(
    "query",
    ["", "?kept=abc&duplicate=1", "?kept=1", "?kept=5&duplicate=5", "?kept=-1&duplicate=2"],
)
def test_bad_input_on_the_review_page_gets_words_not_an_error(world: World, login, query: str) -> None:
    client = login(world.adam)
    answer = client.get(reverse("administration:merge_review") + query)
    assert answer.status_code == 400
    assert "Choose one record to keep" in answer.content.decode()


def test_records_of_another_organisation_are_not_found(world: World, lupe: Patient, login) -> None:
    from careconductor.accounts.choices import Role
    from tests.personas import make_staff

    other_admin = make_staff("ana", Role.ADMIN, world.lakeside)
    client = login(other_admin)
    assert client.get(_review_url(world.paula.pk, lupe.pk)).status_code == 404
    assert (
        client.post(_review_url(world.paula.pk, lupe.pk), {"reason": "x", "confirm": "on"}).status_code == 404
    )
    assert not PatientMerge.objects.exists()


def test_a_refused_merge_shows_why_and_offers_no_button(world: World, lupe: Patient, login) -> None:
    from careconductor.cases.actions import do_refer_case

    do_refer_case(
        world.alice,
        lupe,
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Again",
        case_manager=world.alice,
    )
    client = login(world.adam)
    page = client.get(_review_url(world.paula.pk, lupe.pk)).content.decode()
    assert "Close the duplicate" in page and "Merge Lupe Reyes into" not in page
    posted = client.post(_review_url(world.paula.pk, lupe.pk), {"reason": "Same", "confirm": "on"})
    assert posted.status_code == 400 and "Close the duplicate" in posted.content.decode()
    assert not PatientMerge.objects.exists()
