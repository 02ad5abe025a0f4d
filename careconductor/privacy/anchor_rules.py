"""Anchors of the audit chain kept outside the database: what a line of the anchor file says, which anchor a
chain is held to, and whether the chain in the database still keeps it. Pure: no ORM, no I/O (privacy/anchor.py
reads and writes the file).

Someone with SQL access alone cannot forge an event or the head's seal, but could empty the audit table and the
head row together (a chain of 0 events verifies), or put back a head row copied earlier after removing the events
that came after it. An anchor, written where the database cannot reach, remembers how far the chain had got.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class AnchorKind(StrEnum):
    VERIFY = "verify"  # written by `audit verify` after it found the chain intact
    INTERVAL = "interval"  # written by the worker's periodic job, from the head row
    RESTORE = "restore"  # written by `careconductor restore`: the one legitimate cut back


@dataclass(frozen=True)
class Anchor:
    at: dt.datetime
    seq: int
    hash: str
    kind: AnchorKind

    def signed_text(self) -> str:
        """What the line's seal covers: every field, so none can be changed without the secret key."""
        return f"anchor|{self.at.isoformat()}|{self.seq}|{self.hash}|{self.kind}"

    def line(self, seal: str) -> str:
        fields = {"at": self.at.isoformat(), "seq": self.seq, "hash": self.hash, "kind": str(self.kind)}
        return json.dumps({**fields, "seal": seal}, separators=(",", ":")) + "\n"

    @property
    def when(self) -> str:
        return f"{self.at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True)
class AnchorFile:
    anchors: list[Anchor]
    problem: str = ""  # a line that cannot be read or whose seal does not match


def read_lines(lines: Iterable[str], seal: Callable[[str], str]) -> AnchorFile:
    """The anchors of the file's lines, in order, or the first line that is not a sealed anchor."""
    anchors: list[Anchor] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchor = Anchor(
                at=dt.datetime.fromisoformat(data["at"]),
                seq=int(data["seq"]),
                hash=str(data["hash"]),
                kind=AnchorKind(data["kind"]),
            )
            stored_seal = str(data["seal"])
        except (ValueError, KeyError, TypeError):
            return AnchorFile(anchors, f"line {number} of the audit anchor file cannot be read")
        if anchor.at.tzinfo is None or not hmac.compare_digest(seal(anchor.signed_text()), stored_seal):
            return AnchorFile(
                anchors, f"line {number} of the audit anchor file was altered (its seal does not match)"
            )
        anchors.append(anchor)
    return AnchorFile(anchors)


def held_to(anchors: list[Anchor]) -> Anchor | None:
    """The anchor the chain must keep: the furthest one since the last restore. A head anchored by the worker
    after someone cut the chain back is lower than one anchored before, so it never excuses the cut."""
    since = next((i for i in range(len(anchors) - 1, -1, -1) if anchors[i].kind == AnchorKind.RESTORE), 0)
    candidates = anchors[since:]
    return max(reversed(candidates), key=lambda a: a.seq) if candidates else None


def broken_by(anchor: Anchor, checked: int, hash_at_anchor: str | None) -> str:
    """Why a chain of `checked` intact events, whose event `anchor.seq` has `hash_at_anchor`, breaks the anchor;
    empty when it keeps it."""
    if anchor.seq > checked:
        return (
            f"the audit trail was cut back: the anchor of {anchor.when} recorded event {anchor.seq} with hash "
            f"{anchor.hash}, but the chain ends at event {checked}"
        )
    if hash_at_anchor != anchor.hash:
        return (
            f"the audit trail was replaced: the anchor of {anchor.when} recorded event {anchor.seq} with hash "
            f"{anchor.hash}, but the chain's event {anchor.seq} has hash {hash_at_anchor}"
        )
    return ""
