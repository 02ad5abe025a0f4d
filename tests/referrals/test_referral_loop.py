"""A referral closes the loop (issue 20): made from a barrier on the plan, sent only with the patient's consent to
share with a community organisation (clinical.md §10.1 step 4), answered by the organisation through its
single-use link (refused and audited when expired, reused, tampered or for another referral), and what comes back
lands on the worklist, the goal and the barrier. Every change is kept with who and when."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.assessments.models import Finding
from careconductor.careplans.models import Barrier, GoalProgress
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_link_portal_user
from careconductor.privacy.audit import AuditContext, audit_context
from careconductor.privacy.choices import AuditAction, ConsentType
from careconductor.privacy.models import AuditEvent, Consent
from careconductor.referrals.actions import (
    do_acknowledge,
    do_answer_by_link,
    do_create_referral,
    do_send_referral,
)
from careconductor.referrals.actions.links import LinkRefused
from careconductor.referrals.choices import Actor, DeclineReason, Origin, ReferralStatus, SharedItem
from careconductor.referrals.models import PartnerLink, Referral

from ..assessments.helpers import record
from ..conftest import log_in
from ..personas import PASSWORD, World
from .conftest import PANTRY_EMAIL, Referring

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_now(settings) -> Iterator[None]:
    settings.SITE_URL = "https://care.example.org"
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def _draft(world: World, referring: Referring, **extra) -> Referral:  # type: ignore[no-untyped-def]
    return do_create_referral(
        world.alice,
        world.paula,
        need="food",
        reason="Runs out of food before payday; diabetic diet.",
        service=referring.pantry,
        shared=[SharedItem.CONTACT, SharedItem.REASON],
        barrier=referring.barrier,
        origin=Origin.BARRIER,
        **extra,
    )


def _sent(world: World, referring: Referring) -> tuple[Referral, str]:
    referral = _draft(world, referring)
    return do_send_referral(
        world.alice, referral, record_consent={"method": "verbal", "given_on": clock.today()}
    )


def test_a_community_organisation_gets_nothing_before_the_patients_consent(
    world: World, referring: Referring
) -> None:
    referral = _draft(world, referring)
    assert referral.status == ReferralStatus.DRAFT and referral.goal == referring.goal
    assert referral.case == world.paula_case and not referral.recipient_hipaa_covered
    with pytest.raises(ActionRefused) as refused:
        do_send_referral(world.alice, referral)
    assert "not a HIPAA covered entity" in refused.value.errors["consent"]
    referral.refresh_from_db()
    assert (
        referral.status == ReferralStatus.DRAFT and not PartnerLink.objects.filter(referral=referral).exists()
    )
    # A consent naming another organisation does not cover it either.
    other = Consent.objects.create(
        patient=world.paula,
        consent_type=ConsentType.SHARING,
        given_on=clock.today(),
        recipient="Valley Home Partners (fictional)",
        recorded_by=world.alice,
    )
    with pytest.raises(ActionRefused, match="does not cover"):
        do_send_referral(world.alice, referral, consent=other)


def test_sending_records_the_consent_and_emails_the_link(
    world: World, referring: Referring, queue_now: None, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        referral, token = _sent(world, referring)
    assert referral.status == ReferralStatus.SENT and referral.sent_at == referral.status_changed_at
    consent = referral.consent
    assert consent is not None and consent.consent_type == ConsentType.SHARING
    assert consent.recipient == referring.pantry.provider.name
    (email,) = mail.outbox
    assert email.to == [PANTRY_EMAIL] and "Paula" not in email.body  # nothing about the patient
    assert f"/partner/referrals/{referral.pk}/{token}/" in email.body
    (event,) = referral.events.all()
    assert (event.from_status, event.to_status, event.user, event.actor) == (
        "draft",
        "sent",
        world.alice,
        "staff",
    )


def test_the_partner_answers_through_its_link_once_and_gets_the_next(
    world: World, referring: Referring, client
) -> None:
    referral, token = _sent(world, referring)
    url = reverse("referrals:partner_link", args=[referral.pk, token])
    page = _text(client.get(url))
    # Minimum necessary: the name, the need, and what was ticked (contact and reason), not the birth date.
    assert "Paula Reyes" in page and "555-0100" in page and "diabetic diet" in page
    assert "1956" not in page
    assert AuditEvent.objects.filter(
        action=AuditAction.READ, object_type="Referral", username="partner link"
    ).exists()
    answered = client.post(url, {"status": "accepted", "note": "We will call her Monday."})
    assert answered.status_code == 200
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    event = referral.events.last()
    assert event is not None and event.actor == Actor.PARTNER_LINK and event.user is None
    next_link = re.search(r"data-next-link>([^<]+)<", answered.content.decode())
    assert next_link is not None
    # The link is spent: the same answer again is refused, and audited.
    again = client.post(url, {"status": "scheduled", "proposed_at": "2099-01-05T10:00"})
    assert again.status_code == 410
    assert AuditEvent.objects.filter(
        action=AuditAction.REFUSED, detail__contains="link already used"
    ).exists()
    # The new link books the date.
    booked = client.post(
        next_link.group(1).split("care.example.org")[-1].replace("http://testserver", ""), {}
    )
    assert booked.status_code in (200, 400)


@pytest.mark.parametrize("wrong", ["tampered", "another", "expired"])
def test_a_link_that_does_not_fit_is_refused_and_audited(
    world: World, referring: Referring, wrong: str
) -> None:
    referral, token = _sent(world, referring)
    other, other_token = _sent(world, referring)
    if wrong == "tampered":
        args, when = (referral.pk, token[:-2] + ("AA" if not token.endswith("AA") else "BB")), clock.now()
    elif wrong == "another":
        args, when = (referral.pk, other_token), clock.now()
    else:
        args, when = (referral.pk, token), clock.now() + dt.timedelta(days=15)
    with time_machine.travel(when, tick=False), pytest.raises(LinkRefused):
        do_answer_by_link(*args, ReferralStatus.ACCEPTED)
    referral.refresh_from_db()
    other.refresh_from_db()
    assert referral.status == other.status == ReferralStatus.SENT
    assert AuditEvent.objects.filter(action=AuditAction.REFUSED, object_type="PartnerLink").count() == 1


def test_too_many_refusals_from_one_address_shut_it_out(world: World, referring: Referring, settings) -> None:
    settings.PARTNER_LINK_REFUSALS = 3
    referral, token = _sent(world, referring)
    with audit_context(AuditContext(client_address="198.51.100.7")):
        for _ in range(3):
            with pytest.raises(LinkRefused):
                do_answer_by_link(referral.pk, "x" * 43, ReferralStatus.ACCEPTED)
        with pytest.raises(LinkRefused) as refused:  # even the right link, from that address
            do_answer_by_link(referral.pk, token, ReferralStatus.ACCEPTED)
    assert refused.value.status == 429
    # From another address the right link still works.
    with audit_context(AuditContext(client_address="198.51.100.8")):
        do_answer_by_link(referral.pk, token, ReferralStatus.ACCEPTED)


def test_a_decline_comes_back_onto_the_worklist_goal_and_barrier(world: World, referring: Referring) -> None:
    referral, token = _sent(world, referring)
    do_answer_by_link(
        referral.pk,
        token,
        ReferralStatus.DECLINED,
        decline_reason=DeclineReason.CAPACITY,
        note="Full until January.",
    )
    rows = [i for i in build_worklist(world.alice, today=clock.today()).items if i.kind == "referral"]
    (row,) = rows
    assert row.reason == (
        "Referral to Weekly food pantry at Riverside Harvest Table (fictional) declined: no capacity. "
        "Full until January."
    )
    assert row.link == reverse("referrals:detail", args=[referral.pk])
    referral.refresh_from_db()
    do_acknowledge(world.alice, referral, note="Will try the meals program.", resolve_barrier=False)
    progress = GoalProgress.objects.get(goal=referring.goal)
    assert progress.note == (
        "Referral to Weekly food pantry at Riverside Harvest Table (fictional) declined: no capacity. "
        "Full until January. Will try the meals program."
    )
    barrier = Barrier.objects.get(pk=referring.barrier.pk)
    assert "declined: no capacity" in barrier.response and not barrier.resolved
    assert not [i for i in build_worklist(world.alice, today=clock.today()).items if i.kind == "referral"]


def test_no_answer_after_the_business_days_is_work(world: World, referring: Referring) -> None:
    _sent(world, referring)
    # A week on (at least three business days whatever the weekday and holidays), nobody answered.
    with time_machine.travel(clock.now() + dt.timedelta(days=8), tick=False):
        (row,) = [i for i in build_worklist(world.alice, today=clock.today()).items if i.kind == "referral"]
    assert row.reason.startswith("No answer from Weekly food pantry") and row.overdue
    assert row.link_label == "Open referral"


def test_strangers_see_nothing_and_partners_only_their_own(world: World, referring: Referring, login) -> None:
    referral, _ = _sent(world, referring)
    counselling = do_create_referral(
        world.alice, world.paula, need="behavioural-health", reason="Low mood", service=referring.counselling
    )
    do_send_referral(
        world.alice, counselling, record_consent={"method": "written", "given_on": clock.today()}
    )
    detail = reverse("referrals:detail", args=[referral.pk])
    assert login(world.charlie).get(detail).status_code == 404  # another organisation
    assert login(world.bob).get(detail).status_code == 404  # no relationship with Paula
    partner = login(referring.partner)
    home = _text(partner.get(reverse("referrals:partner_home")))
    assert "Paula Reyes" in home and "Weekly food pantry" in home and "Counselling" not in home
    assert partner.get(reverse("referrals:partner_detail", args=[counselling.pk])).status_code == 404
    assert partner.get(detail).status_code == 403  # no staff page for a partner
    assert partner.get(reverse("patients:chart", args=[world.paula.pk])).status_code == 403
    answered = partner.post(reverse("referrals:partner_detail", args=[referral.pk]), {"status": "received"})
    assert answered.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.events.last().actor == Actor.PARTNER_LOGIN  # type: ignore[union-attr]


def test_a_substance_use_referral_is_part_2(world: World, referring: Referring, login) -> None:
    referral = do_create_referral(
        world.alice,
        world.paula,
        need="substance-use",
        reason="Wants help to stop drinking",
        service=referring.recovery,
    )
    assert referral.sensitivity == "part2"
    with pytest.raises(ActionRefused, match="Part 2 consent"):
        do_send_referral(world.alice, referral)
    # Dana is on Paula's care team but no Part 2 consent names her: the referral is not hers to read.
    assert login(world.dana).get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    chart = _text(login(world.alice).get(reverse("referrals:patient", args=[world.paula.pk])))
    assert "Outpatient recovery program" in chart


def test_the_staff_pages_make_and_send_a_referral(world: World, referring: Referring, login) -> None:
    client = login(world.alice)
    new = reverse("referrals:new", args=[world.paula.pk])
    start = _text(client.get(new, {"service": referring.pantry.pk, "barrier": referring.barrier.pk}))
    assert "Weekly food pantry" in start and "Money runs out before payday" in start
    empty = client.post(f"{new}?service={referring.pantry.pk}", {"service": referring.pantry.pk})
    assert empty.status_code == 400 and "Say why you are referring" in _text(empty)
    made = client.post(
        f"{new}?service={referring.pantry.pk}&barrier={referring.barrier.pk}",
        {"service": referring.pantry.pk, "need": "food", "reason": "Food help", "urgency": "routine"},
    )
    assert made.status_code == 302
    referral = Referral.objects.latest("pk")
    assert referral.barrier == referring.barrier and referral.origin == Origin.BARRIER
    send = reverse("referrals:send", args=[referral.pk])
    refused = client.post(send, {"method": "verbal"})
    assert refused.status_code == 400 and "not a HIPAA covered entity" in _text(refused)
    sent = client.post(
        send, {"record_consent": "on", "method": "verbal", "given_on": clock.today().isoformat()}
    )
    assert sent.status_code == 200 and "data-partner-link" in sent.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def test_the_lists_cost_the_same_for_one_referral_or_five(
    world: World, referring: Referring, login, django_assert_max_num_queries
) -> None:
    """The patient's referrals and the partner's list: one query for the rows, whatever their number."""
    staff, partner = login(world.alice), log_in(Client(), referring.partner)
    staff_counts, partner_counts = [], []
    for _ in range(5):
        _sent(world, referring)
        # Session, user, second factor, organisation, the patient and the policy's answers, the chart header,
        # the referrals (one query), the audit of the reads in one batch.
        with django_assert_max_num_queries(20) as queries:
            assert staff.get(reverse("referrals:patient", args=[world.paula.pk])).status_code == 200
        staff_counts.append(len(queries.captured_queries))
        # Session, user, second factor, the partner's account, the referrals (one query), one audit batch.
        with django_assert_max_num_queries(15) as queries:
            assert partner.get(reverse("referrals:partner_home")).status_code == 200
        partner_counts.append(len(queries.captured_queries))
    assert len(set(staff_counts)) == 1 and len(set(partner_counts)) == 1, (staff_counts, partner_counts)


def test_the_referral_page_reads_a_fixed_number_of_queries(
    world: World, referring: Referring, login, django_assert_max_num_queries
) -> None:
    referral, token = _sent(world, referring)
    do_answer_by_link(referral.pk, token, ReferralStatus.ACCEPTED)
    client = login(world.alice)
    with django_assert_max_num_queries(40):
        assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200


def test_the_patient_sees_their_referrals_in_spanish(world: World, referring: Referring, login) -> None:
    referral, token = _sent(world, referring)
    do_answer_by_link(referral.pk, token, ReferralStatus.ACCEPTED)
    # A substance use referral is not shown in the portal (a proxy may be reading).
    do_create_referral(
        world.alice, world.paula, need="substance-use", reason="Drinking", service=referring.recovery
    )
    paula = do_create_user("paula.reyes", Role.PATIENT, world.riverside, PASSWORD)
    do_link_portal_user(world.adam, world.paula, paula)
    page = _text(login(paula).get(reverse("portal:referrals")))
    assert "Lugares a los que su equipo de atención le refirió" in page
    assert "Riverside Harvest Table (fictional)" in page and "214 Maple Avenue" in page
    assert "Dijeron que sí y se pondrán en contacto con usted" in page
    assert "Qué traer o hacer: Walk in" in page  # the service's own instructions, as the directory has them
    assert "Clear Path" not in page


def test_a_referral_starts_from_a_finding_on_the_chart(world: World, referring: Referring, login) -> None:
    # The Hunger Vital Sign positive (clinical.md §3.3): a food finding, with its link on the chart.
    record(world.alice, world.paula, "hunger-vital-sign", {"hvs-1": ["LA28397-0"], "hvs-2": ["LA28398-8"]})
    finding = Finding.objects.get(patient=world.paula, domain="food-insecurity")
    client = login(world.alice)
    chart = client.get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    new = reverse("referrals:new", args=[world.paula.pk])
    assert f"{new}?finding={finding.pk}" in chart
    start = _text(client.get(new, {"finding": finding.pk}))
    assert '<option value="food" selected>' in start and "Food insecurity" in start
    # Through the directory and back, the referral keeps where it started.
    search = _text(
        client.get(
            reverse("directory:patient_search", args=[world.paula.pk]),
            {"needs": "food", "finding": finding.pk},
        )
    )
    assert f"service={referring.pantry.pk}&amp;need=food&amp;finding={finding.pk}" in search
    # Another patient's finding, or one that does not exist, is not found.
    assert client.get(new, {"finding": finding.pk + 1000}).status_code == 404


def test_a_part_2_disclosure_is_recorded_only_by_and_shown_only_to_those_who_may_read_part_2(
    world: World, login
) -> None:
    from careconductor.privacy.actions import do_record_disclosure
    from careconductor.privacy.choices import Sensitivity

    with pytest.raises(
        ActionRefused, match="Part 2"
    ):  # the administrator may change the record, not read Part 2
        do_record_disclosure(
            world.adam,
            world.paula,
            disclosed_on=clock.today(),
            recipient_name="Clear Path Recovery",
            description="Referral letter",
            purpose="Treatment",
            sensitivity=Sensitivity.PART2,
        )
    do_record_disclosure(
        world.alice,
        world.paula,
        disclosed_on=clock.today(),
        recipient_name="Clear Path Recovery",
        description="Referral letter",
        purpose="Treatment",
        sensitivity=Sensitivity.PART2,
    )
    chart = reverse("patients:chart", args=[world.paula.pk])
    assert "Clear Path Recovery" in login(world.alice).get(chart).content.decode()
    assert "Clear Path Recovery" not in login(world.dana).get(chart).content.decode()


def test_a_scheduled_referral_is_booked_in_the_patients_appointments(
    world: World, referring: Referring, login
) -> None:
    referral, token = _sent(world, referring)
    referral, token = do_answer_by_link(referral.pk, token, ReferralStatus.ACCEPTED)
    when = (clock.now() + dt.timedelta(days=5)).replace(hour=14, minute=30, second=0, microsecond=0)
    do_answer_by_link(referral.pk, token, ReferralStatus.SCHEDULED, proposed_at=when)
    client = login(world.alice)
    page = _text(client.get(reverse("referrals:detail", args=[referral.pk])))
    booking = f"{reverse('appointments:list', args=[world.paula.pk])}?referral={referral.pk}"
    assert booking in page and "(proposed by them)" in page
    form = _text(client.get(booking))
    local = timezone.localtime(when)
    assert f'value="{local:%Y-%m-%dT%H:%M}"' in form
    assert 'value="Food: Weekly food pantry at Riverside Harvest Table (fictional)"' in form
    assert 'value="214 Maple Avenue, Riverside"' in form
    assert f'<option value="{referral.pk}" selected>' in form
