"""The audit hash chain: how an event's hash is computed, appended and verified.

hash(event) = HMAC-SHA256 over the event's fields in a fixed order, ending with the previous event's hash.
The chain starts from 64 zeros. Any altered field, removed row or inserted row makes a recomputed hash or
a `prev_hash` disagree, or leaves a gap in `seq`; the head row catches rows removed from the end.

The HMAC key is derived from the installation's secret key (kept in the data folder, not the database), so
someone who can write to the database but not read the data folder cannot forge a consistent chain.
Rotating the secret key therefore needs `audit verify` run first and the old key kept to check old events.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
    "recorded_at",
    "user_id",
    "username",
    "role",
    "organization_id_value",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "client_address",
    "user_agent",
    "outcome",
    "detail",
    "prev_hash",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return str(value).replace("\\", "\\\\").replace("|", "\\|")


@cache
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"careconductor.audit-chain|" + secret.encode()).digest()


def event_hash(values: Iterable[object]) -> str:
    """HMAC-SHA256 of the HASHED_FIELDS values, in that order."""
    message = "|".join(_text(v) for v in values).encode()
    return hmac.new(_key(settings.SECRET_KEY), message, hashlib.sha256).hexdigest()


def seal(message: str) -> str:
    """HMAC-SHA256 of `message` under the chain's key: what the head and the anchors outside the database
    (privacy/anchor.py) carry, so that someone without the secret key cannot make a valid one."""
    return hmac.new(_key(settings.SECRET_KEY), message.encode(), hashlib.sha256).hexdigest()


def head_mac(last_seq: int, last_hash: str) -> str:
    return seal(f"head|{last_seq}|{last_hash}")


def append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert events in the caller's transaction (or a new one), holding the head row's lock."""
    if not events:
        return events
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev = head.last_seq, head.last_hash
        for event in events:
            seq += 1
            event.seq, event.prev_hash = seq, prev
            prev = event.hash = event_hash(getattr(event, f) for f in HASHED_FIELDS)
        AuditEvent.objects.bulk_create(events)
        AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev, head_mac=head_mac(seq, prev))
    return events


_T = TypeVar("_T")


@dataclass
class _Ticket(Generic[_T]):
    items: list[_T]
    done: bool = False
    error: BaseException | None = None


@dataclass
class GroupCommit(Generic[_T]):
    """Group commit: threads that hand in work while another thread is writing wait, and the next one to go
    writes everything that gathered meanwhile, in one call of `write` (one transaction, one disk sync). Each
    caller returns only once the call that carried its items has returned, or raises what that call raised.

    A read request must not be answered before its audit events are durable, and every commit waits for a disk
    sync (~3 ms here): written one request at a time, concurrent reads queue behind each other's syncs
    (issue 18: 8 FHIR clients topped out at ~80 reads/s). Grouped, one sync serves every request waiting."""

    write: Callable[[list[_T]], object]
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _waiting: list[_Ticket[_T]] = field(default_factory=list)
    _writing: bool = False
    writes: int = 0  # calls of `write` so far (tests and benchmarks read it)

    def submit(self, items: list[_T]) -> None:
        ticket = _Ticket(items)
        with self._changed:
            self._waiting.append(ticket)
            while self._writing and not ticket.done:
                self._changed.wait()
            if ticket.done:  # carried by another thread's write
                if ticket.error is not None:
                    raise copy.copy(ticket.error) from ticket.error.__cause__  # is_busy reads the cause
                return
            self._writing = True
            group, self._waiting = self._waiting, []
        error: BaseException | None = None
        try:
            self.write([item for t in group for item in t.items])
        except BaseException as exc:
            error = exc
            raise
        finally:
            with self._changed:
                self.writes += 1
                for t in group:
                    t.done, t.error = True, error
                self._writing = False
                self._changed.notify_all()


def _append_committed(events: list[AuditEvent]) -> None:
    append(events)


_reads = GroupCommit[AuditEvent](_append_committed)


def append_durably(events: list[AuditEvent]) -> None:
    """Chain and insert events and return once they are committed. Inside a transaction that is the caller's
    commit (`append`); outside one, events of concurrent requests are committed together (`GroupCommit`)."""
    if not events:
        return
    if transaction.get_connection().in_atomic_block:
        append(events)
    else:
        _reads.submit(events)


@dataclass
class VerifyResult:
    checked: int
    broken_seq: int | None = None
    problem: str = ""
    last_hash: str = GENESIS  # the hash of event `checked`, the head an intact chain ends at

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and not self.problem


def verify(chunk_size: int = 10_000) -> VerifyResult:
    """Walk the whole chain in `seq` order, one short keyset-paginated query per chunk (no long-lived cursor,
    so PostgreSQL does not spool the table), in one pass; stops at the first broken event.

    Events may be appended while it runs (a live system): at the end it reads the head, and if the head has
    moved past what was read it carries on, so only events the head once covered and that are gone count as
    removed.

    The first chunk is read with no lower bound, so an event numbered 0 or below (forged before the genesis, on a
    database older than the constraint that refuses one) comes first and is reported, at no extra query."""
    expected_seq, prev = 1, GENESIS
    fields = (*HASHED_FIELDS, "hash")
    while True:
        events = AuditEvent.objects.order_by("seq")
        if expected_seq > 1:
            events = events.filter(seq__gte=expected_seq)
        rows = list(events.values_list(*fields)[:chunk_size])
        for row in rows:
            seq, stored_prev, stored_hash = row[0], row[-2], row[-1]
            if seq < 1:
                return VerifyResult(0, seq, f"event {seq} is forged: the chain starts at event 1")
            if seq != expected_seq:
                return VerifyResult(
                    expected_seq - 1, expected_seq, f"event {expected_seq} is missing (next found: {seq})"
                )
            if stored_prev != prev:
                return VerifyResult(
                    seq - 1, seq, f"event {seq} does not follow event {seq - 1} (prev_hash differs)"
                )
            if event_hash(row[:-1]) != stored_hash:
                return VerifyResult(
                    seq - 1, seq, f"event {seq} was altered (its hash does not match its fields)"
                )
            prev, expected_seq = stored_hash, expected_seq + 1
        if len(rows) == chunk_size:
            continue
        checked = expected_seq - 1
        head = AuditChainHead.objects.filter(pk=1).first()
        last_seq, last_hash, mac = (
            (head.last_seq, head.last_hash, head.head_mac) if head else (0, GENESIS, "")
        )
        if head is not None and mac != head_mac(last_seq, last_hash):
            return VerifyResult(checked, last_seq, "the chain head was altered (its seal does not match)")
        if last_seq > checked and AuditEvent.objects.filter(seq__gte=expected_seq).exists():
            continue  # written while we read: check those too
        if last_seq != checked or last_hash != prev:
            return VerifyResult(
                checked,
                checked + 1,
                f"the chain ends at event {checked} but its head says {last_seq}: events removed",
            )
        return VerifyResult(checked, last_hash=prev)
