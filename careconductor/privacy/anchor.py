"""The audit chain's head written outside the database (settings.AUDIT_ANCHOR_FILE), and `audit verify` holding
the chain to it. The rules (what a line says, which anchor counts, what breaks it) are in anchor_rules.py.

The file only helps if the database's users cannot rewrite it: it is opened for appending only, and the
operator makes it append-only by the operating system (`chattr +a`) or keeps a copy elsewhere (syslog, another
machine), as docs/operations.md says. Each line is sealed with the chain's key, so a changed line is noticed;
lines removed from the end are what the operating system's append-only flag prevents.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from django.conf import settings

from careconductor.core import clock

from . import chain
from .anchor_rules import Anchor, AnchorFile, AnchorKind, broken_by, held_to, read_lines
from .models import AuditChainHead, AuditEvent

logger = logging.getLogger(__name__)


def anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def read_anchors() -> AnchorFile:
    path = anchor_file()
    if not path.exists():
        return AnchorFile([])
    with path.open(encoding="utf-8", errors="replace") as lines:
        return read_lines(lines, chain.seal)


def append_anchor(seq: int, last_hash: str, kind: AnchorKind) -> Anchor:
    """Append one sealed line in one write to a file opened for appending only, and make it durable."""
    anchor = Anchor(at=clock.now(), seq=seq, hash=last_hash, kind=kind)
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, anchor.line(chain.seal(anchor.signed_text())).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return anchor


def verify() -> chain.VerifyResult:
    """`audit verify`: the whole chain (chain.verify), then the chain held to the furthest anchor since the last
    restore; an intact chain's head is anchored in its turn.

    The anchors are read before the walk: one the worker writes meanwhile is of a head the walk reaches, and
    must not be taken for a chain cut back."""
    anchors = read_anchors()
    result = chain.verify()
    if not result.ok:
        return result
    if anchors.problem:
        return chain.VerifyResult(result.checked, None, anchors.problem, result.last_hash)
    anchor = held_to(anchors.anchors)
    if anchor is not None:
        problem = broken_by(anchor, result.checked, _hash_of(anchor.seq, result))
        if problem:
            first_wrong = result.checked + 1 if anchor.seq > result.checked else anchor.seq
            return chain.VerifyResult(result.checked, first_wrong, problem, result.last_hash)
    append_anchor(result.checked, result.last_hash, AnchorKind.VERIFY)
    return result


def _hash_of(seq: int, result: chain.VerifyResult) -> str | None:
    if seq == result.checked:
        return result.last_hash
    if seq == 0:
        return chain.GENESIS
    return AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()


def anchor_head(kind: AnchorKind = AnchorKind.INTERVAL) -> Anchor | None:
    """Anchor the head row as it is now (the worker's periodic job: one read, no walk). A head whose seal does
    not match is not anchored; `audit verify` reports it."""
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, chain.GENESIS)
    if head is not None and head.head_mac != chain.head_mac(last_seq, last_hash):
        logger.error(
            "The audit chain head was altered (its seal does not match): run `careconductor audit verify`"
        )
        return None
    return append_anchor(last_seq, last_hash, kind)
