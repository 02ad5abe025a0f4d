"""Prior authorisations for the demo (issue 21): the plan's UM desk on a weekday morning. Linda Park (UM nurse)
has new, pended and in-review requests on the 72-hour and 7-day clocks, one of them already past due (Robert
Hale, the medical director, was told); Samuel Osei (UM physician reviewer) partly approved a course of therapy;
Robert denied a CT and the member appealed it, so the appeal waits for Samuel (never the one who denied); a
member with repeated requests was referred to case management; an approved inpatient stay has its concurrent review due today.
Members are the demo's Medicare Advantage members, by their member IDs; everything goes through um.actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Organization, StaffProfile, User
from careconductor.cases.choices import Program
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.patients.choices import CoverageKind
from careconductor.patients.models import Patient
from careconductor.um import actions
from careconductor.um.choices import NoticeRecipient, Setting, Source
from careconductor.um.models import AuthRequest
from careconductor.um.rules import DenialReason, Move, Urgency

from .staff import PASSWORD


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Ask:
    code: str
    description: str
    units: int
    diagnoses: tuple[str, ...]
    urgency: Urgency
    hours_ago: float
    requesting: str
    servicing: str
    place: str
    notes: str
    days_out: int = 7  # the service's first day, from today
    setting: Setting = Setting.OUTPATIENT
    days: int = 0  # how long the service runs


KNEE = Ask("73721", "MRI knee without contrast", 1, ("M25.561", "M23.205"), Urgency.STANDARD, 2,
           "Dr Alan Lee, Riverside Orthopaedics", "Riverside Imaging Center", "22",
           "Knee pain 8 weeks despite physical therapy; X-ray last month shows no fracture.")  # fmt: skip
OXYGEN = Ask("E1390", "Oxygen concentrator", 1, ("J44.1",), Urgency.EXPEDITED, 50,
             "Dr Priya Raman", "Valley Home Medical", "12",
             "COPD exacerbation; SpO2 86 % on room air at rest on discharge.", days_out=1, days=90)  # fmt: skip
SPINE = Ask("72148", "MRI lumbar spine", 1, ("M54.16",), Urgency.STANDARD, 60,
            "Dr Ines Cabrera, Family Medicine", "", "22", "", days_out=10)  # fmt: skip
STAY = Ask("99223", "Inpatient admission, pneumonia", 1, ("J18.9", "I50.9"), Urgency.EXPEDITED, 30,
           "St. Mary's Regional Medical Center", "St. Mary's Regional Medical Center", "21",
           "Admitted through the ED with pneumonia and decompensated heart failure.", days_out=-1,
           setting=Setting.INPATIENT)  # fmt: skip
THERAPY = Ask("97110", "Therapeutic exercise (physical therapy)", 24, ("M17.11",), Urgency.STANDARD, 40,
              "Dr Alan Lee, Riverside Orthopaedics", "Motion Physical Therapy", "11",
              "After knee replacement; asks for three visits a week for eight weeks.", days_out=3, days=56)  # fmt: skip
CT = Ask("74177", "CT abdomen and pelvis with contrast", 1, ("R10.9",), Urgency.STANDARD, 70,
         "Dr Ines Cabrera, Family Medicine", "Riverside Imaging Center", "22",
         "Abdominal pain for 3 days; no ultrasound or labs yet.", days_out=5)  # fmt: skip
OXYGEN_LATE = Ask("E0431", "Portable oxygen", 1, ("J96.11",), Urgency.EXPEDITED, 66,
                  "Dr Priya Raman", "Valley Home Medical", "12",
                  "Chronic respiratory failure; walk test desaturation to 85 %.", days_out=1, days=90)  # fmt: skip
BREACHED = Ask("E0439", "Stationary liquid oxygen", 1, ("J44.9",), Urgency.EXPEDITED, 71.5,
               "Dr Priya Raman", "Valley Home Medical", "12",
               "Resting saturation 87 %; asks for liquid oxygen for travel to dialysis.", days_out=1, days=90)  # fmt: skip


def _physician_reviewer(org: Organization) -> User:
    user = do_create_user(
        "samuel.osei", Role.UM_REVIEWER, org, PASSWORD, first_name="Samuel", last_name="Osei"
    )
    StaffProfile.objects.create(user=user, discipline=Discipline.PHYSICIAN, credentials="MD")
    return user


def _members(org: Organization) -> list[Patient]:
    return list(
        Patient.objects.filter(
            organization=org,
            deceased_date__isnull=True,
            coverages__kind=CoverageKind.MEDICARE_ADVANTAGE,
            coverages__end_date__isnull=True,
        )
        .distinct()
        .order_by("pk")[:40]
    )


def _take_in(linda: User, member: Patient, ask: Ask, *, partner_task: str = "") -> AuthRequest:
    """`partner_task`: the partner's identifier of a request that came as a FHIR Task (docs/prior-authorisation.md)."""
    start = clock.today() + dt.timedelta(days=ask.days_out)
    source = Source.FAX if ask.urgency == Urgency.STANDARD else Source.PHONE
    return actions.do_receive_request(
        linda,
        member,
        actions.NewRequest(
            source=Source.FHIR_TASK if partner_task else source,
            external_id=partner_task,
            urgency=ask.urgency,
            expedited_asked_by="provider" if ask.urgency == Urgency.EXPEDITED else "",
            requesting_provider=ask.requesting,
            servicing_provider=ask.servicing,
            place_of_service=ask.place,
            lines=(actions.Line(ask.code, ask.units, start, start + dt.timedelta(days=ask.days) if ask.days else None,
                                ask.description),),
            diagnoses=ask.diagnoses,
            clinical_notes=ask.notes,
            received_at=clock.now() - dt.timedelta(hours=min(ask.hours_ago, 71.9)),
            setting=ask.setting,
            admitted_on=start if ask.setting == Setting.INPATIENT else None,
            expected_stay_days=4 if ask.setting == Setting.INPATIENT else None,
        ),
    )  # fmt: skip


def add_prior_authorisations(org: Organization, out: Out) -> int:
    """How many requests were taken in; none when the demo has them already or lacks its UM staff."""
    linda = User.objects.filter(organization=org, role=Role.UM_REVIEWER).order_by("pk").first()
    robert = User.objects.filter(organization=org, role=Role.MEDICAL_DIRECTOR).order_by("pk").first()
    members = _members(org)
    if (
        linda is None
        or robert is None
        or len(members) < 10
        or AuthRequest.objects.filter(organization=org).exists()
    ):
        return 0
    samuel = _physician_reviewer(org)
    m = iter(members)
    # New, waiting to be taken up: sent by the orthopaedic practice's system as a FHIR Task.
    _take_in(linda, next(m), KNEE, partner_task="https://riverside-ortho.example/prior-auth|RO-2291")
    _take_in(linda, next(m), SPINE)  # pended at once: no servicing provider, no notes
    oxygen = _take_in(linda, next(m), OXYGEN)
    actions.do_take_review(linda, oxygen.pk)
    actions.do_answer_criteria(
        linda, oxygen.pk, "example-home-oxygen", {"low-saturation": "yes", "tested-on-room-air": "yes"}
    )
    stay = _take_in(linda, next(m), STAY)
    actions.do_take_review(samuel, stay.pk)
    actions.do_decide(
        samuel, stay.pk, actions.Decision(Move.APPROVE, note="Four days for pneumonia with heart failure.")
    )
    actions.do_review_stay(linda, stay.pk, extra_days=0, next_review_on=clock.today(),
                           note="Day 2: still on IV antibiotics and oxygen; discharge planning started.")  # fmt: skip
    therapy = _take_in(linda, next(m), THERAPY)
    actions.do_take_review(samuel, therapy.pk)
    line = therapy.lines.get()
    actions.do_decide(samuel, therapy.pk, actions.Decision(
        Move.PARTIAL, reason=DenialReason.CRITERIA_NOT_MET.value, approved_units={line.pk: 12},
        note="Twelve visits approved; send progress notes to ask for more."))  # fmt: skip
    knee_member = next(m)
    approved = _take_in(linda, knee_member, KNEE)
    # The plan took more time for the X-ray report, then approved: counted in "approved after extension".
    actions.do_extend(linda, approved.pk, days=14, asked_by="plan",
                      reason="We asked Riverside Orthopaedics for last month's knee X-ray report.")  # fmt: skip
    actions.do_take_review(linda, approved.pk)
    actions.do_answer_criteria(linda, approved.pk, "example-knee-mri",
                               {"six-weeks": "yes", "x-ray-first": "done", "result-changes-care": "yes"})  # fmt: skip
    actions.do_decide(linda, approved.pk, actions.Decision(Move.APPROVE))
    ct_member = next(m)
    ct = _take_in(linda, ct_member, CT)
    actions.do_take_review(linda, ct.pk)
    actions.do_send_to_physician(linda, ct.pk, "No ultrasound or labs first.")
    actions.do_record_peer_to_peer(
        robert, ct.pk, held=True, note="Dr Cabrera agreed to order an ultrasound first."
    )
    actions.do_decide(robert, ct.pk, actions.Decision(
        Move.DENY, reason=DenialReason.CRITERIA_NOT_MET.value,
        note="An ultrasound and blood tests come first for this kind of pain."))  # fmt: skip
    actions.do_file_appeal(linda, ct.pk, filed_by=NoticeRecipient.MEMBER, urgency=Urgency.STANDARD,
                           grounds="The pain is worse and the ultrasound showed nothing.")  # fmt: skip
    late = _take_in(linda, next(m), OXYGEN_LATE)
    actions.do_take_review(linda, late.pk)
    actions.do_send_to_physician(linda, late.pk, "Walk test on oxygen not sent.")
    breached = _take_in(linda, next(m), BREACHED)
    # It came in by phone 73 hours ago and nobody took it up: its clock has run out.
    earlier = dt.timedelta(hours=1.5)
    AuthRequest.objects.filter(pk=breached.pk).update(
        received_at=breached.received_at - earlier,
        due_at=breached.due_at - earlier,
        waiting_due_at=breached.due_at - earlier,
    )
    breached.steps.update(at=breached.received_at - earlier)
    actions.do_mark_breaches()
    referred = _refer(
        linda, [p for p in members[9:] if not Case.objects.filter(patient=p, closed_at__isnull=True).exists()]
    )
    count = AuthRequest.objects.filter(organization=org).count()
    out.write(
        f"Prior authorisations: {count} requests on linda.park's worklist (new, pended, in review, one past due), "
        "decisions by samuel.osei and robert.hale, an appeal waiting"
        + (", a member referred to case management.\n" if referred else ".\n")
    )
    return count


def _refer(linda: User, without_case: list[Patient]) -> Case | None:
    """A member without a case whose third request for home oxygen in two months is withdrawn (back in hospital):
    referred to complex case management."""
    if not without_case:
        return None
    member = without_case[-1]
    request = _take_in(linda, member, OXYGEN)
    actions.do_withdraw(
        linda, request.pk, "The provider withdrew it by phone: the member is in hospital again."
    )
    return actions.do_refer_to_case_management(
        linda, request.pk, program=Program.COMPLEX,
        reason="Three requests for home oxygen in two months and two admissions: needs coordination",
    )  # fmt: skip
