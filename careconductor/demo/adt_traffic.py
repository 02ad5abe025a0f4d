"""A week of HL7 v2 ADT traffic for the demo (issue 19): the feed "St. Mary's Regional Medical Center" (MSH-4
STMARYS) and about twenty-five messages received through `transitions.actions.do_receive`, so every message is
kept raw with its outcome and acknowledgement and what it did carries real audit events, as a hospital's would.

Over the last seven days, in the order sent: ED visits that went home, admissions and discharges (one to a nursing
facility, one admission cancelled), a patient of casemanager's discharged home yesterday (her worklist's
transitional-care call), a 30-day readmission (another of her patients discharged 12 days ago, back through the ED
2 days ago and still in), a patient still in hospital (admitted to the ICU, transferred to a ward), and a man the
records do not know, waiting in the match queue. Patients are found by the hospital's messages themselves: their
first message matches on name, birth date and sex, the next on the hospital MRN it left. Each message's
received time is set to when the hospital sent it (do_receive stamps the build's own time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, User
from careconductor.careplans.choices import VersionStatus
from careconductor.careplans.models import CarePlan
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.patients.models import Encounter, Patient
from careconductor.transitions import hl7v2
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.choices import Outcome
from careconductor.transitions.matching import find_patient
from careconductor.transitions.models import AdtMessage, Feed

FACILITY, HOSPITAL = "STMARYS", "St. Mary's Regional Medical Center"
# The discharge list of casemanager's COPD patient (RXE: give code, amount, units, form, instructions; an ORC|DC
# before an order says to stop it). demo/reconciliation.py reconciles it with her own list.
COPD_DISCHARGE_LIST = (
    "ORC|NW",
    "RXE||^Albuterol HFA inhaler^|2||puffs|^inhaler|^Every 4 to 6 hours as needed for breath",
    "ORC|NW",
    "RXE||^Tiotropium inhaler^|18||mcg|^inhalation capsule|^One capsule inhaled once a day",
    "ORC|NW",
    "RXE||312615^Prednisone 20 MG Oral Tablet^RXNORM|40||mg|^tablet|^Once a day with breakfast for 5 days",
    "ORC|DC",
    "RXE||^Theophylline ER^|300||mg|^tablet",
)
STRANGER = {"given": "Walter", "family": "Kowalczyk", "birth": "19410217", "sex": "M", "mrn": "SM990417"}


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Event:
    """One message: who, which trigger, which visit, when (days ago and hour), and PV1/PV2/DG1 details."""

    person: dict[str, str]
    trigger: str
    visit: str
    days_ago: int
    hour: float
    patient_class: str = "I"
    location: str = "4W^412^B"
    prior_location: str = ""
    admitted: tuple[int, float] | None = None  # PV1-44 as (days ago, hour); the event's own time when None
    disposition: str = ""
    reason: str = ""
    diagnosis: str = ""
    attending: str = "4411^Hughes^Ann^M"
    admission_type: str = "E"  # PV1-4: E emergency, R routine (elective)
    medications: tuple[str, ...] = ()  # ORC/RXE segments: the discharge list an A03 carries


def add_adt_traffic(org: Organization, out: Out) -> int:
    """Returns how many messages were received (0 when the feed exists already or there are too few patients
    to tell the story) and says so."""
    admin = User.objects.filter(organization=org, role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None or Feed.objects.filter(sending_facility=FACILITY).exists():
        return 0
    feed = do_create_feed(admin, name=HOSPITAL, sending_facility=FACILITY)
    feed = Feed.objects.select_related("account", "organization").get(pk=feed.pk)
    people = _people(org, feed)
    if people is None:
        return 0
    events = sorted(_story(people), key=lambda e: (-e.days_ago, e.hour))
    zone = ZoneInfo(org.time_zone or settings.TIME_ZONE)
    today = clock.now().astimezone(zone).date()
    outcomes: dict[str, int] = {}
    for n, event in enumerate(events, 1):
        sent = _at(today, zone, event.days_ago, event.hour)
        receipt = do_receive(_message(event, f"SMH{sent:%y%m%d}{n:04d}", sent, today, zone))
        # Received when the hospital sent it, not when the demo was built.
        AdtMessage.objects.filter(pk=receipt.message.pk).update(received_at=sent + dt.timedelta(seconds=2))
        outcomes[receipt.message.outcome] = outcomes.get(receipt.message.outcome, 0) + 1
    applied, held = outcomes.get(Outcome.APPLIED, 0), outcomes.get(Outcome.HELD, 0)
    name = lambda key: f"{people[key]['given']} {people[key]['family']}"  # noqa: E731
    out.write(
        f"ADT feed: {HOSPITAL} sent {len(events)} messages this week ({applied} applied, {held} in the match "
        f"queue: {STRANGER['given']} {STRANGER['family']}); {name('readmitted')} back in hospital 10 days after "
        f"a discharge (a 30-day readmission), {name('inpatient')} in hospital for three days, "
        f"{name('discharged')} discharged yesterday (a transitional-care call on casemanager's worklist). "
        "Log in as admin: Set-up → ADT feeds.\n"
    )
    return len(events)


def _at(today: dt.date, zone: ZoneInfo, days_ago: int, hour: float) -> dt.datetime:
    day = today - dt.timedelta(days=days_ago)
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=zone) + dt.timedelta(hours=hour)
    return min(moment, clock.now() - dt.timedelta(minutes=20))  # today's events are in the past


def _people(org: Organization, feed: Feed) -> dict[str, dict[str, str]] | None:
    """The patients the story names, each one the feed's matching finds by name, birth date and sex alone:
    two of casemanager's active cases (from her last, away from the other scenarios' picks), another case
    manager's active case, and six patients with no case in progress."""
    recent = Encounter.objects.filter(start__gte=clock.now() - dt.timedelta(days=45)).values("patient_id")
    usable = (
        Patient.objects.filter(organization=org, merged_into__isnull=True, portal_user__isnull=True)
        .exclude(pk__in=recent)
        .exclude(identifiers__system=feed.mrn_system)
    )
    active = Case.objects.filter(patient__organization=org, status="active")
    hers = active.filter(primary_case_manager__username="casemanager").order_by("-pk").values("patient_id")
    theirs = active.exclude(primary_case_manager__username="casemanager").order_by("pk").values("patient_id")
    no_case = Case.objects.open().values("patient_id")
    chosen: dict[str, dict[str, str]] = {}
    taken: set[int] = set()

    def take(pool: QuerySet[Patient], keys: list[str]) -> bool:
        for patient in pool.exclude(pk__in=taken).iterator():
            if not keys:
                return True
            person = _person(patient)
            probe = hl7v2.parse(
                _message(Event(person, "A01", "PROBE", 0, 0), "PROBE", clock.now(), None, None)
            )
            if find_patient(feed, probe).patient == patient:
                chosen[keys.pop(0)] = person
                taken.add(patient.pk)
        return not keys

    # The one discharged yesterday is reconciled (demo/reconciliation.py): a patient with an open care plan first,
    # so a barrier can go on it.
    with_plan = Exists(
        CarePlan.objects.filter(patient=OuterRef("pk"), status__in=("draft", "active")).exclude(
            versions__status=VersionStatus.PENDING  # a plan awaiting approval cannot change
        )
    )
    hers_pool = (
        usable.filter(pk__in=[c["patient_id"] for c in hers[:40]])
        .annotate(with_plan=with_plan)
        .order_by("-with_plan", "-pk")
    )
    theirs_pool = usable.filter(pk__in=[c["patient_id"] for c in theirs[:40]]).order_by("pk")
    others = usable.exclude(pk__in=no_case).order_by("-pk")
    ok = (
        take(hers_pool, ["discharged", "readmitted"])
        and take(theirs_pool, ["inpatient"])
        and take(others, ["ed1", "ed2", "ed3", "snf", "home", "cancelled"])
    )
    return chosen if ok else None


def _person(patient: Patient) -> dict[str, str]:
    return {
        "given": patient.given_name,
        "family": patient.family_name,
        "birth": f"{patient.birth_date:%Y%m%d}",
        "sex": {"female": "F", "male": "M"}.get(patient.sex, "U"),
        "mrn": f"SM{700000 + patient.pk}",
        "phone": patient.phone,
    }


def _story(p: dict[str, dict[str, str]]) -> list[Event]:
    """The week, patient by patient (the messages are sent in time order)."""
    visit = iter(f"V{26050100 + n}" for n in range(1, 100))
    ed1, ed2, ed3, snf, home, cancelled, readmit1, readmit2, discharged, inpatient = (
        next(visit) for _ in range(10)
    )

    def ed(event: Event) -> Event:
        return replace(event, patient_class="E", location="ED^^12", attending="5120^Moreno^Luis^R")

    return [
        # ED visits that went home the same day.
        ed(Event(p["ed1"], "A04", ed1, 6, 10.2, reason="Fall at home", diagnosis="W19.XXXA^Unspecified fall")),
        ed(Event(p["ed1"], "A03", ed1, 6, 16.5, admitted=(6, 10.2), disposition="01")),
        ed(Event(p["ed2"], "A04", ed2, 5, 22.8, reason="Chest pain", diagnosis="R07.9^Chest pain, unspecified")),
        ed(Event(p["ed2"], "A03", ed2, 4, 3.4, admitted=(5, 22.8), disposition="01")),
        ed(Event(p["ed3"], "A04", ed3, 1, 8.0, reason="Hypoglycaemia", diagnosis="E16.2^Hypoglycemia")),
        ed(Event(p["ed3"], "A03", ed3, 1, 13.1, admitted=(1, 8.0), disposition="01")),
        # An admission discharged to a nursing facility, one home, one cancelled (entered for the wrong patient).
        Event(p["snf"], "A01", snf, 7, 15.3, reason="Hip fracture", diagnosis="S72.001A^Fracture of femur"),
        Event(p["snf"], "A03", snf, 3, 11.0, admitted=(7, 15.3), disposition="03"),
        Event(p["home"], "A01", home, 5, 19.6, location="3E^318^A", reason="Pneumonia", diagnosis="J18.9^Pneumonia"),
        Event(p["home"], "A03", home, 2, 12.4, location="3E^318^A", admitted=(5, 19.6), disposition="01"),
        Event(p["cancelled"], "A01", cancelled, 6, 9.1, location="5W^502^B", reason="Elective knee replacement", admission_type="R"),
        Event(p["cancelled"], "A11", cancelled, 6, 9.6, location="5W^502^B", admitted=(6, 9.1)),
        # casemanager's patient: admitted, details updated, discharged home yesterday.
        Event(p["discharged"], "A01", discharged, 4, 9.5, reason="COPD exacerbation", diagnosis="J44.1^COPD with exacerbation"),
        Event(p["discharged"], "A08", discharged, 3, 14.0, admitted=(4, 9.5), attending="6610^Okoro^Grace^N"),
        Event(p["discharged"], "A03", discharged, 1, 15.2, admitted=(4, 9.5), disposition="01", attending="6610^Okoro^Grace^N", medications=COPD_DISCHARGE_LIST),
        # The readmission: home with home health 12 days ago, back through the ED 2 days ago, admitted.
        Event(p["readmitted"], "A01", readmit1, 16, 14.3, reason="Heart failure", diagnosis="I50.23^Acute on chronic systolic heart failure"),
        Event(p["readmitted"], "A03", readmit1, 12, 11.1, admitted=(16, 14.3), disposition="06"),
        ed(Event(p["readmitted"], "A04", readmit2, 2, 21.7, reason="Shortness of breath", diagnosis="I50.9^Heart failure")),
        Event(p["readmitted"], "A01", readmit2, 2, 23.9, location="4W^407^A", prior_location="ED", admitted=(2, 21.7), reason="Heart failure"),
        # Still in hospital: the ICU, then a ward.
        Event(p["inpatient"], "A01", inpatient, 3, 18.75, location="ICU^2^1", reason="Sepsis", diagnosis="A41.9^Sepsis, unspecified organism"),
        Event(p["inpatient"], "A02", inpatient, 2, 10.0, location="4W^415^B", prior_location="ICU^2^1", admitted=(3, 18.75)),
        Event(p["inpatient"], "A08", inpatient, 0, 8.5, location="4W^415^B", admitted=(3, 18.75), attending="7702^Baker^Tom^J"),
        # Someone the records do not know: waits in the match queue.
        ed(Event(STRANGER, "A04", next(visit), 0, 6.25, reason="Confusion", diagnosis="R41.0^Disorientation")),
    ]  # fmt: skip


def _message(
    event: Event, control_id: str, sent: dt.datetime, today: dt.date | None, zone: ZoneInfo | None
) -> str:
    """ADT^<trigger> as St. Mary's Epic sends it (v2.5.1, local times with their offset)."""
    stamp = lambda moment: f"{moment:%Y%m%d%H%M%z}"  # noqa: E731
    admitted = _at(today, zone, *event.admitted) if event.admitted and today and zone else sent
    p = event.person
    pv1 = {
        1: "1",
        2: event.patient_class,
        3: event.location,
        4: event.admission_type,
        6: event.prior_location,
        7: event.attending,
        10: "EME" if event.patient_class == "E" else "MED",
        19: event.visit,
        44: stamp(admitted),
    }
    if event.trigger == "A03":
        pv1 |= {36: event.disposition, 45: stamp(sent)}
    segments = [
        f"MSH|^~\\&|EPIC|{FACILITY}|CARECONDUCTOR|RIVERSIDE|{stamp(sent)}||ADT^{event.trigger}^ADT_A01|{control_id}|P|2.5.1",
        f"EVN|{event.trigger}|{stamp(sent)}||||{stamp(sent)}",
        "|".join(
            ["PID", "1", "", f"{p['mrn']}^^^{FACILITY}^MR", "", f"{p['family']}^{p['given']}", "", p["birth"], p["sex"]]
            + [""] * 4
            + [p.get("phone", "")]
        ),
        "|".join(["PV1", *(pv1.get(n, "") for n in range(1, max(pv1) + 1))]),
    ]  # fmt: skip
    if event.reason:
        segments.append(f"PV2|||^{event.reason}")
    if event.diagnosis:
        segments.append(f"DG1|1||{event.diagnosis}^I10||{stamp(admitted)}|A")
    segments += event.medications
    return "\r".join(segments) + "\r"
