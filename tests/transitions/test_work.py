"""What admissions and discharges start (issue 19, "Events start work"): an admission of a patient with an open
case notifies the case manager and the care team at once, the chart says the patient is in hospital and
outreach pauses until the discharge; a discharge records LACE, puts the transitional-care row on an active
case's worklist, refers a patient without a case whom the programme's rule takes, and tells the case manager of
a case that is not active. The clock is frozen (time-machine) and the world built inside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careconductor.accounts.actions import do_create_token, do_use_token
from careconductor.accounts.models import StaffProfile, Team, User
from careconductor.assessments.models import RiskScore
from careconductor.cases.actions import do_assign_case
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.cases.programs import (
    DEFAULT_DISCHARGE_REFERRAL_LACE,
    do_set_program_rules,
    program_rules,
)
from careconductor.chart.summary import chart_summary
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.models import Flag, Notification
from careconductor.coordination.team import team_view
from careconductor.coordination.worklist import build_worklist
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import PatientDetails, do_add_encounter, do_create_patient
from careconductor.patients.choices import Sex
from careconductor.patients.models import Encounter, Patient
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.choices import Outcome
from careconductor.transitions.work import (
    ADMISSION,
    DISCHARGE,
    ED_VISIT,
    Stay,
    stay_event,
)

from ..coordination.test_followup_actions import at, enrol
from ..fhir.conftest import Api
from ..personas import World
from .messages import adt

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 1)  # a Tuesday: the messages' own date (messages.py)


def hl7_time(day: dt.date, hour: int) -> str:
    return f"{day:%Y%m%d}{hour:02d}0000"


def admit(control_id: str, day: dt.date = DAY, *, hour: int = 8, cls: str = "I", trigger: str = "A01") -> str:
    return adt(trigger, control_id, pv1={2: cls, 44: hl7_time(day, hour)})


def discharge(
    control_id: str, admitted: dt.date, day: dt.date, *, disposition: str = "01", hour: int = 11, **who: str
) -> str:
    """An A03 of an emergency admission (PV1-4 E: LACE's A is 3)."""
    pv1 = {4: "E", 36: disposition, 44: hl7_time(admitted, 8), 45: hl7_time(day, hour)}
    return adt("A03", control_id, pv1=pv1, **who)


# Module scope: the shared world (tests/shared.py) is built on DAY at 09:00 too.
@pytest.fixture(autouse=True, scope="module")
def _frozen() -> Iterator[None]:
    with time_machine.travel(at(DAY, 9), tick=False):
        yield


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    """The clock stands at 09:00 on DAY until the test moves it."""
    with time_machine.travel(at(DAY, 9), tick=False) as t:
        yield t


@pytest.fixture
def world(world: World, traveller: time_machine.Traveller) -> World:
    """The personas (built once for the module) and St. Mary's feed."""
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    return world


@pytest.fixture
def active(world: World) -> World:
    """Paula's case is active (Alice's, tier 3: a contact every 14 days from today)."""
    enrol(world, world.paula_case)
    return world


def hospital_notices() -> dict[str, Notification]:
    # In order, so each person's latest notice is the one kept (unordered, PostgreSQL may return them any way).
    notices = (
        Notification.objects.filter(kind=NotificationKind.HOSPITAL).select_related("user").order_by("pk")
    )
    return {n.user.username: n for n in notices}


# --- what a change to a stay starts (pure) -----------------------------------------------------------------
IMP, OBS, EMER, AMB = "IMP", "OBSENC", "EMER", "AMB"


@pytest.mark.parametrize(
    "before, after, event",
    [
        (None, Stay(IMP, False), ADMISSION),
        (None, Stay(OBS, False), ADMISSION),
        (None, Stay(EMER, False), ED_VISIT),
        (None, Stay(AMB, False), ""),  # a clinic registration
        (Stay(EMER, False), Stay(IMP, False), ADMISSION),  # from the ED to a bed (A02 or A08)
        (Stay(AMB, False), Stay(IMP, False), ADMISSION),
        (Stay(IMP, False), Stay(IMP, False), ""),  # an update, a transfer between wards
        (Stay(IMP, False), Stay(OBS, False), ""),
        (Stay(IMP, False), Stay(IMP, True), DISCHARGE),
        (Stay(OBS, False), Stay(OBS, True), DISCHARGE),
        (None, Stay(IMP, True), DISCHARGE),  # the hospital tells of the stay only when it ends
        (Stay(IMP, True), Stay(IMP, True), ""),  # an update after the discharge
        (Stay(EMER, False), Stay(EMER, True), ""),  # home from the ED: no transitional care
        (None, Stay(EMER, True), ""),
        (Stay(IMP, True), Stay(IMP, False), ""),  # not a message's doing (A13 cancels apart)
        (None, Stay(AMB, True), ""),
    ],
)
def test_what_a_change_to_a_stay_starts(before: Stay | None, after: Stay, event: str) -> None:
    assert stay_event(before, after) == event


# --- admission ----------------------------------------------------------------------------------------------
def test_an_admission_notifies_the_case_manager_and_the_care_team_at_once(active: World) -> None:
    receipt = do_receive(admit("M1"))
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    notices = hospital_notices()
    assert set(notices) == {"alice", "dana"}  # not Bob, on her team without a relationship
    alice = notices["alice"]
    assert alice.title == "Paula Reyes admitted to St. Mary's Hospital"
    assert "Since Tue Dec 1 at 08:00 (inpatient" in alice.body
    assert alice.patient_id == active.paula.pk and alice.url.endswith(f"/{active.paula.pk}/")
    assert "2 notified" in receipt.message.effect


def test_a_referred_case_is_an_open_case_too(world: World) -> None:
    do_receive(admit("M1"))
    assert set(hospital_notices()) == {"alice", "dana"}


def test_an_ed_visit_notifies_and_its_admission_notifies_again(active: World) -> None:
    do_receive(admit("M1", cls="E", trigger="A04"))
    assert (
        hospital_notices()["alice"].title == "Paula Reyes in the emergency department of St. Mary's Hospital"
    )
    Notification.objects.all().delete()
    do_receive(adt("A02", "M2", pv1={2: "I", 6: "ED", 44: hl7_time(DAY, 8)}))
    assert hospital_notices()["alice"].title == "Paula Reyes admitted to St. Mary's Hospital"


def test_a_message_sent_again_or_an_update_notifies_nobody_again(active: World) -> None:
    do_receive(admit("M1"))
    do_receive(admit("M1"))
    do_receive(adt("A08", "M2", pv1={44: hl7_time(DAY, 8)}))
    assert Notification.objects.filter(kind=NotificationKind.HOSPITAL).count() == 2


def test_a_patient_without_an_open_case_notifies_nobody(world: World) -> None:
    receipt = do_receive(
        adt("A01", "M1", mrn="H777", family="Nguyen", given="Thanh", birth="19480203", sex="M")
    )
    assert receipt.message.outcome == Outcome.HELD
    do_receive(admit("M2", day=DAY - dt.timedelta(days=40)))  # Paula, a stay long past: old news
    assert not Notification.objects.filter(kind=NotificationKind.HOSPITAL).exists()


def test_the_chart_says_in_hospital_since_until_the_discharge(
    active: World, traveller: time_machine.Traveller
) -> None:
    do_receive(admit("M1"))
    alerts = [text for _, text in chart_summary(active.paula).alerts]
    assert "In hospital since Dec 1 at St. Mary's Hospital" in alerts
    traveller.move_to(at(DAY + dt.timedelta(days=3), 12))
    do_receive(discharge("M2", DAY, DAY + dt.timedelta(days=3)))
    alerts = [text for _, text in chart_summary(active.paula).alerts]
    assert not any(a.startswith("In hospital") for a in alerts)
    assert "Discharged today from St. Mary's Hospital" in alerts


def test_an_ed_visit_left_open_is_not_in_hospital_the_next_day(
    active: World, traveller: time_machine.Traveller
) -> None:
    do_receive(admit("M1", cls="E", trigger="A04"))
    assert any(t.startswith("In hospital since") for _, t in chart_summary(active.paula).alerts)
    traveller.move_to(at(DAY + dt.timedelta(days=2), 9))
    assert not any(t.startswith("In hospital since") for _, t in chart_summary(active.paula).alerts)


# --- outreach pauses while admitted ---------------------------------------------------------------------------
def contact_rows(world: World) -> list[str]:
    return [
        i.kind
        for i in build_worklist(world.alice).items
        if i.patient_id == world.paula.pk and i.kind in ("contact", "outreach")
    ]


def overdue_in_team_view(world: World) -> int:
    return next(r.contacts_overdue for r in team_view(world.sam).rows if r.profile.user_id == world.alice.pk)


def test_outreach_pauses_while_admitted_and_resumes_at_the_discharge(
    active: World, traveller: time_machine.Traveller
) -> None:
    # Enrolled Dec 1, tier 3: the contact is due Dec 15. Admitted Dec 14, still in on the 17th.
    traveller.move_to(at(dt.date(2026, 12, 17), 9))
    assert contact_rows(active) == ["contact"] and overdue_in_team_view(active) == 1
    do_receive(admit("M1", day=dt.date(2026, 12, 14)))
    assert contact_rows(active) == []
    assert overdue_in_team_view(active) == 0
    # A manual encounter in a clinic pauses nothing.
    do_add_encounter(active.alice, active.paula, encounter_class="AMB", start=at(dt.date(2026, 12, 17), 8))
    assert contact_rows(active) == []
    traveller.move_to(at(dt.date(2026, 12, 18), 12))
    do_receive(discharge("M2", dt.date(2026, 12, 14), dt.date(2026, 12, 18)))
    assert contact_rows(active) == ["contact"] and overdue_in_team_view(active) == 1


def test_an_admission_never_discharged_stops_pausing_outreach_after_30_days(
    active: World, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(dt.date(2026, 12, 17), 9))
    do_receive(admit("M1", day=dt.date(2026, 12, 14)))
    assert contact_rows(active) == []
    traveller.move_to(at(dt.date(2027, 1, 14), 9))  # 31 days after the admission, no A03 came
    assert contact_rows(active) == ["contact"]


# --- discharge ----------------------------------------------------------------------------------------------
def test_a_discharge_records_lace_as_the_chart_button_does(active: World, traveller) -> None:
    traveller.move_to(at(DAY + dt.timedelta(days=4), 12))
    do_receive(admit("M1"))
    receipt = do_receive(discharge("M2", DAY, DAY + dt.timedelta(days=4)))
    lace = RiskScore.objects.get(patient=active.paula, model="lace")
    # L: 4 days → 4; A: emergency → 3; C: no problem list → 0; E: no earlier ED visit → 0.
    assert lace.value == 7 and lace.band == "moderate"
    assert lace.encounter is not None and lace.encounter.source == "hl7v2"
    assert lace.computed_by.username == "adt-stmarys"  # the feed's account, in the audit trail too
    assert {"hospital", "charlson"} <= set(RiskScore.objects.values_list("model", flat=True))
    assert "LACE 7" in receipt.message.effect


def test_an_a03_puts_the_transitional_care_row_on_the_case_managers_worklist(
    active: World, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(dt.date(2026, 12, 4), 12))  # a Friday
    do_receive(admit("M1"))
    do_receive(discharge("M2", DAY, dt.date(2026, 12, 4)))
    rows = [i for i in build_worklist(active.alice).items if i.patient_id == active.paula.pk]
    transition = next(i for i in rows if i.kind == "transition")
    assert transition.reason.startswith(
        "Discharged from St. Mary's Hospital Dec 4: interactive contact due by"
    )
    assert "Tue Dec 8" in transition.reason  # 2 business days
    notice = hospital_notices()["alice"]
    assert notice.title == "Paula Reyes discharged from St. Mary's Hospital"
    assert notice.body.startswith("Discharged from St. Mary's Hospital on Fri Dec 4 (home), LACE 6.")
    assert "2 business days" in notice.body


def nguyen(world: World) -> Patient:
    """A patient of Riverside with no case."""
    return do_create_patient(
        world.adam,
        PatientDetails(
            given_name="Thanh", family_name="Nguyen", birth_date=dt.date(1948, 2, 3), sex=Sex.MALE
        ),
    )


NGUYEN = {"mrn": "H777", "family": "Nguyen", "given": "Thanh", "birth": "19480203", "sex": "M"}
LONG_STAY = DAY - dt.timedelta(days=15)  # L: 15 days → 7; A: emergency → 3: LACE 10


def test_a_patient_without_a_case_is_referred_for_transitional_care_at_lace_10(world: World) -> None:
    patient = nguyen(world)
    receipt = do_receive(discharge("M1", LONG_STAY, DAY, hour=8, **NGUYEN))
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    case = Case.objects.get(patient=patient)
    assert (case.program, case.status, case.referral_source) == (
        Program.TCM, CaseStatus.REFERRED, ReferralSource.INTERFACE,
    )  # fmt: skip
    assert case.referral_reason == "Discharged from St. Mary's Hospital on Dec 1, 2026, LACE 10"
    assert case.team == world.north and case.primary_case_manager is None  # intake: Sam assigns it
    notice = hospital_notices()["sam"]
    assert (
        notice.title == "Transitional care referral: Thanh Nguyen" and "assign a case manager" in notice.body
    )
    assert "referred to transitional care" in receipt.message.effect


def test_a_cancelled_discharge_withdraws_the_referral_nobody_has_taken_up(world: World) -> None:
    """Cancels undo what the event did (A13): the patient is in hospital again, so intake does not call them."""
    patient = nguyen(world)
    do_receive(discharge("M1", LONG_STAY, DAY, hour=8, **NGUYEN))
    case = Case.objects.get(patient=patient)
    cancel = adt("A13", "M2", pv1={4: "E", 44: hl7_time(LONG_STAY, 8)}, **NGUYEN)
    receipt = do_receive(cancel)
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    assert "its transitional-care referral withdrawn" in receipt.message.effect
    case.refresh_from_db()
    assert case.status == CaseStatus.DECLINED
    assert "cancelled the discharge (ADT A13)" in case.status_changes.last().note  # type: ignore[union-attr]
    assert Encounter.objects.get(patient=patient).end is None


def test_a_cancelled_discharge_leaves_a_referral_someone_took_up(world: World) -> None:
    patient = nguyen(world)
    do_receive(discharge("M1", LONG_STAY, DAY, hour=8, **NGUYEN))
    case = Case.objects.get(patient=patient)
    do_assign_case(world.sam, case, world.alice, override_reason="Alice knows the family")
    receipt = do_receive(adt("A13", "M2", pv1={4: "E", 44: hl7_time(LONG_STAY, 8)}, **NGUYEN))
    assert "withdrawn" not in receipt.message.effect
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED and case.primary_case_manager == world.alice


@pytest.mark.parametrize(
    "threshold, admitted, referred",
    [
        (10, DAY - dt.timedelta(days=4), False),  # LACE 7
        (7, DAY - dt.timedelta(days=4), True),
        (None, LONG_STAY, False),  # the programme takes no discharges
        (0, DAY, True),  # every discharge home
    ],
)
def test_the_programmes_rule_decides_the_referral(
    world: World, threshold: int | None, admitted: dt.date, referred: bool
) -> None:
    do_set_program_rules(
        world.adam, Program.TCM, plan_approval=False, closure_approval=False, reassessment_days={},
        discharge_referral_lace=threshold,
    )  # fmt: skip
    patient = nguyen(world)
    do_receive(discharge("M1", admitted, DAY, hour=8, **NGUYEN))
    assert Case.objects.filter(patient=patient).exists() == referred


def test_by_default_only_transitional_care_takes_discharges_at_lace_10() -> None:
    assert DEFAULT_DISCHARGE_REFERRAL_LACE == {Program.TCM: 10}


def test_a_lace_threshold_outside_0_to_19_is_refused(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_set_program_rules(
            world.adam, Program.TCM, plan_approval=False, closure_approval=False, reassessment_days={},
            discharge_referral_lace=20,
        )  # fmt: skip
    assert "discharge_referral_lace" in refused.value.errors


@pytest.mark.parametrize("disposition", ["03", "20", "02"])  # skilled nursing, died, another hospital
def test_no_referral_unless_discharged_home(world: World, disposition: str) -> None:
    patient = nguyen(world)
    receipt = do_receive(discharge("M1", LONG_STAY, DAY, hour=8, disposition=disposition, **NGUYEN))
    assert receipt.message.outcome == Outcome.APPLIED
    assert not Case.objects.filter(patient=patient).exists()


def test_an_old_discharge_starts_no_work(world: World) -> None:
    patient = nguyen(world)
    old = DAY - dt.timedelta(days=60)  # a backlog replayed
    receipt = do_receive(discharge("M1", old - dt.timedelta(days=15), old, **NGUYEN))
    assert receipt.message.outcome == Outcome.APPLIED
    assert not RiskScore.objects.filter(patient=patient).exists()
    assert not Case.objects.filter(patient=patient).exists()


def test_a_referred_or_on_hold_case_is_flagged_for_its_case_manager(world: World) -> None:
    # Paula's case is still a referral, Alice's: no second case, Alice is told.
    receipt = do_receive(discharge("M1", LONG_STAY, DAY, hour=8))
    assert Case.objects.filter(patient=world.paula).count() == 1
    notices = hospital_notices()
    assert set(notices) == {"alice"}
    assert notices["alice"].title == "Paula Reyes discharged from St. Mary's Hospital: case referred"
    assert "complex case management case is referred: reactivate it" in notices["alice"].body
    assert "1 open case(s) flagged" in receipt.message.effect


def test_an_organisation_without_a_team_still_gets_the_discharge(world: World) -> None:
    patient = nguyen(world)
    Case.objects.filter(team=world.north).delete()
    StaffProfile.objects.filter(team=world.north).update(team=None)
    Team.objects.filter(pk=world.north.pk).delete()
    receipt = do_receive(discharge("M1", LONG_STAY, DAY, hour=8, **NGUYEN))
    assert receipt.message.outcome == Outcome.APPLIED and "not referred" in receipt.message.effect
    assert not Case.objects.filter(patient=patient).exists()


# --- 30-day readmission ---------------------------------------------------------------------------------------
def test_a_readmission_within_30_days_is_flagged_on_the_chart_and_the_worklist(
    active: World, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(dt.date(2026, 12, 5), 12))
    do_receive(admit("M1"))
    do_receive(discharge("M2", DAY, dt.date(2026, 12, 5)))
    traveller.move_to(at(dt.date(2026, 12, 20), 9))
    receipt = do_receive(adt("A01", "M3", pv1={19: "V2", 44: hl7_time(dt.date(2026, 12, 20), 8)}))
    words = "Readmitted to St. Mary's Hospital on Dec 20, 15 days after discharge from St. Mary's Hospital on Dec 5"
    assert words in receipt.message.effect
    assert ("danger", words) in chart_summary(active.paula).alerts
    alert = next(i for i in build_worklist(active.alice).items if i.kind == "flag")
    assert alert.patient_id == active.paula.pk and alert.reason == f"Alert: {words}"
    assert words in hospital_notices()["alice"].body  # the admission's notice says it too


def test_an_admission_a_month_after_the_discharge_is_not_a_readmission(
    active: World, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(dt.date(2027, 1, 5), 9))
    do_receive(discharge("M1", DAY, dt.date(2026, 12, 5)))  # told only at the end: a stay of its own
    do_receive(adt("A01", "M2", pv1={19: "V2", 44: hl7_time(dt.date(2027, 1, 5), 8)}))  # day 31
    assert not [a for a in chart_summary(active.paula).alerts if a[1].startswith("Readmitted")]


def test_a_readmission_told_only_at_its_discharge_is_flagged_too(
    world: World, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(dt.date(2026, 12, 20), 9))
    do_receive(discharge("M1", DAY, dt.date(2026, 12, 5)))
    do_receive(adt("A03", "M2", pv1={4: "E", 19: "V2", 36: "01", 44: hl7_time(dt.date(2026, 12, 10), 8),
                                     45: hl7_time(dt.date(2026, 12, 19), 8)}))  # fmt: skip
    assert any(t.startswith("Readmitted to") for _, t in chart_summary(world.paula).alerts)


def test_a_cancelled_readmission_withdraws_its_alert(
    active: World, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(dt.date(2026, 12, 20), 9))
    do_receive(discharge("M1", DAY, dt.date(2026, 12, 5)))
    do_receive(adt("A01", "M2", pv1={19: "V2", 44: hl7_time(dt.date(2026, 12, 20), 8)}))
    receipt = do_receive(adt("A11", "M3", pv1={19: "V2"}))
    assert "readmission alert withdrawn" in receipt.message.effect
    assert not [t for _, t in chart_summary(active.paula).alerts if t.startswith("Readmitted")]
    flag = Flag.objects.get(patient=active.paula, rule="readmission-30d")
    assert flag.acknowledgement == "The hospital cancelled the admission (ADT A11)."


# --- an Encounter posted through FHIR starts the same work ----------------------------------------------------
def fhir(user: User, client: Client) -> Api:
    _, secret = do_create_token(user, name="test", scopes=("user/*.*",))
    do_use_token(secret)
    return Api(client, secret)


def test_an_encounter_posted_through_fhir_starts_the_same_work(
    active: World, client: Client, traveller: time_machine.Traveller
) -> None:
    alice = fhir(active.alice, client)
    stay = {
        "resourceType": "Encounter",
        "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": f"Patient/{active.paula.pk}"},
        "period": {"start": at(DAY, 8).isoformat()},
        "location": [{"location": {"display": "Providence Hospital"}}],
    }
    reply = alice.post("Encounter", stay)
    assert reply.status == 201, reply.body
    # Dana is told; Alice, who posted it, is not.
    assert set(hospital_notices()) == {"dana"}
    assert hospital_notices()["dana"].title == "Paula Reyes admitted to Providence Hospital"
    assert any(
        t == "In hospital since Dec 1 at Providence Hospital" for _, t in chart_summary(active.paula).alerts
    )
    traveller.move_to(at(DAY + dt.timedelta(days=3), 12))
    served = alice.get(f"Encounter/{reply.body['id']}").body
    served |= {
        "status": "finished",
        "period": {"start": at(DAY, 8).isoformat(), "end": at(DAY + dt.timedelta(days=3), 11).isoformat()},
    }
    assert alice.put(f"Encounter/{reply.body['id']}", served).status == 200
    assert RiskScore.objects.filter(patient=active.paula, model="lace", computed_by=active.alice).exists()
    assert any(i.kind == "transition" for i in build_worklist(active.alice).items)


def test_an_administrator_sets_the_discharge_rule_on_the_programmes_page(world: World, login) -> None:
    client = login(world.adam)
    url = reverse("administration:programs")
    page = client.get(url).content.decode()
    assert "Refer patients discharged from hospital without a case when LACE is at least" in page
    assert 'name="discharge_referral_lace" value="10"' in page  # transitional care's default
    form = {"program": "tcm", "phq_9": 14, "icm_complexity_grid": 60, "ahc_hrsn": 180}
    too_high = client.post(url, {**form, "discharge_referral_lace": 20})
    assert (
        too_high.status_code == 400 and 'id="id_discharge_referral_lace_error"' in too_high.content.decode()
    )
    assert client.post(url, {**form, "discharge_referral_lace": 8}).status_code == 302
    assert program_rules(world.riverside.pk, Program.TCM).discharge_referral_lace == 8
    assert client.post(url, {**form, "discharge_referral_lace": ""}).status_code == 302
    assert program_rules(world.riverside.pk, Program.TCM).discharge_referral_lace is None  # takes none
