"""Outreach campaigns (issue 22): from a registry to the members themselves. A population health analyst (or an
administrator) invites the chosen members, or every current one, to a programme by one channel:

- calls: the campaign's call list, worked by the team named on it (its members see the list, the members' phone
  numbers and why they were chosen, and record what each said; policy.campaign_rows);
- letters: an invitation letter per member in their language, kept with the letters and printed as one PDF;
- texts: an invitation by text message in their language, sent by the worker after the campaign is saved.

Members with an open case in the programme, who asked an earlier campaign not to be contacted, who wait in
another open campaign, or whom the channel cannot reach (no phone, no address) are left out and named.
Answers follow campaign_rules; those who said yes are referred into the programme's intake in one step, each
case counted back to the registry (RegistryReferral), so the outcomes page sees them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction

from careconductor.accounts.models import Team, User
from careconductor.cases.actions import do_refer_case
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.core import clock, sms
from careconductor.core.errors import ActionRefused
from careconductor.letters.drafting import patient_address
from careconductor.letters.invitations import do_write_invitations
from careconductor.letters.rules import PROGRAM_WORDS, words_for
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import campaign_rules as rules
from .models import Campaign, CampaignMember, Registry, RegistryReferral
from .registry_actions import Referred, registry_reason

logger = logging.getLogger(__name__)
MAX_NAME = 120
MAX_NOTE = 300


@dataclass
class Started:
    campaign: Campaign
    skipped: list[tuple[Patient, str]] = field(default_factory=list)


def _require_population_role(user: User, what: str) -> None:
    policy.population_rows(user, "registries")  # refuses anyone outside the population roles
    if user.role not in policy.POPULATION_ROLES:  # the policy's own refusal, for mypy's sake
        raise PermissionError(what)


def _checked_name(user: User, name: str) -> str:
    name = name.strip()
    if not name:
        raise ActionRefused({"campaign_name": "Name the campaign, e.g. “Diabetes check-in calls, spring”."})
    if len(name) > MAX_NAME:
        raise ActionRefused(
            {"campaign_name": f"Keep the name to {MAX_NAME} characters (it has {len(name)})."}
        )
    if policy.campaign_rows(user, "campaigns").filter(name__iexact=name).exists():
        raise ActionRefused({"campaign_name": f"Your organisation already has a campaign called “{name}”."})
    return name


def do_start_campaign(
    user: User,
    registry: Registry,
    patient_ids: list[int],
    *,
    name: str,
    channel: str,
    program: str,
    team: Team | None = None,
) -> Started:
    """Invite the chosen current members of the registry. All or nothing; one audit event for the campaign and
    one per member invited (one batch)."""
    _require_population_role(user, "Only population health analysts and administrators start campaigns.")
    if not policy.population_rows(user, "registries").filter(pk=registry.pk).exists():
        raise ActionRefused("This registry is not one of your organisation's.")
    name = _checked_name(user, name)
    errors = {}
    if channel not in Campaign.Channel.values:
        errors["channel"] = "Choose how to reach them: calls, letters or texts."
    if program not in Program.values:
        errors["program"] = "Choose the programme they are invited to."
    if team is not None and team.organization_id != user.organization_id:
        errors["team"] = "Choose one of your organisation's teams."
    elif team is None and channel == Campaign.Channel.CALL:
        errors["team"] = "Choose the team that makes the calls."
    chosen = sorted(set(patient_ids))
    if not chosen:
        errors["members"] = "Choose the members to invite."
    elif len(chosen) > rules.MAX_MEMBERS:
        errors["members"] = (
            f"Invite at most {rules.MAX_MEMBERS:,} members at a time (you chose {len(chosen):,})."
        )
    if errors:
        raise ActionRefused(errors)
    stays = policy.population_rows(user, "stays").filter(
        registry=registry, left_on=None, patient_id__in=chosen
    )
    members = {p.pk: p for p in Patient.objects.filter(pk__in=stays.values("patient_id")).order_by("pk")}
    if len(members) != len(chosen):
        raise ActionRefused(
            {"members": "Some of the chosen people are not in this registry now: run it again."}
        )
    invited, skipped = _who_is_invited(user, members, channel, program)
    if not invited:
        raise ActionRefused(
            {"members": "None of the chosen members can be invited: "
             + "; ".join(f"{p.full_name} ({why})" for p, why in skipped[:10])}
        )  # fmt: skip
    now = clock.now()
    with transaction.atomic(), audit.batched():
        campaign = Campaign.objects.create(
            organization_id=registry.organization_id, registry=registry, name=name, channel=channel, program=program,
            team=team, created_by=user, created_at=now,
        )  # fmt: skip
        letters = (
            do_write_invitations(user, registry.organization, invited, program=program)
            if channel == Campaign.Channel.LETTER
            else {}
        )
        rows = CampaignMember.objects.bulk_create(
            CampaignMember(
                campaign=campaign,
                patient=p,
                status=rules.WAITING,
                letter=letters.get(p.pk),
                sent_at=now if p.pk in letters else None,
            )
            for p in invited
        )
        audit.record(
            user, AuditAction.CREATE, object_type="Campaign", object_id=str(campaign.pk),
            detail=f"{name}: {len(rows)} members invited by {Campaign.Channel(channel).label.lower()}",
        )  # fmt: skip
        for patient in invited:
            audit.record(user, AuditAction.CREATE, patient=patient, object_type="CampaignMember", detail=name)
        if channel == Campaign.Channel.SMS:
            from .tasks import send_campaign_texts  # the worker's module imports this one

            transaction.on_commit(lambda: send_campaign_texts(campaign.pk))
    return Started(campaign, skipped)


def _who_is_invited(
    user: User, members: dict[int, Patient], channel: str, program: str
) -> tuple[list[Patient], list[tuple[Patient, str]]]:
    ids = list(members)
    with_case = set(
        Case.objects.open().filter(patient_id__in=ids, program=program).values_list("patient_id", flat=True)
    )
    earlier = policy.campaign_rows(user, "campaign_members").filter(patient_id__in=ids)
    opted_out = set(earlier.filter(status=rules.OPTED_OUT).values_list("patient_id", flat=True))
    waiting = set(
        earlier.filter(campaign__closed_at=None, status__in=rules.OPEN).values_list("patient_id", flat=True)
    )
    words = words_for(PROGRAM_WORDS, "en", program)
    invited, skipped = [], []
    for pid, patient in members.items():
        why = rules.left_out_because(
            rules.Candidate(
                has_open_case=pid in with_case,
                opted_out=pid in opted_out,
                in_open_campaign=pid in waiting,
                phone=patient.phone,
                address=patient_address(patient),
            ),
            channel,
            words,
        )
        if why:
            skipped.append((patient, why))
        else:
            invited.append(patient)
    return invited, skipped


def send_texts(campaign_id: int) -> int:
    """Send the campaign's text invitations not sent yet (the worker's job, after the campaign is saved); each
    marked sent as it goes, so a retry after a failure sends only the rest. One audit event per text, in the
    name of whoever started the campaign."""
    campaign = Campaign.objects.select_related("organization", "created_by").get(pk=campaign_id)
    org = campaign.organization
    sent = 0
    waiting = (
        CampaignMember.objects.filter(campaign=campaign, sent_at=None, status=rules.WAITING)
        .select_related("patient")
        .order_by("pk")
    )
    for member in waiting:
        patient = member.patient
        text = rules.invitation_text(
            patient.preferred_language,
            organisation=org.name,
            first_name=patient.preferred_name or patient.given_name,
            phone=org.phone,
            program=campaign.program,
        )
        sms.send_sms(patient.phone, text)
        with transaction.atomic():
            CampaignMember.objects.filter(pk=member.pk).update(sent_at=clock.now())
            audit.record(
                campaign.created_by, AuditAction.CREATE, patient=patient, object_type="CampaignText",
                object_id=str(member.pk), detail=f"text invitation: {campaign.name}",
            )  # fmt: skip
        sent += 1
    return sent


def do_record_answer(user: User, member_id: int, response: str, note: str = "") -> CampaignMember:
    """What the member said (after a call, or when they called back), by someone who works the campaign."""
    with transaction.atomic():
        member = (
            policy.campaign_rows(user, "campaign_members")
            .select_for_update(of=("self",))
            .select_related("campaign", "patient")
            .filter(pk=member_id)
            .first()
        )
        if member is None:
            raise ActionRefused("This member is not in one of your campaigns.")
        if member.campaign.closed_at is not None:
            raise ActionRefused("The campaign is closed: its answers are kept as they were.")
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise ActionRefused({"note": f"Keep the note to {MAX_NOTE} characters (it has {len(note)})."})
        try:
            after = rules.after_answer(
                rules.Standing(member.status, member.attempts), response, member.campaign.channel
            )
        except rules.AnswerRefused as refused:
            raise ActionRefused({"response": str(refused)}) from None
        member.status, member.attempts = after.status, after.attempts
        member.answered_at, member.answered_by, member.note = clock.now(), user, note or member.note
        member.save(update_fields=["status", "attempts", "answered_at", "answered_by", "note"])
        audit.record(
            user, AuditAction.UPDATE, patient=member.patient, object_type="CampaignMember",
            object_id=str(member.pk), detail=f"{member.campaign.name}: {rules.RESPONSES[response]}",
        )  # fmt: skip
    return member


def do_refer_interested(
    user: User, campaign: Campaign, *, team: Team | None = None, only: list[int] | None = None
) -> Referred:
    """Refer the members who said yes (all of them, or `only` these campaign members) into the campaign's
    programme: a case in intake, referred by the risk stratification list, the campaign and the registry's
    reasons as the reason. Those with an open case in the programme by now are skipped and named. All or
    nothing."""
    _require_population_role(user, "Only population health analysts and administrators refer from campaigns.")
    rows = policy.campaign_rows(user, "campaign_members").filter(campaign=campaign, status=rules.INTERESTED)
    if only is not None:
        rows = rows.filter(pk__in=only)
    members = list(rows.select_related("patient", "campaign__registry").order_by("pk"))
    if not members:
        raise ActionRefused("No one in this campaign is waiting to be referred.")
    if len(members) > rules.MAX_MEMBERS:
        raise ActionRefused("Too many at once: refer from the registry in smaller groups.")
    ids = [m.patient_id for m in members]
    risks = {r.patient_id: r for r in policy.population_rows(user, "members").filter(patient_id__in=ids)}
    program = Program(campaign.program)
    with_case = set(
        Case.objects.open().filter(patient_id__in=ids, program=program).values_list("patient_id", flat=True)
    )
    result, now = Referred(), clock.now()
    registry = campaign.registry
    with transaction.atomic():
        for member in members:
            if member.patient_id in with_case:
                result.skipped.append((member.patient, f"already has an open case in {program.label}"))
                continue
            said = f"Said yes to the outreach campaign “{campaign.name}”"
            when = clock.localdate(member.answered_at) if member.answered_at else None
            reason = f"{said}{f' on {when:%d %b %Y}' if when else ''}. {registry_reason(registry, risks.get(member.patient_id))}"
            case = do_refer_case(
                user,
                member.patient,
                program=program,
                referral_source=ReferralSource.RISK_LIST,
                referral_reason=reason,
                team=team or campaign.team,
            )
            RegistryReferral.objects.create(registry=registry, case=case, referred_by=user, referred_at=now)
            member.status, member.case = rules.REFERRED, case
            member.save(update_fields=["status", "case"])
            result.cases.append(case)
    return result


def do_close_campaign(user: User, campaign: Campaign) -> Campaign:
    """End the campaign: no more answers; its members may be invited again by a later one."""
    _require_population_role(user, "Only population health analysts and administrators close campaigns.")
    if campaign.closed_at is not None:
        raise ActionRefused("The campaign is closed already.")
    with transaction.atomic():
        campaign.closed_at = clock.now()
        campaign.save(update_fields=["closed_at"])
        audit.record(
            user, AuditAction.UPDATE, object_type="Campaign", object_id=str(campaign.pk), detail="closed"
        )
    return campaign
