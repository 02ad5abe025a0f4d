"""privacy.chain.GroupCommit: items handed in while another thread writes are written together in the next
write, every caller returns only after the write that carried its items, and a failed write fails each of
them (a read is never answered as if its audit events were durable)."""

from __future__ import annotations

import threading

import pytest

from careconductor.privacy.chain import GroupCommit


class Gate:
    """A writer whose first write waits until released, so others queue up behind it."""

    def __init__(self, fail_second: bool = False) -> None:
        self.calls: list[list[int]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()
        self.fail_second = fail_second

    def write(self, items: list[int]) -> None:
        self.calls.append(list(items))
        if len(self.calls) == 1:
            self.first_started.set()
            assert self.release.wait(5)
        elif self.fail_second and len(self.calls) == 2:
            raise RuntimeError("disk full")


def run_queued(gate: Gate, group: GroupCommit[int], later: int) -> dict[int, BaseException | None]:
    outcomes: dict[int, BaseException | None] = {}

    def submit(n: int) -> None:
        try:
            group.submit([n])
            outcomes[n] = None
        except BaseException as exc:  # the test reads what each caller got
            outcomes[n] = exc

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    assert gate.first_started.wait(5)
    others = [threading.Thread(target=submit, args=(n,)) for n in range(1, later + 1)]
    for t in others:
        t.start()
    while len(group._waiting) < later:  # all queued behind the first write
        threading.Event().wait(0.005)
    assert outcomes == {}  # nobody returned before a write carried their items
    gate.release.set()
    for t in [first, *others]:
        t.join(5)
    return outcomes


def test_callers_waiting_behind_a_write_are_written_together_in_the_next() -> None:
    gate = Gate()
    group = GroupCommit[int](gate.write)
    outcomes = run_queued(gate, group, later=5)
    assert gate.calls[0] == [0] and sorted(gate.calls[1]) == [1, 2, 3, 4, 5]
    assert group.writes == 2 and outcomes == dict.fromkeys(range(6))


def test_a_failed_write_fails_every_caller_it_carried_and_no_other() -> None:
    gate = Gate(fail_second=True)
    group = GroupCommit[int](gate.write)
    outcomes = run_queued(gate, group, later=3)
    assert outcomes[0] is None
    assert all(isinstance(outcomes[n], RuntimeError) for n in (1, 2, 3))
    group.submit([9])  # the group is free again after a failure
    assert gate.calls[-1] == [9]


def test_alone_a_caller_writes_at_once() -> None:
    written: list[list[str]] = []
    group = GroupCommit[str](written.append)
    group.submit(["a"])
    group.submit(["b", "c"])
    assert written == [["a"], ["b", "c"]]


@pytest.mark.django_db(transaction=True)
def test_reads_of_concurrent_requests_chain_correctly(world) -> None:
    """Outside a transaction, events from many threads go through the group and the chain still verifies."""
    from django.core.management import call_command
    from django.db import connection

    from careconductor.privacy import audit
    from careconductor.privacy.choices import AuditAction
    from careconductor.privacy.models import AuditEvent

    if connection.vendor == "sqlite":
        pytest.skip("threads need their own connections to a shared database; PostgreSQL runs it")
    before = AuditEvent.objects.count()

    def read(n: int) -> None:
        try:
            for _ in range(5):
                audit.record(world.alice, AuditAction.READ, patient=world.paula, detail=f"thread {n}")
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert AuditEvent.objects.count() == before + 30
    call_command("audit", "verify")
