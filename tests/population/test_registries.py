"""Registries (issue 22): made from a rule, run after each stratification and on demand, members entering and leaving
with the date and the day's count; referral of chosen members into a programme's intake in one step; who may see
them (population health analysts, supervisors, administrators: names, tiers and reasons, never the chart); the
pages, their refusals beside the fields, their query budgets and their audit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Condition, Patient
from careconductor.population.models import Registry, RegistryCount, RegistryMember, RegistryReferral
from careconductor.population.registry_actions import (
    MAX_REFERRALS,
    do_create_registry,
    do_refer_from_registry,
    do_run_registry,
)
from careconductor.population.stratify import do_stratify
from careconductor.population.tasks import nightly_stratification
from careconductor.privacy import policy
from careconductor.privacy.models import AuditEvent
from tests.personas import World, make_staff

from .test_stratify import member, stay

HF_HIGH_USE = "heart_failure AND (admissions >= 2 OR lace >= 10)"


@pytest.fixture
def petra(world: World) -> User:
    """A population health analyst of Riverside."""
    return make_staff("petra", Role.POPULATION_HEALTH, world.riverside)


def heart_failure(world: World, name: str, admissions: int) -> Patient:
    patient = member(world, name)
    Condition.objects.create(patient=patient, icd10_code="I50.9", display="Heart failure")
    for n in range(admissions):
        stay(patient, "IMP", 200 - 60 * n, 3)
    return patient


@pytest.mark.django_db
def test_a_registry_finds_its_members_and_records_who_enters_and_leaves_each_day(
    world: World, petra: User
) -> None:
    frequent = heart_failure(world, "Frequent", 2)
    once = heart_failure(world, "Once", 1)
    hidden = member(world, "Hidden")  # heart failure only on a labelled record: never used
    Condition.objects.create(patient=hidden, icd10_code="I50.9", display="HF", sensitivity="part2")
    for n in range(3):
        stay(hidden, "IMP", 100 + 20 * n, 2)
    do_stratify(world.adam)
    registry = do_create_registry(petra, name="Heart failure, high use", rule=HF_HIGH_USE.lower())
    assert registry.rule == HF_HIGH_USE  # kept in its plain form
    assert set(
        RegistryMember.objects.filter(registry=registry).values_list("patient__given_name", flat=True)
    ) == {"Frequent"}
    first_day = clock.today()
    count = RegistryCount.objects.get(registry=registry)
    assert (count.on, count.members, count.entered, count.left) == (first_day, 1, 1, 0)

    # Three days on: Once is admitted again (enters), Frequent's stays are now over a year old (leaves).
    with time_machine.travel(clock.now() + dt.timedelta(days=200), tick=False):
        stay(once, "IMP", 5, 2)
        stay(once, "IMP", 40, 2)
        do_stratify(world.adam)  # runs the registries too
        today = clock.today()
    stays = {
        s.patient.given_name: s
        for s in RegistryMember.objects.filter(registry=registry).select_related("patient")
    }
    assert stays["Frequent"].entered_on == first_day and stays["Frequent"].left_on == today
    assert stays["Once"].entered_on == today and stays["Once"].left_on is None
    last = RegistryCount.objects.get(registry=registry, on=today)
    assert (last.members, last.entered, last.left) == (1, 1, 1)
    assert frequent.pk not in policy.population_rows(petra, "stays").filter(left_on=None).values_list(
        "patient_id", flat=True
    )
    # Run again the same day: nothing changes, the day's count stays one row.
    with time_machine.travel(clock.now() + dt.timedelta(days=200), tick=False):
        result = do_run_registry(petra, Registry.objects.get(pk=registry.pk))
    assert (result.members, result.entered, result.left) == (1, 0, 0)
    assert RegistryCount.objects.filter(registry=registry).count() == 2
    assert AuditEvent.objects.filter(object_type="Registry", object_id=str(registry.pk)).count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "rule", "field", "says"),
    [
        ("", "copd", "name", "Give the registry a name"),
        ("x" * 121, "copd", "name", "Keep the name to 120 characters"),
        ("COPD", "copd AND", "rule", "ends too early"),
        ("COPD", "cpod", "rule", "Did you mean “copd”?"),
        ("Taken", "copd", "name", "already has a registry called “Taken”"),
    ],
)
def test_a_registry_that_cannot_be_made_says_why_beside_the_field(
    world: World, petra: User, name: str, rule: str, field: str, says: str
) -> None:
    do_create_registry(petra, name="taken", rule="copd")
    before = Registry.objects.count()
    with pytest.raises(ActionRefused) as refused:
        do_create_registry(petra, name=name, rule=rule)
    assert says in refused.value.errors[field]
    assert Registry.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "bob", "sam", "uma", "pia", "mo", "dana", "charlie"])
def test_only_population_roles_see_or_make_registries(world: World, persona: str) -> None:
    with pytest.raises(PermissionError):
        policy.population_rows(getattr(world, persona), "members")
    with pytest.raises(PermissionError):
        do_create_registry(getattr(world, persona), name="Mine", rule="copd")


@pytest.mark.django_db
def test_another_organisations_registry_is_not_found_or_counted(world: World, petra: User) -> None:
    registry = do_create_registry(petra, name="COPD", rule="copd")
    lara = make_staff("lara", Role.ADMIN, world.lakeside)  # Lakeside's administrator
    assert not policy.population_rows(lara, "registries").filter(pk=registry.pk).exists()
    with pytest.raises(ActionRefused):
        do_refer_from_registry(lara, registry, [world.paula.pk], program=Program.CCM)


@pytest.mark.django_db
def test_referring_members_opens_cases_in_intake_with_the_registry_as_the_reason(
    world: World, petra: User
) -> None:
    first, second = heart_failure(world, "First", 2), heart_failure(world, "Second", 3)
    do_stratify(world.adam)
    registry = do_create_registry(petra, name="HF", rule=HF_HIGH_USE)
    result = do_refer_from_registry(petra, registry, [first.pk, second.pk], program=Program.CCM)
    assert {c.patient_id for c in result.cases} == {first.pk, second.pk} and result.skipped == []
    case = Case.objects.get(patient=first)
    assert case.status == CaseStatus.REFERRED and case.referral_source == ReferralSource.RISK_LIST
    assert (
        "Found by the registry “HF”" in case.referral_reason
        and "2 hospital admissions in 12 months" in case.referral_reason
    )
    assert RegistryReferral.objects.filter(registry=registry).count() == 2
    # The analyst who referred them still cannot open their charts.
    assert not policy.can(petra, policy.Action.VIEW, first)
    # Again: both already have an open case in the programme; named, nothing new.
    again = do_refer_from_registry(petra, registry, [first.pk], program=Program.CCM)
    assert again.cases == [] and "already has an open case" in again.skipped[0][1]
    assert Case.objects.filter(patient=first).count() == 1


@pytest.mark.django_db
def test_a_referral_of_someone_outside_the_registry_or_too_many_changes_nothing(
    world: World, petra: User
) -> None:
    inside = heart_failure(world, "Inside", 2)
    outside = heart_failure(world, "Outside", 0)
    do_stratify(world.adam)
    registry = do_create_registry(petra, name="HF", rule=HF_HIGH_USE)
    cases = Case.objects.count()
    for chosen, field in (
        ([inside.pk, outside.pk], "members"),
        ([], "members"),
        (list(range(1, MAX_REFERRALS + 2)), "members"),
    ):
        with pytest.raises(ActionRefused) as refused:
            do_refer_from_registry(petra, registry, chosen, program=Program.CCM)
        assert field in refused.value.errors
    assert Case.objects.count() == cases


@pytest.mark.django_db
def test_the_night_job_runs_the_registries_after_the_stratification(world: World, petra: User) -> None:
    do_stratify(world.adam)
    registry = do_create_registry(petra, name="HF", rule=HF_HIGH_USE)
    heart_failure(world, "Newcomer", 2)
    world.riverside.time_zone = "America/Chicago"
    world.riverside.save()
    night = dt.datetime.combine(
        clock.today() + dt.timedelta(days=2), dt.time(2, 0), ZoneInfo("America/Chicago")
    )
    with time_machine.travel(night, tick=False):
        assert nightly_stratification.call_local() == 1
    assert RegistryMember.objects.filter(
        registry=registry, patient__given_name="Newcomer", left_on=None
    ).exists()


# --- the pages --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_analyst_starts_on_the_population_page_with_the_tiers_and_reasons(
    world: World, petra: User, login, django_assert_max_num_queries
) -> None:
    heart_failure(world, "Frequent", 2)
    do_stratify(world.adam)
    do_create_registry(petra, name="Heart failure, high use", rule=HF_HIGH_USE)
    client = login(petra)
    assert client.get(reverse("home"))["Location"] == reverse("population:home")
    with django_assert_max_num_queries(16):
        page = client.get(reverse("population:home"), {"tier": "4"})
    body = page.content.decode()
    assert page.status_code == 200
    assert (
        "Frequent Member" in body
        and "2 hospital admissions in 12 months" in body
        and "Heart failure, high use" in body
    )
    assert AuditEvent.objects.filter(user=petra, action="read", object_type="MemberRisk").exists()
    # Not a chart, not the patient list.
    frequent = Patient.objects.get(given_name="Frequent")
    assert client.get(reverse("patients:chart", args=[frequent.pk])).status_code in (403, 404)
    assert client.get(reverse("population:home"), {"tier": "٣", "page": "²"}).status_code == 200


@pytest.mark.django_db
def test_a_registry_made_on_the_form_shows_its_members_count_and_chart(
    world: World, petra: User, login
) -> None:
    heart_failure(world, "Frequent", 2)
    do_stratify(world.adam)
    client = login(petra)
    refused = client.post(reverse("population:new_registry"), {"name": "HF", "rule": "heart_failure AND"})
    assert refused.status_code == 400 and "ends too early" in refused.content.decode()
    assert 'id="id_rule_error"' in refused.content.decode()
    made = client.post(reverse("population:new_registry"), {"name": "HF", "rule": HF_HIGH_USE})
    registry = Registry.objects.get(name="HF")
    assert made["Location"] == reverse("population:registry", args=[registry.pk])
    page = client.get(made["Location"])
    body = page.content.decode()
    assert "Frequent Member" in body and "Refer into case management" in body
    assert "<svg" not in body  # one day's run is a number, not a trend
    assert client.post(reverse("population:run_registry", args=[registry.pk])).status_code == 302
    with time_machine.travel(clock.now() + dt.timedelta(days=1), tick=False):
        do_run_registry(petra, registry)  # the next night's
    assert "<svg" in client.get(made["Location"]).content.decode()


@pytest.mark.django_db
def test_referring_from_the_registry_page(world: World, petra: User, login) -> None:
    frequent = heart_failure(world, "Frequent", 2)
    do_stratify(world.adam)
    registry = do_create_registry(petra, name="HF", rule=HF_HIGH_USE)
    client = login(petra)
    url = reverse("population:refer", args=[registry.pk])
    bad = client.post(url, {"members": ["x1"], "program": Program.CCM})
    assert bad.status_code == 400 and "Choose members from the list." in bad.content.decode()
    none = client.post(url, {"program": Program.CCM})
    assert none.status_code == 400 and "Choose the members to refer." in none.content.decode()
    done = client.post(url, {"members": [str(frequent.pk)], "program": Program.CCM}, follow=True)
    assert "1 referred into intake" in done.content.decode()
    assert "Chronic care management, referred" in done.content.decode()
    assert Case.objects.filter(patient=frequent, program=Program.CCM).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "sam", "uma", "pia"])
def test_other_roles_are_refused_the_population_pages(world: World, persona: str, login) -> None:
    client = login(getattr(world, persona))
    assert client.get(reverse("population:home")).status_code == 403
