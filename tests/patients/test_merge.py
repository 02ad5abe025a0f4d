"""Merging two records of one person (issue 17 §3): everything moves, the duplicate stays as a pointer, clashes
are refused or resolved by the written rule, and the merge is audited and reviewable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.apps import apps

from careconductor.cases.actions import do_refer_case, do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible, RecordMoved
from careconductor.engagement.actions import do_set_threshold
from careconductor.patients import merge
from careconductor.patients.actions import (
    PatientDetails,
    do_add_care_team_member,
    do_add_condition,
    do_add_contact,
    do_add_note,
    do_set_identifiers,
    possible_duplicates,
)
from careconductor.patients.choices import MRN_SYSTEM, IdentifierUse, Sex
from careconductor.patients.models import Patient, PatientIdentifier, PatientMerge
from careconductor.patients.queries import access_merge_pair, access_patient, search_patients
from careconductor.patients.rules import blanks_to_fill, merge_refusal
from careconductor.privacy.choices import Sensitivity
from careconductor.privacy.models import AuditEvent

from ..personas import World
from ..shared import ModuleDb, reread

pytestmark = pytest.mark.django_db
MEDICAID = "urn:careconductor:medicaid"


# --- the rules, as tables ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kept", "duplicate", "filled"),
    [
        ({"phone": "555-0100"}, {"phone": "555-0199"}, {}),  # the kept record's own wins
        ({"phone": ""}, {"phone": "555-0199"}, {"phone": "555-0199"}),
        ({"phone": "  "}, {"phone": " 555-0199 "}, {"phone": "555-0199"}),
        ({"email": ""}, {"email": ""}, {}),
        (
            {"preferred_name": ""},
            {"preferred_name": "Lupe", "city": "Salem"},
            {"preferred_name": "Lupe", "city": "Salem"},
        ),
        ({}, {"sex": "female"}, {}),  # only contact details and the preferred name
    ],
)
def test_blank_contact_details_are_filled_from_the_duplicate(
    kept: dict[str, str], duplicate: dict[str, str], filled: dict[str, str]
) -> None:
    assert blanks_to_fill(kept, duplicate) == filled


OK = {
    "same_record": False,
    "same_organization": True,
    "kept_merged": False,
    "duplicate_merged": False,
    "reason": "Same birth date and phone",
    "both_open": [],
}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({}, set()),
        ({"same_record": True}, {"duplicate"}),
        ({"same_organization": False}, {"duplicate"}),
        ({"kept_merged": True}, {"kept"}),
        ({"duplicate_merged": True}, {"duplicate"}),
        ({"reason": "  "}, {"reason"}),
        ({"both_open": ["Chronic care management"]}, {""}),
        ({"reason": "", "duplicate_merged": True, "both_open": ["x"]}, {"reason", "duplicate", ""}),
    ],
)
def test_a_merge_is_refused_for_these_reasons(changes: dict[str, object], fields: set[str]) -> None:
    assert set(merge_refusal(**{**OK, **changes})) == fields  # type: ignore[arg-type]


def test_open_cases_in_one_programme_are_named() -> None:
    refusal = merge_refusal(**{**OK, "both_open": ["Complex case management"]})  # type: ignore[arg-type]
    assert "open Complex case management case" in refusal[""]


# --- every relation ------------------------------------------------------------------------------------------


def test_every_foreign_key_to_patient_in_every_app_is_moved_or_listed_as_staying() -> None:
    """Found independently of merge.relations(): a model added later that points at Patient is moved by the
    merge, or someone decided it stays and wrote down why (merge.STAYS)."""
    patient = apps.get_model("patients", "Patient")
    pointing = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.concrete and field.is_relation and field.related_model is patient
    }
    moving, staying = merge.relations()
    assert {r.key for r in moving} | {r.key for r in staying} == pointing
    assert {r.key for r in staying} == {f"{label}.{name}" for label, name in merge.STAYS}
    # hidden relations (related_name="+") are found too
    assert {"careplans.Intervention.patient", "medications.DoseReport.patient"} <= {r.key for r in moving}


# --- the action ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    kept_id: int
    duplicate_id: int


def _duplicate(world: World) -> Pair:
    """Paula registered again as "Pau Reyes" (another programme, so no clash), with one of several things."""
    dup = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name="Pau",
            family_name="Reyes",
            birth_date=world.paula.birth_date,
            sex=Sex.FEMALE,
            phone="",
            email="pau@example.org",
            city="Salem",
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        case_manager=world.alice,
    )
    do_set_identifiers(world.alice, dup, [(MEDICAID, "OR12345", "Medicaid ID")])
    do_add_condition(world.alice, dup, icd10_code="E11.9", display="Type 2 diabetes")
    do_add_condition(
        world.alice, dup, icd10_code="F10.20", display="Alcohol use disorder", sensitivity=Sensitivity.PART2
    )
    do_add_note(world.alice, dup, text="Seen at the clinic.")
    do_add_contact(world.alice, dup, name="Rosa Reyes", relationship="child", phone="555-0111")
    do_add_care_team_member(world.alice, dup, member=world.dana, role="Primary care physician", is_lead=True)
    return Pair(world.paula.pk, dup.pk)


@pytest.fixture(scope="module")
def shared_pair(module_db: ModuleDb, shared_world: World) -> Pair:
    return module_db.build(_duplicate, shared_world)


@pytest.fixture
def pair(shared_pair: Pair, world: World) -> tuple[Patient, Patient]:
    return Patient.objects.get(pk=shared_pair.kept_id), Patient.objects.get(pk=shared_pair.duplicate_id)


def _pointing_at(patient: Patient) -> dict[str, int]:
    moving, _ = merge.relations()
    return {
        r.key: n for r in moving if (n := r.model._default_manager.filter(**{r.field: patient.pk}).count())
    }


def test_the_merge_moves_everything_and_keeps_the_duplicate_as_a_pointer(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    kept, dup = pair
    before_kept, before_dup = _pointing_at(kept), _pointing_at(dup)
    assert before_dup  # the fixture gave the duplicate records of several kinds
    dup_mrn = dup.mrn

    done = merge.do_merge_patients(world.adam, kept, dup, "Same birth date; Pau is Paula's nickname")

    assert _pointing_at(dup) == {}, "every row pointing at the duplicate moved"
    after = _pointing_at(kept)
    for key, n in before_dup.items():
        assert after[key] >= before_kept.get(key, 0) + n - 1  # dana's second care-team place stays as ended
    dup.refresh_from_db()
    kept.refresh_from_db()
    assert dup.merged_into_id == kept.pk and dup.is_merged
    assert Patient.objects.filter(pk=dup.pk).exists()  # never deleted
    # both MRNs on the kept record; its own stays its MRN, the duplicate's is old and still finds it
    mrns = {i.value: i.use for i in kept.identifiers.filter(system=MRN_SYSTEM)}
    assert mrns[dup_mrn] == IdentifierUse.OLD and kept.mrn != dup_mrn
    assert kept.identifiers.get(system=MEDICAID).use == IdentifierUse.OLD
    assert [p.pk for p in search_patients(world.alice, dup_mrn)] == [kept.pk]
    # blank details filled, its own kept
    assert kept.email == "pau@example.org" and kept.phone == "555-0100"
    # the history and the audit trail
    assert done.moved["Conditions"] == 2 and done.reason.startswith("Same birth date")
    assert done.duplicate_as_was["name"] == "Pau Reyes"
    events = AuditEvent.objects.filter(object_type="PatientMerge", object_id=str(done.pk))
    assert events.filter(patient_id=dup.pk).count() == 1
    assert events.filter(patient_id=kept.pk).count() == len(done.moved)
    # one lead, dana's second place ended
    assert kept.care_team.filter(is_lead=True).count() <= 1
    assert kept.care_team.filter(user=world.dana, end_date__isnull=True).count() == 1


def test_old_links_lead_to_the_kept_record_and_duplicates_are_no_longer_suggested(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    kept, dup = pair
    merge.do_merge_patients(world.adam, kept, dup, "Same person")
    for who in (world.alice, world.adam):
        with pytest.raises(RecordMoved) as moved:
            access_patient(who, dup.pk)
        assert moved.value.kept_id == kept.pk
    with pytest.raises(NotVisible):
        access_patient(world.bob, dup.pk)  # no relationship with the kept record
    with pytest.raises(NotVisible):
        access_patient(world.charlie, dup.pk)
    found = possible_duplicates(world.alice, "Pau", "Reyes", kept.birth_date)
    assert [p.pk for p in found] == [kept.pk]


def test_only_an_administrator_of_the_organisation_merges(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    kept, dup = pair
    with pytest.raises(ActionRefused):
        merge.do_merge_patients(world.alice, kept, dup, "Same person")
    with pytest.raises(NotVisible):
        access_merge_pair(world.alice, kept.pk, dup.pk)
    with pytest.raises(NotVisible):
        access_merge_pair(world.sam, kept.pk, dup.pk)
    assert not PatientMerge.objects.exists()


def test_two_open_cases_in_one_programme_are_refused_and_nothing_changes(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    kept, dup = pair
    do_refer_case(
        world.alice,
        dup,
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Again",
        case_manager=world.alice,
    )
    before = _pointing_at(dup)
    with pytest.raises(ActionRefused) as refused:
        merge.do_merge_patients(world.adam, kept, dup, "Same person")
    assert "Complex" in refused.value.errors[""] and "Close" in refused.value.errors[""]
    assert _pointing_at(dup) == before
    assert not Patient.objects.get(pk=dup.pk).is_merged


def test_a_unique_rule_the_moved_rows_would_break_is_refused_by_name(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    kept, dup = pair
    for patient in (kept, dup):
        do_set_threshold(world.alice, patient, measure="glucose", low=Decimal(70), high=Decimal(250))
    refusal = merge.review(world.adam, kept, dup).refusals
    assert "personal alert limits for glucose" in refusal[""]
    with pytest.raises(ActionRefused):
        merge.do_merge_patients(world.adam, kept, dup, "Same person")


def test_two_reconciliations_in_progress_are_refused_by_name_not_a_database_error(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    from careconductor.medications.actions import do_start_reconciliation

    kept, dup = pair
    for patient in (kept, dup):
        do_start_reconciliation(world.alice, patient)
    refusal = merge.review(world.adam, kept, dup).refusals
    assert "medication reconciliation" in refusal[""].lower() and " for ," not in refusal[""]
    with pytest.raises(ActionRefused):
        merge.do_merge_patients(world.adam, kept, dup, "Same person")
    assert not Patient.objects.get(pk=dup.pk).is_merged


def test_a_record_merged_already_cannot_be_merged_again(world: World, pair: tuple[Patient, Patient]) -> None:
    kept, dup = pair
    merge.do_merge_patients(world.adam, kept, dup, "Same person")
    kept, dup = reread(kept), reread(dup)
    with pytest.raises(ActionRefused) as refused:
        merge.do_merge_patients(world.adam, dup, kept, "Back again")
    assert set(refused.value.errors) == {"kept"}


def test_the_review_counts_what_will_move_without_showing_it(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    kept, dup = pair
    shown = merge.review(world.adam, kept, dup)
    rows = {label: (k, d) for label, k, d in shown.rows}
    # The duplicate has two conditions, one of them Part 2: an administrator may not read it, so it is not
    # counted (a count alone would say the patient has one); the review says such records move too.
    assert rows["Conditions"][1] == 1 and rows["Cases"] == (1, 1)
    assert any("Records you may not read" in line for line in shown.will)
    assert any("Dana" in line and "both care teams" in line for line in shown.will)
    assert ("email", "pau@example.org") in shown.filled_words  # the kept record has none
    assert "phone" not in dict(shown.filled_words)  # it has its own
    assert shown.refusals == {}


def test_the_portal_log_in_of_the_duplicate_moves_when_the_kept_record_has_none(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    from careconductor.engagement.actions import do_accept_invitation, do_invite_patient

    kept, dup = pair
    invitation = do_invite_patient(world.alice, dup)
    login = do_accept_invitation(
        invitation.secret, username="pau", password="correct-horse-battery-staple", birth_date=dup.birth_date
    )
    merge.do_merge_patients(world.adam, reread(kept), reread(dup), "Same person")
    assert Patient.objects.get(pk=kept.pk).portal_user_id == login.pk
    assert Patient.objects.get(pk=dup.pk).portal_user_id is None
    login.refresh_from_db()
    assert login.is_active


def test_the_merge_day_comes_from_the_clock(world: World, pair: tuple[Patient, Patient]) -> None:
    kept, dup = pair
    done = merge.do_merge_patients(world.adam, kept, dup, "Same person")
    assert done.merged_at == clock.now() or abs(done.merged_at - clock.now()) < dt.timedelta(minutes=1)
    assert Case.objects.filter(patient=dup).count() == 0
    assert PatientIdentifier.objects.filter(patient=dup).count() == 0


def test_two_stratified_members_in_one_registry_merge_into_one_tier_and_one_stay(
    world: World, pair: tuple[Patient, Patient]
) -> None:
    from careconductor.population.models import MemberRisk, RegistryMember
    from careconductor.population.registry_actions import do_create_registry, do_run_registry
    from careconductor.population.stratify import do_stratify

    kept, dup = pair
    do_stratify(world.adam)
    registry = do_create_registry(world.adam, name="Everyone", rule="tier >= 1")
    merge.do_merge_patients(world.adam, kept, dup, "Same person")
    assert (
        MemberRisk.objects.filter(patient=kept).count() == 1
        and not MemberRisk.objects.filter(patient=dup).exists()
    )
    assert RegistryMember.objects.filter(registry=registry, patient=kept, left_on=None).count() == 2
    do_run_registry(world.adam, registry)  # the merged record no longer counts as a member by itself
    do_stratify(world.adam)
    assert RegistryMember.objects.filter(registry=registry, patient=kept, left_on=None).count() == 1
