"""Outreach campaigns (issue 22): from a registry to the members themselves. The rules as tables and a hypothesis
walk through the answers; a call campaign the team works from its call list, a letter campaign's letters in each
member's language and its print run, a text campaign sent by the worker; who is left out and why; the referral of
those who said yes; who sees a campaign (the population roles, the team that works it, no one else); the pages,
their refusals beside the fields, their audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.core import sms
from careconductor.core.errors import ActionRefused
from careconductor.letters.models import Letter
from careconductor.patients.models import Patient
from careconductor.population import campaign_rules as rules
from careconductor.population.campaigns import (
    do_close_campaign,
    do_record_answer,
    do_refer_interested,
    do_start_campaign,
)
from careconductor.population.models import Campaign, CampaignMember, Registry, RegistryReferral
from careconductor.population.registry_actions import do_create_registry
from careconductor.population.stratify import do_stratify
from careconductor.privacy import policy
from careconductor.privacy.models import AuditEvent
from tests.personas import World, make_staff

from .test_registries import heart_failure

S = rules.Standing


@pytest.mark.parametrize(
    ("now", "response", "channel", "after"),
    [
        (S("waiting", 0), "interested", "call", S("interested", 0)),
        (S("waiting", 0), "no-answer", "call", S("no-answer", 1)),
        (S("no-answer", 2), "no-answer", "call", S("not-reached", 3)),  # the third unanswered call ends it
        (S("no-answer", 2), "declined", "call", S("declined", 2)),
        (S("waiting", 0), "opted-out", "letter", S("opted-out", 0)),
        (S("interested", 0), "declined", "call", S("declined", 0)),  # changed their mind before the referral
        (S("waiting", 0), "wrong-number", "sms", S("wrong-number", 0)),
    ],
)  # fmt: skip
def test_what_an_answer_does(now: rules.Standing, response: str, channel: str, after: rules.Standing) -> None:
    assert rules.after_answer(now, response, channel) == after


@pytest.mark.parametrize(
    ("now", "response", "channel", "says"),
    [
        (S("declined", 0), "interested", "call", "recorded already"),
        (S("referred", 0), "declined", "call", "recorded already"),
        (S("not-reached", 3), "no-answer", "call", "recorded already"),
        (S("waiting", 0), "no-answer", "letter", "for calls"),
        (S("interested", 0), "no-answer", "call", "said yes already"),
        (S("waiting", 0), "maybe", "call", "Choose one of"),
    ],
)  # fmt: skip
def test_answers_that_cannot_be_recorded(now: rules.Standing, response: str, channel: str, says: str) -> None:
    with pytest.raises(rules.AnswerRefused, match=says):
        rules.after_answer(now, response, channel)


C = rules.Candidate


@pytest.mark.parametrize(
    ("candidate", "channel", "why"),
    [
        (C(False, False, False, "555-0100", "1 Main St"), "call", ""),
        (C(True, False, False, "555-0100", "1 Main St"), "call", "already has an open case in our chronic care program"),
        (C(False, True, False, "555-0100", "1 Main St"), "letter", "asked not to be contacted"),
        (C(False, False, True, "555-0100", "1 Main St"), "sms", "waits in another campaign"),
        (C(False, False, False, "", "1 Main St"), "sms", "no phone number on record"),
        (C(False, False, False, "", "1 Main St"), "letter", ""),
        (C(False, False, False, "555-0100", ""), "letter", "no postal address on record"),
    ],
)  # fmt: skip
def test_who_is_left_out_and_why(candidate: rules.Candidate, channel: str, why: str) -> None:
    assert rules.left_out_because(candidate, channel, "our chronic care program") == why


def test_the_text_invitation_is_in_the_members_language_and_says_how_to_stop() -> None:
    words = {"organisation": "Riverside Health", "first_name": "Ana", "phone": "555-0199", "program": "ccm"}
    english, spanish = rules.invitation_text("en", **words), rules.invitation_text("es", **words)
    assert "our chronic care program" in english and "555-0199" in english and "Reply STOP" in english
    assert "nuestro programa de cuidado" in spanish and "Responda STOP" in spanish
    assert rules.invitation_text("vi", **words) == english  # not written in Vietnamese yet: English
    assert len(english) <= 320 and len(spanish) <= 320  # two text-message segments at most


@given(
    channel=st.sampled_from(["call", "letter", "sms"]),
    answers=st.lists(st.sampled_from([*rules.RESPONSES, "referred", "maybe"]), max_size=8),
)
def test_a_walk_through_answers_keeps_the_rules(channel: str, answers: list[str]) -> None:
    """Whatever is recorded in whatever order: calls stop at MAX_CALLS, an ended standing takes no answer, and
    no-answer is only ever a call's."""
    now = S(rules.WAITING, 0)
    for response in answers:
        try:
            after = rules.after_answer(now, response, channel)
        except rules.AnswerRefused:
            assert (
                now.status not in rules.ANSWERABLE
                or response not in rules.RESPONSES
                or (response == rules.NO_ANSWER and (channel != "call" or now.status == rules.INTERESTED))
            )
            continue
        assert now.status in rules.ANSWERABLE and after.status in rules.STATUSES
        assert after.attempts <= rules.MAX_CALLS and (after.status == rules.NOT_REACHED) == (
            after.attempts == rules.MAX_CALLS
        )
        assert channel == "call" or after.attempts == 0
        now = after


# --- on the database ----------------------------------------------------------------------------------------------


@pytest.fixture
def petra(world: World) -> User:
    """A population health analyst of Riverside."""
    return make_staff("petra", Role.POPULATION_HEALTH, world.riverside)


@pytest.fixture
def registry(world: World, petra: User) -> Registry:
    """Four members with heart failure and two admissions: Ana (Spanish, a phone and an address), Ben (a phone,
    no address), Cleo (no phone), Dev (already in chronic care management)."""
    ana = heart_failure(world, "Ana", 2)
    Patient.objects.filter(pk=ana.pk).update(
        preferred_language="es", phone="555-0101", address_line="12 Oak St", city="Riverside", state="OR",
        postal_code="97501",
    )  # fmt: skip
    ben = heart_failure(world, "Ben", 2)
    Patient.objects.filter(pk=ben.pk).update(phone="555-0102")
    heart_failure(world, "Cleo", 2)
    dev = heart_failure(world, "Dev", 2)
    Patient.objects.filter(pk=dev.pk).update(phone="555-0104")
    Case.objects.create(
        organization=world.riverside, patient=dev, program=Program.CCM, status="active",
        referral_source=ReferralSource.PCP, referral_reason="PCP", referred_at=dev.created_at, team=world.north,
    )  # fmt: skip
    do_stratify(world.adam)
    return do_create_registry(petra, name="Heart failure", rule="heart_failure AND admissions >= 2")


def members(registry: Registry) -> dict[str, int]:
    return {p.given_name: p.pk for p in Patient.objects.filter(given_name__in=["Ana", "Ben", "Cleo", "Dev"])}


def start(petra: User, registry: Registry, channel: str, team: Team | None, **kwargs: Any) -> Any:
    return do_start_campaign(
        petra, registry, list(members(registry).values()), name=kwargs.get("name", f"HF {channel}"),
        channel=channel, program=Program.CCM, team=team,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_call_campaign_is_worked_by_its_team_and_those_who_say_yes_are_referred(
    world: World,
    petra: User,
    registry: Registry,
) -> None:
    started = start(petra, registry, "call", world.north)
    campaign = started.campaign
    skipped = {p.given_name: why for p, why in started.skipped}
    assert skipped == {
        "Cleo": "no phone number on record",
        "Dev": "already has an open case in our chronic care program",
    }
    invited = {
        m.patient.given_name: m
        for m in CampaignMember.objects.filter(campaign=campaign).select_related("patient")
    }
    assert set(invited) == {"Ana", "Ben"} and {m.status for m in invited.values()} == {"waiting"}
    assert AuditEvent.objects.filter(object_type="CampaignMember", action="create").count() == 2
    # The team works it: Bob (North, no relationship with either) sees their phone numbers and why, not the chart.
    bob = world.bob
    assert set(policy.campaign_rows(bob, "campaign_members").values_list("patient_id", flat=True)) == {
        m.patient_id for m in invited.values()
    }
    assert not policy.can(bob, policy.Action.VIEW, invited["Ana"].patient)
    for _ in range(3):
        answered = do_record_answer(bob, invited["Ben"].pk, "no-answer", "Left a message")
    assert (answered.status, answered.attempts, answered.answered_by) == ("not-reached", 3, bob)
    with pytest.raises(ActionRefused, match="recorded already"):
        do_record_answer(bob, invited["Ben"].pk, "interested")
    do_record_answer(bob, invited["Ana"].pk, "interested", "Prefers calls after 4 pm, in Spanish")
    # Someone outside the team (Charlie, Lakeside) or a case manager of no team sees nothing and records nothing.
    assert not policy.campaign_rows(world.charlie, "campaign_members").exists()
    with pytest.raises(ActionRefused):
        do_record_answer(world.charlie, invited["Ana"].pk, "declined")
    # Only the population roles refer; a case in intake counted back to the registry.
    with pytest.raises(PermissionError):
        do_refer_interested(bob, campaign)
    referred = do_refer_interested(petra, campaign)
    (case,) = referred.cases
    assert case.patient.given_name == "Ana" and case.referral_source == ReferralSource.RISK_LIST
    assert (
        "outreach campaign “HF call”" in case.referral_reason
        and "2 hospital admissions" in case.referral_reason
    )
    assert RegistryReferral.objects.filter(registry=registry, case=case).exists()
    assert CampaignMember.objects.get(pk=invited["Ana"].pk).status == "referred"
    with pytest.raises(ActionRefused, match="No one"):
        do_refer_interested(petra, campaign)
    # Waiting in an open campaign, Ana and Ben are not invited again; once it is closed they may be.
    do_close_campaign(petra, campaign)
    with pytest.raises(ActionRefused, match="closed"):
        do_record_answer(bob, invited["Ana"].pk, "declined")


@pytest.mark.django_db
def test_members_who_opted_out_are_never_invited_again(world: World, petra: User, registry: Registry) -> None:
    first = start(petra, registry, "call", world.north).campaign
    for member in CampaignMember.objects.filter(campaign=first):
        do_record_answer(petra, member.pk, "opted-out")
    with pytest.raises(ActionRefused, match="asked not to be contacted"):
        start(petra, registry, "sms", None, name="Again")
    assert Campaign.objects.count() == 1  # all or nothing


@pytest.mark.django_db
def test_a_letter_campaign_writes_each_letter_in_the_members_language_and_prints_them(
    world: World,
    petra: User,
    registry: Registry,
    login,
) -> None:
    started = start(petra, registry, "letter", None)
    assert {p.given_name for p, _ in started.skipped} == {"Ben", "Cleo", "Dev"}  # no address; Dev has a case
    (letter,) = Letter.objects.filter(kind="invitation")
    assert (letter.language, letter.patient.given_name, letter.sent_by) == ("es", "Ana", petra)
    assert "nuestro programa de cuidado" in letter.subject and "12 Oak St" in letter.recipient_address
    assert CampaignMember.objects.get(letter=letter).sent_at is not None
    client = login(petra)
    pdf = client.get(reverse("population:campaign_letters", args=[started.campaign.pk]))
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and pdf["Content-Type"] == "application/pdf"
    )
    assert AuditEvent.objects.filter(
        user=petra, action="read", object_type="Letter", patient=letter.patient
    ).exists()
    # Not the case manager's chart letters: an invitation goes out from a campaign only.
    assert (
        login(world.bob).get(reverse("population:campaign_letters", args=[started.campaign.pk])).status_code
        == 403
    )


@pytest.mark.django_db
def test_a_text_campaign_is_sent_by_the_worker_after_it_is_saved(
    world: World,
    petra: User,
    registry: Registry,
    settings,
    worker_now,
    django_capture_on_commit_callbacks,
) -> None:
    settings.SMS_BACKEND = "careconductor.core.sms.LocmemBackend"
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        campaign = start(petra, registry, "sms", None).campaign
    sent = sorted((m.to, m.body[:40]) for m in sms.outbox)
    assert [to for to, _ in sent] == ["555-0101", "555-0102"]
    assert "Hola, Ana" in next(m.body for m in sms.outbox if m.to == "555-0101")
    assert not CampaignMember.objects.filter(campaign=campaign, sent_at=None).exists()
    assert AuditEvent.objects.filter(object_type="CampaignText", user=petra).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"campaign_name": ""}, "campaign_name", "Name the campaign"),
        ({"channel": ""}, "channel", "Choose how to reach them"),
        ({"team": ""}, "team", "Choose the team that makes the calls"),
        ({"members": [], "everyone": ""}, "members", "Choose the members to invite"),
    ],
)
def test_a_campaign_that_cannot_start_says_why_beside_the_field(
    world: World,
    petra: User,
    registry: Registry,
    login,
    change: dict[str, Any],
    field: str,
    says: str,
) -> None:
    client = login(petra)
    data = {"members": list(map(str, members(registry).values())), "program": Program.CCM, "team": world.north.pk,
            "campaign_name": "HF calls", "channel": "call", **change}  # fmt: skip
    refused = client.post(reverse("population:start_campaign", args=[registry.pk]), data)
    body = refused.content.decode()
    assert refused.status_code == 400 and says in body and f'id="id_{field}_error"' in body
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_the_campaign_pages(
    world: World,
    petra: User,
    registry: Registry,
    login,
    django_assert_max_num_queries,
) -> None:
    client = login(petra)
    done = client.post(
        reverse("population:start_campaign", args=[registry.pk]),
        {"everyone": "on", "program": Program.CCM, "team": world.north.pk, "campaign_name": "HF calls",
         "channel": "call"},
    )  # fmt: skip
    campaign = Campaign.objects.get()
    assert done["Location"] == reverse("population:campaign", args=[campaign.pk])
    page = client.get(done["Location"])
    body = page.content.decode()
    assert "not invited: " in body and "Cleo Member (no phone number on record)" in body
    assert "Ana Member" in body and "555-0101" in body and "2 hospital admissions in 12 months" in body
    assert "<meter" in body and "HF calls" in client.get(reverse("population:home")).content.decode()
    # Bob works the call list from the same page; he answers for the team.
    bob = login(world.bob)
    with django_assert_max_num_queries(22):
        listed = bob.get(reverse("population:campaign", args=[campaign.pk]))
    assert listed.status_code == 200 and "555-0102" in listed.content.decode()
    worklist = bob.get("/worklist/").content.decode()
    assert "Outreach calls for your team" in worklist and "HF calls</a> (2 to call)" in worklist
    assert "Refer the" not in listed.content.decode()  # referral is the analyst's
    ana = CampaignMember.objects.get(campaign=campaign, patient__given_name="Ana")
    url = reverse("population:answer", args=[campaign.pk, ana.pk])
    bad = bob.post(url, {f"m{ana.pk}-response": ""})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()
    said = bob.post(url, {f"m{ana.pk}-response": "interested", f"m{ana.pk}-note": "Call back in Spanish"})
    assert said.status_code == 302 and CampaignMember.objects.get(pk=ana.pk).status == "interested"
    assert AuditEvent.objects.filter(user=world.bob, action="read", object_type="CampaignMember").exists()
    # Outsiders: another organisation's staff and staff of no team of the campaign do not find it.
    for outsider in (world.charlie, world.uma):
        assert login(outsider).get(reverse("population:campaign", args=[campaign.pk])).status_code in (
            403,
            404,
        )
    client = login(petra)  # one browser: log in as the analyst again
    referred = client.post(reverse("population:refer_interested", args=[campaign.pk]), follow=True)
    assert "1 referred into intake" in referred.content.decode()
    closed = client.post(reverse("population:close_campaign", args=[campaign.pk]), follow=True)
    assert "closed" in closed.content.decode() and Campaign.objects.get().closed_at is not None
    assert (
        client.get(
            reverse("population:campaign", args=[campaign.pk]), {"status": "٣", "page": "²"}
        ).status_code
        == 200
    )
