"""The anchor file's lines and which anchor a chain is held to (privacy/anchor_rules.py): pure, no database."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from careconductor.privacy.anchor_rules import Anchor, AnchorKind, broken_by, held_to, read_lines

AT = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
V, IV, R = AnchorKind.VERIFY, AnchorKind.INTERVAL, AnchorKind.RESTORE


def seal(text: str) -> str:
    return hashlib.sha256(b"test key|" + text.encode()).hexdigest()


def a(seq: int, kind: AnchorKind = V, minutes: int = 0) -> Anchor:
    return Anchor(at=AT + dt.timedelta(minutes=minutes), seq=seq, hash=f"{seq:064x}", kind=kind)


def test_lines_read_back_as_written() -> None:
    written = [a(3), a(9, IV, 15), a(4, R, 30)]
    lines = [x.line(seal(x.signed_text())) for x in written]
    assert read_lines(["\n", *lines, ""], seal).anchors == written


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda line: line.replace('"seq":9', '"seq":8'), "line 2 of the audit anchor file was altered"),
        (
            lambda line: line.replace('"kind":"interval"', '"kind":"restore"'),
            "line 2 of the audit anchor file was altered",
        ),
        (lambda line: line.replace("+00:00", ""), "line 2 of the audit anchor file was altered"),
        (lambda line: line[:20], "line 2 of the audit anchor file cannot be read"),
        (
            lambda line: line.replace('"kind":"interval"', '"kind":"other"'),
            "line 2 of the audit anchor file cannot be read",
        ),
        (
            lambda line: line.replace('"seq":9', '"seq":"nine"'),
            "line 2 of the audit anchor file cannot be read",
        ),
        (lambda line: "[]\n", "line 2 of the audit anchor file cannot be read"),
    ],
)
def test_a_changed_or_damaged_line_is_named(change, problem: str) -> None:  # type: ignore[no-untyped-def]
    first, second = a(3), a(9, IV, 15)
    lines = [first.line(seal(first.signed_text())), change(second.line(seal(second.signed_text())))]
    read = read_lines(lines, seal)
    assert read.problem.startswith(problem)
    assert read.anchors == [first]


def test_a_line_sealed_with_another_key_is_altered() -> None:
    line = a(3).line(hashlib.sha256(b"other").hexdigest())
    assert read_lines([line], seal).problem.startswith("line 1 of the audit anchor file was altered")


@pytest.mark.parametrize(
    ("anchors", "held"),
    [
        ([], None),
        ([a(5)], a(5)),
        (
            [a(5), a(9, IV, 1), a(7, IV, 2)],
            a(9, IV, 1),
        ),  # an anchor of a shorter head later never lowers the bar
        ([a(9), a(9, IV, 1)], a(9, IV, 1)),  # the same event twice: the later one
        ([a(9), a(4, R, 1)], a(4, R, 1)),  # a restore starts afresh
        ([a(9), a(4, R, 1), a(6, IV, 2), a(5, V, 3)], a(6, IV, 2)),
        ([a(9), a(4, R, 1), a(12, IV, 2), a(2, R, 3)], a(2, R, 3)),  # only since the last restore
    ],
)
def test_the_chain_is_held_to_the_furthest_anchor_since_the_last_restore(
    anchors: list[Anchor], held: Anchor | None
) -> None:
    assert held_to(anchors) == held


@pytest.mark.parametrize(
    ("checked", "hash_at_anchor", "problem"),
    [
        (9, f"{9:064x}", ""),
        (20, f"{9:064x}", ""),
        (
            8,
            None,
            "the audit trail was cut back: the anchor of 2026-03-01 09:30:00 UTC recorded event 9 with hash",
        ),
        (0, None, "the audit trail was cut back"),
        (
            20,
            "b" * 64,
            "the audit trail was replaced: the anchor of 2026-03-01 09:30:00 UTC recorded event 9",
        ),
    ],
)
def test_a_chain_keeps_its_anchor_or_says_how_it_broke(
    checked: int, hash_at_anchor: str | None, problem: str
) -> None:
    found = broken_by(a(9), checked, hash_at_anchor)
    assert found.startswith(problem) and bool(found) == bool(problem)
    if problem:
        assert f"{9:064x}" in found
