"""What the ADT feeds pages read (Set-up, ADT feeds): the organisation's feeds with their last message and the
week's counts, the match queue, the message list and one message. Only an administrator of the organisation
reads them; anyone else, and any feed or message of another organisation, is NotVisible (404). A message about
a patient is patient data: showing it records a read of that patient."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, QuerySet

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import hl7v2, rules
from .choices import Outcome
from .matching import HL7_SEXES
from .models import AdtMessage, Feed

COUNT_DAYS = 7
PAGE_SIZE = 50


def _admin_org(user: User) -> int:
    """The administrator's organisation; NotVisible for anyone else (the page guard refuses them first)."""
    if not user.is_authenticated or user.role != Role.ADMIN or user.organization_id is None:
        raise NotVisible
    return user.organization_id


def _org_messages(org_id: int) -> QuerySet[AdtMessage]:
    return AdtMessage.objects.filter(organization_id=org_id)


def trigger_words(trigger: str) -> str:
    """What a message of this trigger does, in words (the code beside it is for the hospital's interface team)."""
    return {"R01": "lab results", "O13": "pharmacy fills"}.get(trigger) or rules.EFFECT_WORDS.get(trigger, "")


def held_count(user: User) -> int:
    """How many messages wait in the match queue (the pages' tabs show it)."""
    return _org_messages(_admin_org(user)).filter(outcome=Outcome.HELD, feed__isnull=False).count()


@dataclass
class FeedRow:
    """A feed on the feeds page: its last message (ever) and the last COUNT_DAYS days' counts, by trigger and
    outcome. Messages are counted by their sending facility, so an unreadable one that named the feed's
    facility (kept without the feed, so a corrected resend gets through) counts too."""

    feed: Feed
    last_message_at: dt.datetime | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # trigger -> outcome -> n

    @property
    def rows(self) -> list[tuple[str, str, list[int], int]]:
        """(trigger, what it does in words, a count per Outcome in order, total), triggers in order; a trigger
        '' is an unreadable message's."""
        return [
            (trigger, trigger_words(trigger), [by[o] for o in Outcome.values], sum(by.values()))
            for trigger, by in sorted(self.counts.items())
        ]

    @property
    def totals(self) -> list[int]:
        return [sum(by.get(o, 0) for by in self.counts.values()) for o in Outcome.values]

    @property
    def total(self) -> int:
        return sum(self.totals)


def access_feeds(user: User) -> list[FeedRow]:
    """The organisation's feeds, by name, in three queries however many messages there are."""
    org_id = _admin_org(user)
    feeds = list(Feed.objects.filter(organization_id=org_id).order_by("name", "pk"))
    by_facility = {f.sending_facility: FeedRow(f) for f in feeds}
    messages = _org_messages(org_id).filter(sending_facility__in=list(by_facility))
    for facility, last in messages.values_list("sending_facility").annotate(last=Max("received_at")):
        by_facility[facility].last_message_at = last
    since = clock.now() - dt.timedelta(days=COUNT_DAYS)
    counted = (
        messages.filter(received_at__gte=since)
        .values_list("sending_facility", "trigger", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for facility, trigger, outcome, n in counted:
        row = by_facility[facility]
        row.counts.setdefault(trigger, defaultdict(int))[outcome] += n
    return list(by_facility.values())


def access_feed(user: User, feed_id: int) -> Feed:
    feed = Feed.objects.filter(pk=feed_id, organization_id=_admin_org(user)).first()
    if feed is None:
        raise NotVisible
    return feed


def feed_choices(user: User) -> QuerySet[Feed]:
    return Feed.objects.filter(organization_id=_admin_org(user)).order_by("name", "pk")


@dataclass(frozen=True)
class Named:
    """Who a message names, as it says it (PID)."""

    name: str
    birth_date: dt.date | None
    sex: str  # in words
    hospital_mrn: str


def named_in(message: AdtMessage) -> Named:
    """Read from the raw text (the message was readable when it was held, so it parses)."""
    try:
        event = hl7v2.parse(message.raw)
    except hl7v2.Unreadable:
        return Named("", None, "", message.patient_key)
    sex = HL7_SEXES.get(event.sex)
    mrn = rules.hospital_mrn(event, message.feed.mrn_authority) if message.feed else ""
    return Named(event.name, event.birth_date, Sex(sex).label if sex else "", mrn or message.patient_key)


@dataclass(frozen=True)
class QueueItem:
    message: AdtMessage
    named: Named
    candidates: list[Patient]

    @property
    def words(self) -> str:
        return trigger_words(self.message.trigger)


def access_match_queue(user: User, page_number: str | None) -> Page[QueueItem]:
    """The held messages, oldest first (they are applied in the order received), with who each names and the
    patients it may be. Candidates are read through the policy in one query for the page; their reads are
    recorded, as the merge search's are."""
    org_id = _admin_org(user)
    held = (
        _org_messages(org_id)
        .filter(outcome=Outcome.HELD, feed__isnull=False)
        .select_related("feed")
        .order_by("received_at", "pk")
    )
    page = Paginator(held, PAGE_SIZE).get_page(page_number)
    wanted = {pk for m in page.object_list for pk in m.candidates}
    found = {
        p.pk: p
        for p in policy.visible_patients(user)
        .filter(pk__in=wanted, merged_into__isnull=True)
        .prefetch_related("identifiers")
    }
    items = [
        QueueItem(m, named_in(m), [found[pk] for pk in m.candidates if pk in found]) for m in page.object_list
    ]
    audit.record_reads(user, list(found.values()), object_type="AdtMatchQueue")
    page.object_list = items  # type: ignore[assignment]
    return page  # type: ignore[return-value]


FOUND_MOST = 10  # patients shown for a match-queue search


def search_for_match(user: User, text: str) -> list[Patient]:
    """Patients the user may see whose name, identifier or phone matches `text` (patients.queries
    .search_patients), for a held message whose candidates are not the person; the reads are recorded."""
    from careconductor.patients.queries import search_patients

    if not text.strip():
        return []
    found = list(search_patients(user, text.strip()[:100]).prefetch_related("identifiers")[:FOUND_MOST])
    audit.record_reads(user, found, object_type="AdtMatchSearch")
    return found


def access_held_message(user: User, message_id: int) -> AdtMessage:
    """A message of the organisation waiting in the match queue; NotVisible otherwise."""
    message = (
        _org_messages(_admin_org(user))
        .filter(pk=message_id, outcome=Outcome.HELD, feed__isnull=False)
        .select_related("feed")
        .first()
    )
    if message is None:
        raise NotVisible
    return message


def access_candidate(user: User, patient_id: int) -> Patient | None:
    """The patient staff say a held message is about, if they may see that record."""
    return policy.visible_patients(user).filter(pk=patient_id, merged_into__isnull=True).first()


def access_messages(
    user: User, *, outcome: str = "", feed: Feed | None = None, page_number: str | None = None
) -> Page[AdtMessage]:
    """The organisation's messages, newest first, by outcome and feed (a feed's unreadable messages too, by its
    sending facility). The patients on the page are read: recorded."""
    messages = (
        _org_messages(_admin_org(user)).select_related("feed", "patient").order_by("-received_at", "-pk")
    )
    if outcome:
        messages = messages.filter(outcome=outcome)
    if feed is not None:
        messages = messages.filter(sending_facility=feed.sending_facility)
    page = Paginator(messages, PAGE_SIZE).get_page(page_number)
    shown = {m.patient_id: m.patient for m in page.object_list if m.patient is not None}
    audit.record_reads(user, list(shown.values()), object_type="AdtMessageList")
    return page


def access_message(user: User, message_id: int) -> AdtMessage:
    """One message of the organisation with what it did; the read is recorded against its patient."""
    message = (
        _org_messages(_admin_org(user))
        .select_related("feed", "patient", "visit__encounter", "resolved_by")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=message.patient, obj=message)
    return message
