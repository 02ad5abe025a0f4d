"""The UM actions end to end on the database (issue 21): intake with its checks, the review's moves and who may
make them, decisions with their notices, appeals, the pend rule's effect on the clock, breaches, the referral to
case management, and who reads what (policy.um_rows). The clock: clinical.md §8 (72 hours / 7 calendar days)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.coordination.models import Notification
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.privacy import policy
from careconductor.privacy.models import AuditEvent
from careconductor.um import actions, queries, rules
from careconductor.um.actions.base import zone
from careconductor.um.choices import NoticeKind, NoticeRecipient, Source
from careconductor.um.models import AuthRequest, UmSettings
from tests.personas import World
from tests.um.conftest import MEMBER_ID, UmPeople

pytestmark = pytest.mark.django_db


def knee_mri(**changes: object) -> actions.NewRequest:
    start = clock.today() + dt.timedelta(days=10)
    fields: dict[str, object] = {
        "source": Source.PHONE,
        "urgency": rules.Urgency.STANDARD,
        "requesting_provider": "Dr Lee, Riverside Orthopaedics",
        "servicing_provider": "Riverside Imaging Center",
        "place_of_service": "22",
        "lines": (actions.Line("73721", 1, start, description="MRI knee without contrast"),),
        "diagnoses": ("M25.561", "M23.205"),
        "clinical_notes": "Knee pain 8 weeks despite physical therapy; X-ray done last month.",
    }
    fields.update(changes)
    return actions.NewRequest(**fields)  # type: ignore[arg-type]


def receive(world: World, **changes: object) -> AuthRequest:
    return actions.do_receive_request(world.uma, world.paula, knee_mri(**changes))


def test_a_complete_request_is_received_on_the_seven_day_clock(world: World, um_people: UmPeople) -> None:
    request = receive(world)
    assert request.status == rules.Status.RECEIVED
    assert request.coverage is not None and request.coverage.member_id == MEMBER_ID
    expected = rules.due_at(request.received_at, rules.Urgency.STANDARD, zone(world.riverside))
    assert request.due_at == expected
    assert (request.due_at - request.received_at) >= dt.timedelta(days=7) - dt.timedelta(hours=1)
    assert [s.move for s in request.steps.all()] == ["received"]
    assert AuditEvent.objects.filter(
        object_type="AuthRequest", object_id=str(request.pk), action="create"
    ).exists()


def test_an_expedited_request_is_due_in_72_hours(world: World, um_people: UmPeople) -> None:
    request = receive(world, urgency=rules.Urgency.EXPEDITED, expedited_asked_by="provider")
    assert request.due_at - request.received_at == dt.timedelta(hours=72)


def test_an_incomplete_request_is_pended_at_once_asking_for_everything_missing(
    world: World, um_people: UmPeople
) -> None:
    request = receive(world, servicing_provider="", clinical_notes="", place_of_service="")
    assert request.status == rules.Status.PENDED
    pend = request.pends.get()
    assert (
        "provider or facility" in pend.asked
        and "clinical notes" in pend.asked
        and "place of service" in pend.asked
    )
    notice = request.notices.get()
    assert notice.kind == NoticeKind.PEND and notice.recipient == NoticeRecipient.PROVIDER
    assert "clinical notes" in notice.body and request.reference in notice.subject


def test_a_duplicate_is_refused_naming_the_request_it_repeats(world: World, um_people: UmPeople) -> None:
    first = receive(world)
    with pytest.raises(ActionRefused) as refused:
        receive(world)
    assert first.reference in refused.value.errors["lines"]
    assert AuthRequest.objects.count() == 1


def test_a_service_outside_the_coverage_is_kept_and_says_so(world: World, um_people: UmPeople) -> None:
    far = clock.today() - dt.timedelta(days=400)
    request = receive(world, lines=(actions.Line("73721", 1, far),), received_at=None)
    assert request.coverage is None
    assert "no coverage" in request.steps.get().note


def test_a_request_backdated_too_far_is_refused(world: World, um_people: UmPeople) -> None:
    with pytest.raises(ActionRefused) as refused:
        receive(world, received_at=clock.now() - dt.timedelta(days=5))
    assert "received_at" in refused.value.errors


def test_only_um_staff_take_requests_in(world: World, um_people: UmPeople) -> None:
    with pytest.raises(ActionRefused):
        actions.do_receive_request(world.alice, world.paula, knee_mri())


def test_nurse_approves_with_the_criteria_met_and_the_letters_go_out(
    world: World, um_people: UmPeople
) -> None:
    request = receive(world)
    actions.do_take_review(world.uma, request.pk)
    answers = {"six-weeks": "yes", "x-ray-first": "done", "result-changes-care": "yes"}
    assert actions.do_answer_criteria(world.uma, request.pk, "example-knee-mri", answers).met is True
    decided = actions.do_decide(world.uma, request.pk, actions.Decision(rules.Move.APPROVE))
    assert decided.status == rules.Status.APPROVED and decided.auth_number.endswith(f"{request.pk:06d}")
    assert decided.valid_from == request.lines.get().start and decided.valid_until >= decided.valid_from
    assert request.lines.get().approved_units == 1
    member, provider = decided.notices.filter(kind=NoticeKind.DECISION).order_by("recipient")
    assert member.recipient == NoticeRecipient.MEMBER and member.language == "es"  # Paula reads Spanish
    assert "aprobada" in member.subject and decided.auth_number in member.body
    assert provider.language == "en" and "example criteria" in provider.body.lower()


def test_a_nurse_may_not_approve_against_the_criteria_nor_deny(world: World, um_people: UmPeople) -> None:
    request = receive(world)
    actions.do_take_review(world.uma, request.pk)
    actions.do_answer_criteria(world.uma, request.pk, "example-knee-mri", {"six-weeks": "no"})
    with pytest.raises(ActionRefused, match="criteria are not met"):
        actions.do_decide(world.uma, request.pk, actions.Decision(rules.Move.APPROVE))
    with pytest.raises(ActionRefused, match="Only a physician"):
        actions.do_decide(
            world.uma,
            request.pk,
            actions.Decision(rules.Move.DENY, reason=rules.DenialReason.CRITERIA_NOT_MET),
        )
    assert AuthRequest.objects.get(pk=request.pk).status == rules.Status.IN_REVIEW


def test_denial_needs_a_coded_reason_and_an_appeal_goes_to_another_physician(
    world: World, um_people: UmPeople
) -> None:
    request = receive(world)
    actions.do_take_review(world.uma, request.pk)
    actions.do_send_to_physician(world.uma, request.pk, "Criteria not met: no X-ray.")
    assert Notification.objects.filter(user__in=[world.mo, um_people.meg], kind="prior_auth").count() == 2
    with pytest.raises(ActionRefused) as refused:
        actions.do_decide(world.mo, request.pk, actions.Decision(rules.Move.DENY))
    assert "reason" in refused.value.errors
    denied = actions.do_decide(
        world.mo,
        request.pk,
        actions.Decision(rules.Move.DENY, reason=rules.DenialReason.CRITERIA_NOT_MET, note="No X-ray first."),
    )
    assert denied.status == rules.Status.DENIED and denied.auth_number == ""
    letter = denied.notices.get(recipient=NoticeRecipient.MEMBER)
    assert (
        "No se cumplen los criterios" in letter.body and "apelar" in letter.body
    )  # reason and appeal rights
    actions.do_file_appeal(
        world.uma,
        request.pk,
        filed_by=NoticeRecipient.MEMBER,
        urgency=rules.Urgency.EXPEDITED,
        grounds="X-ray done now.",
    )
    appeal = AuthRequest.objects.get(pk=request.pk).appeal
    assert appeal.due_at - appeal.filed_at == dt.timedelta(hours=72)
    with pytest.raises(ActionRefused, match="other than the physician"):
        actions.do_decide_appeal(world.mo, request.pk, overturn=True, note="X-ray now shows a tear.")
    overturned = actions.do_decide_appeal(
        um_people.meg, request.pk, overturn=True, note="X-ray now shows a tear."
    )
    assert overturned.status == rules.Status.APPEAL_APPROVED and overturned.auth_number
    assert overturned.notices.filter(kind=NoticeKind.APPEAL).exists()


def test_a_physician_partially_approves_fewer_units(world: World, um_people: UmPeople) -> None:
    start = clock.today() + dt.timedelta(days=3)
    request = receive(
        world,
        lines=(actions.Line("97110", 24, start, start + dt.timedelta(days=60), "Therapeutic exercise"),),
    )
    actions.do_take_review(um_people.ravi, request.pk)
    line = request.lines.get()
    with pytest.raises(ActionRefused):
        actions.do_decide(
            um_people.ravi, request.pk,
            actions.Decision(rules.Move.PARTIAL, reason="site-of-care", approved_units={line.pk: 24}),
        )  # fmt: skip
    decided = actions.do_decide(
        um_people.ravi, request.pk,
        actions.Decision(rules.Move.PARTIAL, reason="criteria-not-met", approved_units={line.pk: 12}),
    )  # fmt: skip
    assert decided.status == rules.Status.PARTIAL and decided.lines.get().approved_units == 12


@pytest.mark.parametrize("rule", [rules.PendRule.CLOCK_RUNS, rules.PendRule.CLOCK_STOPS])
def test_the_pend_rule_decides_whether_waiting_moves_the_due_time(
    world: World, um_people: UmPeople, rule: rules.PendRule
) -> None:
    UmSettings.objects.create(organization=world.riverside, pend_rule=rule.value)
    request = receive(world)
    due = request.due_at
    actions.do_pend(world.uma, request.pk, "Send the X-ray report.")
    with time_machine.travel(clock.now() + dt.timedelta(days=2)):
        resumed = actions.do_resume(world.uma, request.pk, "X-ray report faxed.")
    moved = resumed.due_at - due
    if rule == rules.PendRule.CLOCK_STOPS:
        assert dt.timedelta(days=2) - dt.timedelta(minutes=1) <= moved <= dt.timedelta(days=2, minutes=1)
    else:
        assert moved == dt.timedelta(0)
    assert resumed.status == rules.Status.RECEIVED  # nobody had taken it up: back to be taken up
    assert "X-ray report faxed." in resumed.clinical_notes


def test_a_breach_is_marked_once_and_the_medical_directors_told(world: World, um_people: UmPeople) -> None:
    request = receive(world, urgency=rules.Urgency.EXPEDITED, expedited_asked_by="member")
    assert actions.do_mark_breaches(request.due_at - dt.timedelta(minutes=1)) == 0
    assert actions.do_mark_breaches(request.due_at + dt.timedelta(minutes=1)) == 1
    assert actions.do_mark_breaches(request.due_at + dt.timedelta(minutes=2)) == 0
    assert AuthRequest.objects.get(pk=request.pk).breached_at is not None
    told = Notification.objects.filter(kind="prior_auth", title__contains="past due")
    assert {n.user_id for n in told} == {world.mo.pk, um_people.meg.pk}


def test_refer_to_case_management_goes_to_intake_without_opening_the_chart(
    world: World, um_people: UmPeople
) -> None:
    request = receive(world)
    case = actions.do_refer_to_case_management(
        world.uma, request.pk, program=Program.TCM, reason="Third request for home care in 2 months"
    )
    assert case.status == CaseStatus.REFERRED and case.referral_source == ReferralSource.UTILISATION
    assert request.reference in case.referral_reason
    assert not policy.can(world.uma, policy.Action.VIEW, world.paula)
    with pytest.raises(ActionRefused):
        actions.do_refer_to_case_management(world.uma, request.pk, program=Program.TCM, reason="again")


def test_who_reads_requests(world: World, um_people: UmPeople) -> None:
    request = receive(world)
    assert list(policy.um_rows(world.uma)) == [request]  # the organisation's requests, their function
    assert list(policy.um_rows(world.alice)) == [request]  # Paula's case manager, on the chart
    assert [r.pk for r in queries.requests_of(world.alice, world.paula)] == [request.pk]
    assert list(policy.um_rows(world.bob)) == []  # same team, no relationship with Paula
    assert list(policy.um_rows(world.adam)) == [request]  # the organisation's administrator sees her chart
    with pytest.raises(NotVisible):
        queries.access_request(world.charlie, request.pk)  # another organisation
    with pytest.raises(PermissionError):
        policy.um_rows(world.paula.portal_user or world.charlie.__class__())  # a patient's or no log-in


def test_a_substance_use_request_is_kept_from_um_staff_without_consent(
    world: World, um_people: UmPeople
) -> None:
    request = receive(world, diagnoses=("F11.20",), lines=(actions.Line("H0020", 30, clock.today()),))
    assert request.sensitivity == "part2"
    assert list(policy.um_rows(world.uma)) == []
    assert list(policy.um_rows(world.alice)) == [request]  # her case manager sees Part 2 records
    with pytest.raises(NotVisible):
        actions.do_take_review(world.uma, request.pk)


def test_worklist_ranks_by_time_left(world: World, um_people: UmPeople) -> None:
    standard = receive(world)
    expedited = receive(
        world,
        urgency=rules.Urgency.EXPEDITED,
        expedited_asked_by="provider",
        lines=(
            actions.Line("E0431", 1, clock.today() + dt.timedelta(days=1), description="Portable oxygen"),
        ),
    )
    rows, total = queries.worklist(world.uma)
    assert [r.request.pk for r in rows] == [expedited.pk, standard.pk] and total == 2
    assert rows[0].clock.colour == rules.Colour.ON_TIME
    with time_machine.travel(expedited.received_at + dt.timedelta(hours=60)):
        rows, _ = queries.worklist(world.uma)
    assert rows[0].clock.colour == rules.Colour.LATE
    with pytest.raises(NotVisible):
        queries.worklist(world.alice)


def admitted_yesterday(world: World) -> tuple[AuthRequest, dt.date]:
    """An inpatient admission of yesterday, expected to last 4 days."""
    admitted = clock.today() - dt.timedelta(days=1)
    request = receive(
        world,
        setting="inpatient",
        place_of_service="21",
        lines=(actions.Line("99223", 1, admitted, description="Inpatient admission"),),
        admitted_on=admitted,
        expected_stay_days=4,
    )
    return request, admitted


def test_a_stay_is_approved_for_its_expected_days_and_reviewed_on(world: World, um_people: UmPeople) -> None:
    request, admitted = admitted_yesterday(world)
    assert request.next_review_on == admitted + dt.timedelta(days=4)
    actions.do_take_review(um_people.ravi, request.pk)
    approved = actions.do_decide(um_people.ravi, request.pk, actions.Decision(rules.Move.APPROVE))
    assert approved.valid_until == admitted + dt.timedelta(days=4)
    extended = actions.do_review_stay(
        world.uma, request.pk, extra_days=2, next_review_on=clock.today(), note="Still on IV antibiotics."
    )
    assert extended.expected_stay_days == 6 and extended.valid_until == admitted + dt.timedelta(days=6)
    assert [r.pk for r in queries.stay_reviews_due(world.uma)] == [request.pk]
    actions.do_review_stay(world.uma, request.pk, extra_days=0, next_review_on=None, note="Went home today.")
    assert queries.stay_reviews_due(world.uma) == []
    assert "review ended (discharged)" in AuthRequest.objects.get(pk=request.pk).steps.last().note
    with pytest.raises(ActionRefused) as refused:
        actions.do_review_stay(
            world.uma,
            request.pk,
            extra_days=1,
            next_review_on=clock.today() + dt.timedelta(days=90),
            note="x",
        )
    assert "next_review_on" in refused.value.errors
    outpatient = receive(world)
    actions.do_take_review(world.uma, outpatient.pk)
    with pytest.raises(ActionRefused, match="inpatient"):
        actions.do_review_stay(world.uma, outpatient.pk, extra_days=0, next_review_on=None, note="x")


def test_more_time_moves_the_due_time_once_tells_the_member_and_counts_in_the_figures(
    world: World, um_people: UmPeople
) -> None:
    from careconductor.um import metrics

    request = receive(world)
    before = request.due_at
    with pytest.raises(ActionRefused) as refused:
        actions.do_extend(world.uma, request.pk, days=15, asked_by="nobody", reason=" ")
    assert set(refused.value.errors) == {"days", "asked_by", "reason"}
    actions.do_extend(
        world.uma, request.pk, days=14, asked_by="plan", reason="The surgeon's report is needed."
    )
    request.refresh_from_db()
    assert request.due_at == rules.due_at(
        request.received_at, rules.Urgency.STANDARD, zone(world.riverside), extension_days=14
    )
    assert request.due_at - before >= dt.timedelta(days=14) - dt.timedelta(hours=1)
    assert request.waiting_due_at == request.due_at  # the worklist ranks by the new time
    to_member = request.notices.get(kind=NoticeKind.EXTENSION, recipient=NoticeRecipient.MEMBER)
    assert to_member.language == "es" and "más tiempo" in to_member.subject  # Paula reads Spanish
    assert "The surgeon's report" in to_member.body
    assert request.notices.filter(kind=NoticeKind.EXTENSION, recipient=NoticeRecipient.PROVIDER).exists()
    assert request.steps.filter(move="extend").exists()
    with pytest.raises(ActionRefused):  # once only
        actions.do_extend(world.uma, request.pk, days=3, asked_by="member", reason="Asked again.")
    actions.do_take_review(world.uma, request.pk)
    actions.do_answer_criteria(
        world.uma,
        request.pk,
        "example-knee-mri",
        {"six-weeks": "yes", "x-ray-first": "done", "result-changes-care": "yes"},
    )
    actions.do_decide(world.uma, request.pk, actions.Decision(rules.Move.APPROVE))
    request.refresh_from_db()
    (figures,) = metrics.figures(world.uma)
    assert figures.approved_after_extension_share == 1.0
    year = request.decided_at.astimezone(zone(world.riverside)).year
    behind = metrics.behind(world.uma, year, request.plan_type, "extension-approved")
    assert [r.pk for r in behind] == [request.pk]
    with pytest.raises(ActionRefused):  # decided: no more time to give
        actions.do_extend(world.uma, request.pk, days=3, asked_by="member", reason="Too late.")


def test_fewer_stay_days_than_asked_is_a_physicians_partial_denial_open_to_appeal(
    world: World, um_people: UmPeople
) -> None:
    request, admitted = admitted_yesterday(world)
    actions.do_take_review(um_people.ravi, request.pk)
    actions.do_decide(um_people.ravi, request.pk, actions.Decision(rules.Move.APPROVE))
    asked = {
        "next_review_on": clock.today(),
        "note": "Asks 3 more days for rehab placement.",
        "asked_days": 3,
    }
    with pytest.raises(ActionRefused) as nurse:  # a nurse may grant what is asked, never less
        actions.do_review_stay(world.uma, request.pk, extra_days=1, reason="site-of-care", **asked)
    assert "only a physician" in nurse.value.errors["extra_days"]
    with pytest.raises(ActionRefused) as no_reason:
        actions.do_review_stay(um_people.ravi, request.pk, extra_days=1, **asked)
    assert set(no_reason.value.errors) == {"reason"}
    with pytest.raises(ActionRefused):  # more than asked
        actions.do_review_stay(um_people.ravi, request.pk, extra_days=4, **asked)
    reviewed = actions.do_review_stay(
        um_people.ravi, request.pk, extra_days=1, reason="site-of-care", **asked
    )
    assert (reviewed.status, reviewed.reason, reviewed.expected_stay_days, reviewed.stay_days_denied) == (
        rules.Status.PARTIAL,
        "site-of-care",
        5,
        2,
    )
    letter = reviewed.notices.filter(kind=NoticeKind.DECISION, recipient=NoticeRecipient.MEMBER).last()
    assert letter is not None and "3 more day(s) in hospital" in letter.body and "apelar" in letter.body
    # The member appeals; another physician overturns: the days not granted are granted.
    actions.do_file_appeal(
        world.uma,
        request.pk,
        filed_by=NoticeRecipient.MEMBER,
        urgency=rules.Urgency.EXPEDITED,
        grounds="No bed.",
    )
    overturned = actions.do_decide_appeal(
        um_people.meg, request.pk, overturn=True, note="Placement not ready."
    )
    assert (overturned.status, overturned.expected_stay_days, overturned.stay_days_denied) == (
        rules.Status.APPEAL_APPROVED,
        7,
        0,
    )
    assert overturned.valid_until == admitted + dt.timedelta(days=7)
