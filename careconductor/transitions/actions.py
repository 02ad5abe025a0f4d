"""Receiving ADT messages and applying them: the only code that changes feeds, hospital stays and messages.

`do_receive(raw)` is the one entry for the MLLP listener and the file drop: the message is kept raw with its
outcome in the same transaction as what it did, and the acknowledgement says which (docs/hl7v2.md):
  AA  applied, or held in the match queue (no patient, or more than one, matches: nothing applied until staff
      pick or create the patient, `do_resolve_match`);
  AE  read but not applied (a refused change, a cancel of a stay not known here), with the reason;
  AR  unreadable, or from a facility with no feed.
A message sent again (same feed, same MSH-10) gets the first answer again and changes nothing. What a message
does is applied in a savepoint: it is applied whole or not at all."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Q

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.zones import organisation_zone
from careconductor.fhir import versions
from careconductor.patients.actions import (
    PatientDetails,
    do_add_encounter,
    do_create_patient,
    do_update_encounter,
)
from careconductor.patients.choices import Sex
from careconductor.patients.models import Encounter, Patient, PatientIdentifier
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import hl7v2, pharmacy, results, rules, work
from .choices import ACK_CODES, Outcome
from .matching import HL7_SEXES, MATCHED_BY_MRN, find_patient
from .models import AdtMessage, Feed, HospitalVisit

logger = logging.getLogger(__name__)


class NotApplied(Exception):
    """A readable message that cannot be applied (answered AE with this reason)."""


@dataclass(frozen=True)
class Receipt:
    message: AdtMessage
    ack: str  # the acknowledgement to send back, unframed


def do_create_feed(
    user: User, *, name: str, sending_facility: str, mrn_authority: str = "", active: bool = True
) -> Feed:
    """Set up a hospital's feed, with its own account (no password, no log-in) that its changes are
    recorded under."""
    org_id = policy.require_admin(user, "Only an administrator sets up ADT feeds.")
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the hospital's name, as staff know it."
    facility = sending_facility.strip()
    if not facility or "|" in facility or "^" in facility:
        errors["sending_facility"] = "Give MSH-4 as the hospital sends it, e.g. STMARYS."
    elif Feed.objects.filter(sending_facility=facility).exists():
        errors["sending_facility"] = "A feed already receives messages from that facility."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        account = User.objects.create(
            username=f"adt-{facility.lower()}"[:150],
            password=make_password(secrets.token_urlsafe(32)),
            first_name=name.strip()[:150],
            last_name="(ADT feed)",
            role=Role.ADMIN,
            organization_id=org_id,
            is_system=True,
        )
        account.set_unusable_password()
        account.save(update_fields=["password"])
        feed = Feed.objects.create(
            organization_id=org_id,
            name=name.strip()[:200],
            sending_facility=facility[:100],
            mrn_authority=(mrn_authority.strip() or facility)[:100],
            account=account,
            active=active,
        )
        audit.record(user, AuditAction.CREATE, obj=feed, detail=f"ADT feed {facility}")
    return feed


def do_receive(raw: str, *, defer_work: bool = False) -> Receipt:
    """Keep, apply and acknowledge one message (see the module's docstring). With `defer_work` (the MLLP
    listener) a discharge's work is queued to run after the commit instead of in the message's transaction
    (`do_discharge_work`)."""
    now = clock.now()
    text = hl7v2.normalise(raw)
    try:
        event = hl7v2.parse(text)
    except hl7v2.Unreadable as exc:
        app, facility, trigger, control_id, version = hl7v2.header(text)
        feed = Feed.objects.filter(sending_facility=facility).first() if facility else None
        message = _keep_unapplied(text, now, feed, facility, control_id, trigger, Outcome.REJECTED, str(exc))
        return Receipt(message, _ack(message, app, facility, version, now))
    feed = (
        Feed.objects.select_related("account", "organization")
        .filter(sending_facility=event.sending_facility)
        .first()
    )
    if feed is None or not feed.active:
        why = f"No active feed receives messages from facility {event.sending_facility or '(blank)'}."
        # A paused feed's refusals stay its organisation's (the feeds page counts them); no feed: no one's.
        message = _keep_unapplied(text, now, feed, event.sending_facility, event.control_id, event.trigger,
                                  Outcome.REJECTED, why)  # fmt: skip
        return Receipt(
            message, _ack(message, event.sending_application, event.sending_facility, event.version, now)
        )
    try:
        # One message, one transaction: its audit events are chained in one append when it ends (audit.batched,
        # committed with it, so durable before the ACK) and the access decisions are taken once (the same
        # feed account and patient throughout; a relationship the message makes clears them, policy.forget).
        with (
            transaction.atomic(),
            organisation_zone(feed.organization.time_zone),
            audit.batched(),
            policy.deciding_once(),
        ):
            message = AdtMessage.objects.create(
                organization_id=feed.organization_id,
                feed=feed,
                sending_facility=feed.sending_facility,
                control_id=event.control_id,
                trigger=event.trigger,
                raw=text,
                received_at=now,
                outcome=Outcome.HELD,
                patient_key=rules.hospital_mrn(event, feed.mrn_authority),
            )
            _process(feed, message, event, defer_work)
            versions.keep_now()  # the FHIR versions of what it changed, in its transaction (one commit)
    except IntegrityError:
        # Sent again (or twice at once): the first one's answer, nothing changed.
        message = AdtMessage.objects.get(feed=feed, control_id=event.control_id)
    return Receipt(
        message, _ack(message, event.sending_application, event.sending_facility, event.version, now)
    )


def _keep_unapplied(
    text: str,
    now: dt.datetime,
    feed: Feed | None,
    facility: str,
    control_id: str,
    trigger: str,
    outcome: Outcome,
    reason: str,
) -> AdtMessage:
    return AdtMessage.objects.create(
        organization_id=feed.organization_id if feed else None,
        feed=None,  # unread messages do not take the feed's control id: a corrected resend must get through
        sending_facility=facility[:100],
        control_id=control_id[:64],
        trigger=trigger[:8],
        raw=text,
        received_at=now,
        outcome=outcome,
        reason=reason[:300],
    )


def _ack(message: AdtMessage, app: str, facility: str, version: str, now: dt.datetime) -> str:
    text = message.reason if message.outcome != Outcome.APPLIED else message.effect
    if message.outcome == Outcome.HELD:
        text = f"Held for patient matching: {message.reason}"
    return hl7v2.ack(
        ACK_CODES[Outcome(message.outcome)],
        control_id=message.control_id,
        trigger=message.trigger,
        version=version,
        to_application=app,
        to_facility=facility,
        text=text,
        now=now,
        ack_id=f"CC{message.pk}",
    )


def _process(feed: Feed, message: AdtMessage, event: hl7v2.AdtEvent, defer_work: bool = False) -> None:
    """Match the patient, then apply; or hold the message in the match queue."""
    waiting = AdtMessage.objects.filter(
        feed=feed, patient_key=message.patient_key, outcome=Outcome.HELD
    ).exclude(pk=message.pk)
    if message.patient_key and waiting.exists():
        # Applied in the order sent: behind an earlier message for the same person that staff must match.
        _hold(message, "an earlier message for the same hospital MRN waits in the match queue", ())
        return
    if event.trigger == "A40":
        _apply_and_record(feed, message, event, None)
        return
    match = find_patient(feed, event)
    if match.patient is None:
        _hold(message, match.how, match.candidates)
        return
    _apply_and_record(feed, message, event, match.patient, defer_work, mrn_kept=match.how == MATCHED_BY_MRN)


def _hold(message: AdtMessage, reason: str, candidates: tuple[int, ...]) -> None:
    message.outcome = Outcome.HELD
    message.reason = reason[:300]
    message.candidates = list(candidates)
    message.save(update_fields=["outcome", "reason", "candidates"])


def _apply_and_record(
    feed: Feed,
    message: AdtMessage,
    event: hl7v2.AdtEvent,
    patient: Patient | None,
    defer_work: bool = False,
    *,
    mrn_kept: bool = False,
) -> None:
    try:
        with transaction.atomic():
            visit, effect = _apply(feed, event, patient, defer_work, mrn_kept=mrn_kept)
    except Exception as exc:  # whatever went wrong, the message is kept and answered AE
        if not isinstance(exc, ActionRefused | NotApplied | results.ResultRefused):
            logger.exception("ADT message %s could not be applied", message.control_id)
        message.outcome, message.reason = Outcome.ERROR, _words(exc)[:300]
        message.patient = patient
        message.save(update_fields=["outcome", "reason", "patient"])
        return
    message.outcome, message.effect, message.reason = Outcome.APPLIED, effect[:300], ""
    message.patient = patient if patient is not None else (visit.patient if visit else None)
    message.visit = visit
    message.candidates = []
    message.save(update_fields=["outcome", "effect", "reason", "patient", "visit", "candidates"])
    if work.QUEUED in message.effect:
        # Queued once the message is committed (huey: kept across restarts), before the ACK is sent; the sweep
        # does one lost between the commit and the queue, or whose queueing failed (robust: logged, and the
        # message is still acknowledged: it is applied).
        from .tasks import discharge_work

        transaction.on_commit(partial(discharge_work, message.pk), robust=True)


def _words(exc: Exception) -> str:
    if isinstance(exc, ActionRefused | NotApplied | results.ResultRefused):
        return str(exc)
    return "The message could not be applied (an error on our side, logged for the operator)."


def _apply(
    feed: Feed,
    event: hl7v2.AdtEvent,
    patient: Patient | None,
    defer_work: bool = False,
    *,
    mrn_kept: bool = False,
) -> tuple[HospitalVisit | None, str]:
    if event.trigger == "A40":
        return None, _merge(feed, event)
    assert patient is not None
    if not mrn_kept:  # matched by the hospital MRN: it is kept already
        _keep_mrn(feed, event, patient)
    zone = feed.organization.time_zone or settings.TIME_ZONE
    if event.trigger == "R01":  # lab results: readings on the patient, no stay
        return None, results.record_results(feed, event, patient, zone)
    if event.trigger == "O13":  # a pharmacy's dispenses: fills, no stay
        return None, pharmacy.record_fills(feed, event, patient, zone)
    key = rules.visit_key(event, zone)
    if not key:
        raise NotApplied("The message names no visit: PV1-19 and PV1-44 are both empty.")
    visit = HospitalVisit.objects.select_related("encounter").filter(feed=feed, visit_number=key).first()
    if visit is not None and visit.patient_id != patient.pk:
        raise NotApplied(f"Visit {key} belongs to another patient here; the message names a different one.")
    if visit is not None and visit.encounter is not None and visit.encounter.patient_id == patient.pk:
        visit.encounter.patient = patient  # the row just read: not read again
    when = rules.moment(event.occurred_at or event.sent_at, zone) or clock.now()
    if event.trigger in ("A11", "A13"):
        if visit is None or visit.encounter is None:
            raise NotApplied(f"There is no visit {key} here to cancel.")
        return visit, _cancel(feed, event, visit)
    visit = visit or HospitalVisit(feed=feed, visit_number=key, patient=patient)
    before = work.Stay.of(visit.encounter)
    fields = _encounter_fields(feed, event, zone, when, visit.encounter)
    if visit.encounter is None:
        visit.encounter = do_add_encounter(feed.account, patient, source="hl7v2", **fields)
    else:
        do_update_encounter(feed.account, visit.encounter, **fields)
    visit.cancelled = False
    visit.location = event.location or visit.location
    visit.prior_location = event.prior_location or visit.prior_location
    visit.attending = event.attending or visit.attending
    visit.hospital_service = event.hospital_service or visit.hospital_service
    if event.diagnoses:
        visit.diagnoses = [d.__dict__ for d in event.diagnoses]
    visit.save()
    started = work.start_work(feed.account, visit.encounter, before, defer=defer_work)
    if event.trigger == "A03":
        started += pharmacy.record_discharge_list(feed, event, visit.encounter)
    where = f" to {event.location}" if event.trigger == "A02" and event.location else ""
    return (
        visit,
        f"{patient.given_name} {patient.family_name} {rules.EFFECT_WORDS[event.trigger]}{where} ({key})"
        + started,
    )


def _encounter_fields(
    feed: Feed, event: hl7v2.AdtEvent, zone: str, when: dt.datetime, encounter: Encounter | None
) -> dict[str, object]:
    start = rules.moment(event.admitted_at, zone) or (encounter.start if encounter else when)
    fields: dict[str, object] = {
        "encounter_class": rules.encounter_class(event)
        if event.patient_class or encounter is None
        else encounter.encounter_class,
        "facility": feed.name,
        "start": start,
    }
    if event.admission_type in rules.ADMISSION_TYPES:
        fields["admission_type"] = rules.ADMISSION_TYPES[event.admission_type]
    reason = event.admit_reason or next((d.text or d.code for d in event.diagnoses if d.kind == "A"), "")
    if reason:
        fields["reason"] = reason
    if event.trigger == "A03":
        # Without PV1-45 the discharge is when it was first told: a resend does not move it.
        ended = encounter.end if encounter is not None else None
        fields["end"] = rules.moment(event.discharged_at, zone) or ended or when
        fields["discharge_disposition"] = rules.DISPOSITIONS.get(event.discharge_disposition, "")
    return fields


def _cancel(feed: Feed, event: hl7v2.AdtEvent, visit: HospitalVisit) -> str:
    encounter = visit.encounter
    assert encounter is not None
    if event.trigger == "A13":
        if encounter.end is None:
            raise NotApplied(f"Visit {visit.visit_number} has no discharge to cancel.")
        undone = work.undo_discharge(feed.account, encounter)
        do_update_encounter(feed.account, encounter, end=None, discharge_disposition="")
        return f"discharge from visit {visit.visit_number} cancelled: in hospital again{undone}"
    # A11: the admission or registration did not happen; the encounter it made goes, the message stays.
    policy.require(feed.account, policy.Action.CHANGE, encounter.patient)
    audit.record(feed.account, AuditAction.DELETE, patient=encounter.patient, obj=encounter, detail="ADT A11")
    undone = work.undo_admission(feed.account, encounter)
    visit.encounter = None
    visit.cancelled = True
    visit.save(update_fields=["encounter", "cancelled", "updated_at", "version"])
    encounter.delete()
    return f"admission {visit.visit_number} cancelled: its encounter removed{undone}"


def _keep_mrn(feed: Feed, event: hl7v2.AdtEvent, patient: Patient) -> None:
    """Remember the hospital's MRN on the patient, so its next message matches at once."""
    mrn = rules.hospital_mrn(event, feed.mrn_authority)
    if not mrn or PatientIdentifier.objects.filter(patient=patient, system=feed.mrn_system).exists():
        return
    PatientIdentifier.objects.create(
        patient=patient,
        organization_id=patient.organization_id,
        system=feed.mrn_system,
        value=mrn,
        label=f"{feed.sending_facility} MRN"[:50],
    )
    audit.record(
        feed.account, AuditAction.UPDATE, patient=patient, obj=patient, detail=f"{feed.name} MRN added"
    )


def _merge(feed: Feed, event: hl7v2.AdtEvent) -> str:
    """A40: the hospital merged its record MRG-1 into PID-3. Ours follows: the retired MRN is replaced by the
    survivor's. Two records that are two patients here are not merged by a feed: staff merge them (Set-up,
    Merge records) and the message says so."""
    prior = rules.prior_mrn(event, feed.mrn_authority)
    survivor = rules.hospital_mrn(event, feed.mrn_authority)
    if not prior or not survivor:
        raise NotApplied("An A40 needs the retired MRN in MRG-1 and the surviving one in PID-3.")
    kept = PatientIdentifier.objects.filter(organization_id=feed.organization_id, system=feed.mrn_system)
    old, new = kept.filter(value=prior).first(), kept.filter(value=survivor).first()
    if old is None:
        return f"hospital MRN {prior} is not known here: nothing to merge"
    if new is not None and new.patient_id != old.patient_id:
        raise NotApplied(
            f"The hospital merged MRN {prior} into {survivor}, which are two patients here: "
            "review them in Set-up, Merge records."
        )
    patient = old.patient
    policy.require(feed.account, policy.Action.CHANGE, patient)
    if new is None:
        old.value = survivor
        old.save(update_fields=["value"])
    else:
        old.delete()
    audit.record(
        feed.account,
        AuditAction.UPDATE,
        patient=patient,
        obj=patient,
        detail=f"A40 MRN {prior} -> {survivor}",
    )
    return f"hospital MRN {prior} replaced by {survivor}"


def do_discharge_work(message_id: int) -> str:
    """Do the work of a discharge that `do_receive(defer_work=True)` queued, once: in one transaction that holds
    the message's row, checks that its effect still says the work is queued and replaces those words with what
    the work did (as they would have read had it been done at once). A second run finds nothing to do. Done as
    the feed's account, like the message. Returns the words ("" when there was nothing to do)."""
    with transaction.atomic(), audit.batched(), policy.deciding_once():
        message = (
            AdtMessage.objects.select_for_update(of=("self",))
            .select_related("feed__account", "feed__organization", "visit__encounter__patient")
            .filter(pk=message_id, outcome=Outcome.APPLIED)
            .first()
        )
        if message is None or work.QUEUED not in message.effect:
            return ""
        feed, visit = message.feed, message.visit
        encounter = visit.encounter if visit is not None else None
        if feed is None or encounter is None:
            words = "; the stay was cancelled before its discharge work was done"
        else:
            with organisation_zone(feed.organization.time_zone):
                words = work.discharge_work(feed.account, encounter)
        message.effect = message.effect.replace(f"; {work.QUEUED}", words, 1)[:300]
        message.save(update_fields=["effect"])
    return words


def queued_discharges(older_than: dt.timedelta = dt.timedelta(seconds=30)) -> list[int]:
    """Messages whose discharge work is still queued (for the sweep): received in the last 2 days and before
    `older_than` ago (the newer ones' tasks are on their way)."""
    now = clock.now()
    return list(
        AdtMessage.objects.filter(
            outcome=Outcome.APPLIED,
            effect__contains=work.QUEUED,
            received_at__gte=now - dt.timedelta(days=2),
            received_at__lte=now - older_than,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def do_resolve_match(
    user: User, message: AdtMessage, *, patient: Patient | None, create: bool = False
) -> int:
    """Staff say who a held message is about: a patient (checked against what they may see) or, with
    `create`, a new patient from the message's PID. The message and every later one held for the same hospital
    MRN are then applied in the order received. Returns how many were applied."""
    policy.require_admin(user, "Only an administrator works the ADT match queue.")
    feed = Feed.objects.select_related("account", "organization").filter(pk=message.feed_id or 0).first()
    if message.outcome != Outcome.HELD or feed is None or feed.organization_id != user.organization_id:
        raise ActionRefused("That message is not waiting for a patient match.")
    event = hl7v2.parse(message.raw)
    with transaction.atomic():
        if create:
            patient = _create_from_message(user, event)
        if patient is None:
            raise ActionRefused({"patient": "Choose the patient, or create one from the message."})
        policy.require(user, policy.Action.CHANGE, patient)
        same_person = Q(patient_key=message.patient_key) if message.patient_key else Q(pk=message.pk)
        queue = list(
            AdtMessage.objects.filter(feed=feed, outcome=Outcome.HELD)
            .filter(Q(pk=message.pk) | same_person)
            .order_by("received_at", "pk")
        )
        applied = 0
        for held in queue:
            _apply_and_record(feed, held, hl7v2.parse(held.raw), patient)
            held.resolved_by, held.resolved_at = user, clock.now()
            held.save(update_fields=["resolved_by", "resolved_at"])
            applied += held.outcome == Outcome.APPLIED
        audit.record(
            user,
            AuditAction.UPDATE,
            patient=patient,
            obj=message,
            detail=f"ADT match: {len(queue)} message(s)",
        )
    return applied


def _create_from_message(user: User, event: hl7v2.AdtEvent) -> Patient:
    if event.birth_date is None or not event.family_name or not event.given_name:
        raise ActionRefused("The message lacks a name or birth date to register the patient from.")
    details = PatientDetails(
        given_name=event.given_name,
        family_name=event.family_name,
        birth_date=event.birth_date,
        sex=Sex(HL7_SEXES.get(event.sex, Sex.UNKNOWN)),
        phone=event.phone,
    )
    return do_create_patient(user, details)


def do_set_feed_active(user: User, feed: Feed, active: bool) -> Feed:
    org_id = policy.require_admin(user, "Only an administrator changes ADT feeds.")
    if feed.organization_id != org_id:
        raise ActionRefused("That feed is not your organisation's.")
    with transaction.atomic():
        feed.active = active
        feed.save(update_fields=["active", "updated_at", "version"])
        audit.record(
            user, AuditAction.UPDATE, obj=feed, detail="ADT feed " + ("resumed" if active else "paused")
        )
    return feed
