"""ADT messages received (transitions.actions.do_receive): kept raw with their outcome, acknowledged AA / AE /
AR, matched to a patient or held for staff, applied whole or not at all, and never twice."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.core.errors import ActionRefused
from careconductor.patients.choices import DischargeDisposition, EncounterClass
from careconductor.patients.models import Encounter, Patient, PatientIdentifier
from careconductor.privacy.models import AuditEvent
from careconductor.transitions import hl7v2
from careconductor.transitions.actions import do_create_feed, do_receive, do_resolve_match
from careconductor.transitions.choices import Outcome
from careconductor.transitions.models import AdtMessage, HospitalVisit

from .messages import adt

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(world):
    return do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")


def msa(ack: str) -> list[str]:
    line = next(s for s in ack.split("\r") if s.startswith("MSA"))
    return line.split("|")


def test_an_admission_of_a_known_patient_is_applied_and_acknowledged_aa(world, feed) -> None:
    receipt = do_receive(adt("A01", "M1"))
    assert msa(receipt.ack)[:3] == ["MSA", "AA", "M1"]
    assert receipt.message.outcome == Outcome.APPLIED and receipt.message.patient_id == world.paula.pk
    stay = Encounter.objects.get(patient=world.paula, source="hl7v2")
    assert stay.encounter_class == EncounterClass.INPATIENT and stay.end is None
    assert stay.facility == "St. Mary's Hospital"
    # The hospital's MRN is kept on the patient: the next message matches on it.
    assert PatientIdentifier.objects.filter(
        patient=world.paula, system=feed.mrn_system, value="H100"
    ).exists()
    assert AuditEvent.objects.filter(user=feed.account, patient_id=world.paula.pk, action="create").exists()


def test_a_discharge_ends_the_stay_with_its_disposition(world, feed) -> None:
    do_receive(adt("A01", "M1"))
    receipt = do_receive(adt("A03", "M2", pv1={36: "01", 45: "20261205120000"}))
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    stay = Encounter.objects.get(patient=world.paula, source="hl7v2")
    assert stay.discharge_disposition == DischargeDisposition.HOME
    assert stay.end is not None and stay.end.date() == dt.date(2026, 12, 5)
    assert HospitalVisit.objects.get(feed=feed, visit_number="V1").encounter == stay


def test_a_message_sent_again_changes_nothing_and_gets_the_same_answer(world, feed) -> None:
    first = do_receive(adt("A01", "M1"))
    again = do_receive(adt("A01", "M1"))
    assert msa(again.ack)[1] == msa(first.ack)[1] == "AA"
    assert again.message.pk == first.message.pk
    assert Encounter.objects.filter(patient=world.paula).count() == 1
    assert AdtMessage.objects.count() == 1


def test_cancels_undo_what_the_event_did(world, feed) -> None:
    do_receive(adt("A01", "M1"))
    do_receive(adt("A03", "M2", pv1={36: "01", 45: "20261205120000"}))
    assert do_receive(adt("A13", "M3")).message.outcome == Outcome.APPLIED
    stay = Encounter.objects.get(patient=world.paula, source="hl7v2")
    assert stay.end is None and stay.discharge_disposition == ""
    assert do_receive(adt("A11", "M4")).message.outcome == Outcome.APPLIED
    assert not Encounter.objects.filter(patient=world.paula, source="hl7v2").exists()
    assert HospitalVisit.objects.get(visit_number="V1").cancelled


def test_a_cancel_of_a_stay_not_known_here_is_ae_and_changes_nothing(world, feed) -> None:
    receipt = do_receive(adt("A11", "M9", pv1={19: "V404"}))
    assert msa(receipt.ack)[1] == "AE" and "no visit V404" in receipt.ack
    assert receipt.message.outcome == Outcome.ERROR
    assert not Encounter.objects.filter(source="hl7v2").exists()


@pytest.mark.parametrize(
    "raw, words",
    [
        ("hello", "does not start with an MSH"),
        ("MSH|^~\\&|EPIC|STMARYS|CC|CC|2026||ORM^O01|X1|P|2.5.1\rPID|1||H1", "Only ADT"),
        ("MSH|^~\\&|EPIC|STMARYS|CC|CC|2026||ADT^A01|X1|P|2.1\rPID|1||H1", "version 2.1"),
        ("MSH|^~\\&|EPIC|STMARYS|CC|CC|2026||ADT^A01|X1|P|2.5.1\rEVN|A01", "no PID"),
    ],
)
def test_unreadable_messages_are_rejected_ar_and_kept(world, feed, raw, words) -> None:
    receipt = do_receive(raw)
    assert msa(receipt.ack)[1] == "AR" and words in receipt.message.reason
    assert receipt.message.outcome == Outcome.REJECTED and receipt.message.raw.startswith(raw[:5])
    assert not Encounter.objects.filter(source="hl7v2").exists()


def test_a_paused_feed_rejects_and_its_organisation_sees_the_refusal(world, feed) -> None:
    from careconductor.transitions.actions import do_set_feed_active

    do_set_feed_active(world.adam, feed, False)
    receipt = do_receive(adt("A01", "M1"))
    assert msa(receipt.ack)[1] == "AR" and receipt.message.organization_id == world.riverside.pk
    assert not Encounter.objects.filter(source="hl7v2").exists()
    do_set_feed_active(world.adam, feed, True)
    assert msa(do_receive(adt("A01", "M1")).ack)[1] == "AA"  # the resend once resumed is applied


def test_a_facility_without_a_feed_is_rejected(world, feed) -> None:
    receipt = do_receive(adt("A01", "M1", facility="ELSEWHERE"))
    assert msa(receipt.ack)[1] == "AR" and "ELSEWHERE" in receipt.message.reason
    assert not Encounter.objects.filter(source="hl7v2").exists()


def test_a_bad_field_is_ae_and_nothing_is_half_applied(world, feed) -> None:
    # Discharged before admitted: the encounter action refuses; the MRN is not kept either.
    receipt = do_receive(adt("A03", "M1", pv1={44: "20261205080000", 45: "20261201080000"}))
    assert msa(receipt.ack)[1] == "AE" and "ends before it starts" in receipt.message.reason
    assert not Encounter.objects.filter(source="hl7v2").exists()
    assert not PatientIdentifier.objects.filter(system=feed.mrn_system).exists()


def test_no_match_is_held_then_staff_create_the_patient_and_everything_held_applies(world, feed) -> None:
    first = do_receive(
        adt("A01", "M1", mrn="H777", family="Nguyen", given="Thanh", birth="19480203", sex="M")
    )
    later = do_receive(adt("A03", "M2", mrn="H777", family="Nguyen", given="Thanh", birth="19480203", sex="M",
                           pv1={36: "06", 45: "20261203100000"}))  # fmt: skip
    assert msa(first.ack)[1] == "AA" and "Held for patient matching" in first.ack
    assert first.message.outcome == later.message.outcome == Outcome.HELD
    assert "earlier message" in AdtMessage.objects.get(pk=later.message.pk).reason
    assert not Encounter.objects.filter(source="hl7v2").exists()
    applied = do_resolve_match(world.adam, first.message, patient=None, create=True)
    assert applied == 2
    patient = Patient.objects.get(family_name="Nguyen")
    stay = Encounter.objects.get(patient=patient)
    assert stay.discharge_disposition == DischargeDisposition.HOME_HEALTH and stay.end is not None
    assert set(AdtMessage.objects.values_list("outcome", flat=True)) == {Outcome.APPLIED}


def test_two_possible_patients_are_held_with_both_as_candidates(world, feed) -> None:
    twin = Patient.objects.create(
        organization=world.riverside, given_name="Paula", family_name="Reyes", birth_date=dt.date(1956, 3, 14),
        sex="female",
    )  # fmt: skip
    receipt = do_receive(adt("A01", "M1"))
    assert receipt.message.outcome == Outcome.HELD
    assert set(receipt.message.candidates) == {world.paula.pk, twin.pk}
    do_resolve_match(world.adam, receipt.message, patient=world.paula)
    assert Encounter.objects.filter(patient=world.paula, source="hl7v2").count() == 1


def test_only_an_administrator_of_the_feed_works_the_queue(world, feed) -> None:
    receipt = do_receive(adt("A01", "M1", mrn="H9", family="Nobody", given="Known", birth="19700101"))
    with pytest.raises(ActionRefused):
        do_resolve_match(world.alice, receipt.message, patient=world.paula)
    assert AdtMessage.objects.get(pk=receipt.message.pk).outcome == Outcome.HELD


def test_a40_replaces_the_retired_mrn(world, feed) -> None:
    do_receive(adt("A01", "M1", mrn="OLD1"))
    receipt = do_receive(adt("A40", "M2", mrn="NEW1", more=("MRG|OLD1^^^STMARYS^MR",)))
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    assert PatientIdentifier.objects.get(patient=world.paula, system=feed.mrn_system).value == "NEW1"


def test_a_transfer_moves_the_patient_and_an_ed_visit_becomes_an_admission(world, feed) -> None:
    do_receive(adt("A04", "M1", pv1={2: "E", 3: "ED^^"}))
    assert Encounter.objects.get(source="hl7v2").encounter_class == EncounterClass.EMERGENCY
    do_receive(adt("A02", "M2", pv1={2: "I", 3: "4W^412^B", 6: "ED"}))
    visit = HospitalVisit.objects.get(visit_number="V1")
    assert visit.location == "4W room 412 bed B" and visit.prior_location == "ED"
    assert visit.encounter.encounter_class == EncounterClass.INPATIENT


def test_ack_is_well_formed_hl7(world, feed) -> None:
    receipt = do_receive(adt("A01", "M|1".replace("|", "\\F\\")))
    parsed = hl7v2.header(receipt.ack)
    assert parsed[2] == "A01" and receipt.ack.startswith("MSH|^~\\&|CareConductor")


def test_a_message_is_one_transaction_with_its_audit_and_fhir_versions(world, feed) -> None:
    """Its audit events are one extension of the chain and its FHIR versions are kept in its transaction (here
    the test's, never committed: what the commit would add is not there), not in a second one after the commit."""
    from careconductor.fhir.models import ResourceVersion
    from careconductor.privacy import chain

    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    receipt = do_receive(adt("A01", "M1"))
    stay = Encounter.objects.get(patient=world.paula, source="hl7v2")
    assert ResourceVersion.objects.filter(resource_type="Encounter", resource_id=str(stay.pk)).exists()
    events = AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
    assert {(e.object_type, e.action) for e in events} >= {("Encounter", "create"), ("Patient", "update")}
    assert len({e.recorded_at for e in events}) <= len(events) and chain.verify().ok
    assert receipt.message.outcome == Outcome.APPLIED
