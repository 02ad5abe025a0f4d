"""Risk stratification (issue 22): the tier rules as a table; the batch engine on the database, for a member of
each kind and, with hypothesis, for random small populations against a slow, obviously correct computation of the
same facts; sensitive records left out; results replaced by each run; one audit event; the command."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.assessments.risk import charlson
from careconductor.careplans.models import Reading
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.medications.models import Medication
from careconductor.patients.models import Condition, Encounter, Patient
from careconductor.population.models import MemberRisk, StratificationRun
from careconductor.population.registry_rules import conditions_of
from careconductor.population.stratify import do_stratify, facts_of, member_facts
from careconductor.population.stratify_rules import MemberFacts, tier_of
from careconductor.privacy.models import AuditEvent
from tests.personas import World

F = MemberFacts


@pytest.mark.parametrize(
    ("facts", "tier", "reasons"),
    [
        (F(1), 1, ()),
        (F(1, readmitted_30d=True, admissions_12m=2), 4, ("Readmitted within 30 days of a discharge", "2 hospital admissions in 12 months")),
        (F(1, last_lace=10), 4, ("LACE 10 at the last discharge",)),
        (F(1, last_lace=9, admissions_12m=1), 3, ("1 hospital admission in 12 months",)),
        (F(1, ed_visits_12m=2), 3, ("2 emergency visits in 12 months",)),
        (F(1, ed_visits_12m=1, charlson=5, ambulatory_visits_12m=1), 3, ("Charlson index 5",)),
        (F(1, chronic_conditions=3, ambulatory_visits_12m=2), 2, ("3 chronic conditions",)),
        (F(1, charlson=4, chronic_conditions=2, ambulatory_visits_12m=1), 2, ("Charlson index 4",)),
        (F(1, chronic_conditions=1), 2, ("A chronic condition and no ambulatory visit in 12 months",)),
        (F(1, chronic_conditions=2, ambulatory_visits_12m=1, charlson=2), 1, ()),
        (F(1, last_hospital=7), 4, ("HOSPITAL 7 at the last discharge",)),  # clinical.md §4.4: high
        (F(1, last_hospital=6), 3, ("HOSPITAL 6 at the last discharge",)),  # intermediate
        (F(1, last_hospital=5, admissions_12m=1), 3, ("1 hospital admission in 12 months", "HOSPITAL 5 at the last discharge")),
        (F(1, last_hospital=4), 1, ()),  # low
        (F(1, active_medications=5, ambulatory_visits_12m=1), 2, ("5 medications taken now",)),
        (F(1, active_medications=4), 1, ()),
        (F(1, social_needs=2), 2, ("2 open social needs",)),
        (F(1, social_needs=1), 1, ()),
        # The care gap: diabetes and no HbA1c in 6 months (183 days), none at all included.
        (F(1, chronic_conditions=1, ambulatory_visits_12m=1, conditions=("diabetes",)), 2, ("Diabetes and no HbA1c result in 6 months",)),
        (F(1, chronic_conditions=1, ambulatory_visits_12m=1, conditions=("diabetes",), days_since_hba1c=184), 2, ("Diabetes and no HbA1c result in 6 months",)),
        (F(1, chronic_conditions=1, ambulatory_visits_12m=1, conditions=("diabetes",), days_since_hba1c=183), 1, ()),
        (F(1, chronic_conditions=1, ambulatory_visits_12m=1, conditions=("copd",)), 1, ()),
    ],
)  # fmt: skip
def test_the_tier_and_its_reasons(facts: MemberFacts, tier: int, reasons: tuple[str, ...]) -> None:
    assert tier_of(facts) == (tier, reasons)


def member(world: World, name: str) -> Patient:
    return Patient.objects.create(
        organization=world.riverside,
        given_name=name,
        family_name="Member",
        birth_date=dt.date(1950, 1, 1),
        sex="female",
    )


def hba1c(world: World, patient: Patient, days_ago: float, value: str = "8.1") -> Reading:
    return Reading.objects.create(
        patient=patient, measure="hba1c", value=Decimal(value), source="lab", recorded_by=world.alice,
        taken_at=clock.now() - dt.timedelta(days=days_ago),
    )  # fmt: skip


def stay(patient: Patient, kind: str, days_ago: float, length_days: float = 0.1) -> Encounter:
    start = clock.now() - dt.timedelta(days=days_ago)
    return Encounter.objects.create(
        patient=patient, encounter_class=kind, start=start, end=start + dt.timedelta(days=length_days)
    )


@pytest.mark.django_db
def test_each_kind_of_member_lands_in_its_tier(world: World) -> None:
    readmitted = member(world, "Readmitted")
    stay(readmitted, "IMP", 100, 4)
    stay(readmitted, "IMP", 80, 3)  # 16 days after the first discharge
    frequent = member(world, "Frequent")
    stay(frequent, "EMER", 20)
    stay(frequent, "EMER", 200)
    stay(frequent, "EMER", 400)  # more than a year ago: not counted
    unfollowed = member(world, "Unfollowed")
    Condition.objects.create(patient=unfollowed, icd10_code="E11.9", display="Diabetes")
    stay(unfollowed, "AMB", 500)
    hba1c(world, unfollowed, days_ago=40)
    gap = member(world, "Gap")  # diabetes, followed, but the last HbA1c is 7 months old
    Condition.objects.create(patient=gap, icd10_code="E11.65", display="Diabetes with hyperglycaemia")
    stay(gap, "AMB", 30)
    hba1c(world, gap, days_ago=214)
    needy = member(
        world, "Needy"
    )  # food insecurity found and coded, and a transport need a claim sent: 2 needs
    Condition.objects.create(
        patient=needy, category="health-concern", concern_code="food-insecurity", icd10_code="Z59.41",
        display="Food insecurity",
    )  # fmt: skip
    Condition.objects.create(patient=needy, icd10_code="Z59.41", display="Food insecurity")
    Condition.objects.create(patient=needy, icd10_code="Z59.82", display="Transportation insecurity")
    hidden = member(world, "Hidden")  # only a Part 2 condition: not used
    Condition.objects.create(
        patient=hidden, icd10_code="F10.20", display="Alcohol dependence", sensitivity="part2"
    )
    run = do_stratify(world.adam)
    tiers = {r.patient.given_name: (r.tier, r.reasons) for r in MemberRisk.objects.select_related("patient")}
    assert (
        tiers["Readmitted"][0] == 4 and "Readmitted within 30 days of a discharge" in tiers["Readmitted"][1]
    )
    assert tiers["Frequent"] == (3, ["2 emergency visits in 12 months"])
    assert tiers["Unfollowed"] == (2, ["A chronic condition and no ambulatory visit in 12 months"])
    assert tiers["Hidden"] == (1, [])
    assert tiers["Gap"] == (2, ["Diabetes and no HbA1c result in 6 months"])
    assert tiers["Needy"] == (2, ["2 open social needs"])
    facts = MemberRisk.objects.get(patient=needy)
    assert (facts.social_needs, facts.chronic_conditions, MemberRisk.objects.get(patient=gap).hba1c_gap) == (
        2,
        0,
        True,
    )
    assert (
        run.members
        == Patient.objects.filter(organization=world.riverside, deceased_date__isnull=True).count()
    )
    assert sum(run.tiers.values()) == run.members and MemberRisk.objects.count() == run.members
    assert AuditEvent.objects.filter(object_type="StratificationRun", object_id=str(run.pk)).count() == 1
    assert run.changed == run.members  # the first run: everyone is new
    # A second run writes only what changed: a visit for Unfollowed, Frequent's death (he is no longer counted).
    first = {r.patient_id: r.computed_at for r in MemberRisk.objects.all()}
    stay(unfollowed, "AMB", 10)
    frequent = Patient.objects.get(given_name="Frequent")
    Patient.objects.filter(pk=frequent.pk).update(deceased_date=clock.today())
    with time_machine.travel(clock.now() + dt.timedelta(hours=1), tick=False):
        again = do_stratify(world.adam)
    assert (
        MemberRisk.objects.get(patient=unfollowed).tier == 1 and MemberRisk.objects.count() == run.members - 1
    )
    assert again.changed == 1 and not MemberRisk.objects.filter(patient=frequent).exists()
    moved = {r.patient_id for r in MemberRisk.objects.all() if r.computed_at != first[r.patient_id]}
    assert moved == {unfollowed.pk}  # the rest keep the moment their facts became what they are
    assert StratificationRun.objects.count() == 2
    assert (
        "(1 new or changed, 1 removed)"
        in AuditEvent.objects.filter(object_type="StratificationRun").latest("pk").detail
    )


@pytest.mark.django_db
def test_only_an_administrator_runs_it_and_the_command_prints_the_tiers(world: World) -> None:
    with pytest.raises(ActionRefused):
        do_stratify(world.alice)
    out = io.StringIO()
    call_command("stratify", "--as", "adam", stdout=out)
    assert "members stratified in" in out.getvalue() and "low (tier 1)" in out.getvalue()


# --- the batch facts against a slow computation of the same facts ------------------------------------------------
KINDS = st.sampled_from(["IMP", "EMER", "AMB", "VR", "HH"])
ENCOUNTER = st.tuples(KINDS, st.floats(0.5, 480), st.floats(0.05, 40))
CODES = st.sampled_from(
    ["I50.9", "E11.9", "E11.65", "J44.9", "N18.30", "C78.00", "I10", "F10.20", "Z59.41", "Z59.82", "Z60.2"]
)
# A health concern: its domain and the Z code it carries, if any.
CONCERNS = st.sampled_from(
    [
        ("food-insecurity", "Z59.41"),
        ("housing-instability", ""),
        ("depression", ""),
        ("utilities", "Z59.12"),
        ("complexity", "Z60.2"),
    ]
)
# A medication: started this many days ago, and ended (None: goes on) this many days ago.
MEDICATION = st.tuples(st.integers(-5, 400), st.none() | st.integers(-5, 400))
MEMBER = st.tuples(
    st.lists(ENCOUNTER, max_size=6),
    st.lists(st.tuples(CODES, st.booleans()), max_size=4),
    st.lists(MEDICATION, max_size=6),
    st.lists(CONCERNS, max_size=3, unique=True),
    st.lists(st.floats(0, 400), max_size=3),  # HbA1c results, days ago
)
SOCIAL = {
    "food-insecurity",
    "housing-instability",
    "housing-quality",
    "transportation",
    "utilities",
    "interpersonal-safety",
}
NEED_OF_CODE = {"Z59.41": "food-insecurity", "Z59.82": "transportation", "Z59.12": "utilities"}


class Rollback(Exception):
    pass


def slow_facts(patient: Patient, now: dt.datetime) -> MemberFacts:
    year, month = now - dt.timedelta(days=365), dt.timedelta(days=30)
    encounters = list(patient.encounters.all())
    recent = [e for e in encounters if e.start >= year]
    stays = sorted((e for e in encounters if e.encounter_class == "IMP"), key=lambda e: e.start)
    readmitted = any(
        b.start >= year and a.end is not None and a.end <= b.start <= a.end + month
        for a, b in itertools.pairwise(stays)
    )
    active = [c for c in patient.conditions.all() if c.sensitivity == "" and c.clinical_status == "active"]
    codes = {
        c.icd10_code
        for c in active
        if not c.concern_code and c.icd10_code and not c.icd10_code.startswith("Z")
    }
    needs = {c.concern_code for c in active if c.concern_code in SOCIAL} | {
        NEED_OF_CODE.get(c.icd10_code, c.icd10_code)
        for c in active
        if c.concern_code not in SOCIAL and "Z55" <= c.icd10_code[:3] <= "Z65"
    }
    results = [r.taken_at for r in Reading.objects.filter(patient=patient, measure="hba1c")]
    return MemberFacts(
        patient_id=patient.pk,
        admissions_12m=sum(e.encounter_class == "IMP" for e in recent),
        ed_visits_12m=sum(e.encounter_class == "EMER" for e in recent),
        readmitted_30d=readmitted,
        chronic_conditions=len(codes),
        charlson=charlson(sorted(codes)).value or 0,
        ambulatory_visits_12m=sum(e.encounter_class in ("AMB", "VR") for e in recent),
        last_lace=None,
        conditions=conditions_of(tuple(codes)),
        active_medications=sum(
            m.start_date <= now.date() and (m.end_date is None or m.end_date >= now.date())
            for m in patient.medications.all()
        ),
        last_hospital=None,
        social_needs=len(needs),
        days_since_hba1c=int((now - max(results)).total_seconds() // 86_400) if results else None,
    )


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(population=st.lists(MEMBER, min_size=1, max_size=5))
def test_the_batch_facts_equal_a_slow_obvious_computation(world: World, population: list) -> None:  # type: ignore[type-arg]
    now = clock.now()
    try:
        with transaction.atomic():
            made = []
            for n, (encounters, conditions, medications, concerns, results) in enumerate(population):
                patient = member(world, f"P{n}")
                for kind, days_ago, length in encounters:
                    stay(patient, kind, days_ago, length)
                for code, part2 in conditions:
                    Condition.objects.get_or_create(
                        patient=patient, icd10_code=code,
                        defaults={"display": code, "sensitivity": "part2" if part2 else ""},
                    )  # fmt: skip
                for started, ended in medications:
                    start = now.date() - dt.timedelta(days=started)
                    end = None if ended is None else max(start, now.date() - dt.timedelta(days=ended))
                    Medication.objects.create(
                        patient=patient, name=f"Medicine {started}", dose="1 tablet", start_date=start, end_date=end,
                        added_by=world.alice,
                    )  # fmt: skip
                for domain, code in concerns:
                    Condition.objects.create(
                        patient=patient,
                        category="health-concern",
                        concern_code=domain,
                        icd10_code=code,
                        display=domain,
                    )
                for days_ago in results:
                    hba1c(world, patient, days_ago)
                made.append(patient)
            batch = {f.patient_id: f for f in facts_of(member_facts(world.riverside.pk, now.timestamp()))}
            for patient in made:
                assert batch[patient.pk] == slow_facts(patient, now), patient
            raise Rollback
    except Rollback:
        pass


@pytest.mark.django_db
def test_the_night_job_restratifies_organisations_that_ran_it_at_two_in_their_own_time(world: World) -> None:
    from zoneinfo import ZoneInfo

    import time_machine

    from careconductor.population import tasks

    world.riverside.time_zone = "America/Chicago"
    world.riverside.save()
    zone = ZoneInfo("America/Chicago")
    two = dt.datetime.combine(clock.today() + dt.timedelta(days=2), dt.time(2, 0), zone)
    with time_machine.travel(two, tick=False):
        assert tasks.nightly_stratification.call_local() == 0  # it never ran here: nothing to follow
    do_stratify(world.adam)
    with time_machine.travel(two + dt.timedelta(hours=1), tick=False):
        assert tasks.nightly_stratification.call_local() == 0  # three o'clock
    with time_machine.travel(two, tick=False):
        assert tasks.nightly_stratification.call_local() == 1
    assert StratificationRun.objects.filter(run_by__isnull=True).count() == 1
