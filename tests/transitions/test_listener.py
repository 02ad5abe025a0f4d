"""The MLLP listener and the file drop, end to end: a real TCP client (python-hl7's MLLP client) sends framed
messages, in one write or split across writes, and reads each acknowledgement on the same connection."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import hl7.mllp
import pytest
from django.core.management import call_command

from careconductor.patients.models import Encounter
from careconductor.transitions.actions import do_create_feed
from careconductor.transitions.choices import Outcome
from careconductor.transitions.models import AdtMessage

from .listening import listener_thread
from .messages import adt

pytestmark = pytest.mark.django_db(transaction=True)

VT, FS_CR = b"\x0b", b"\x1c\r"
T = TypeVar("T")


@pytest.fixture
def listening(world) -> Iterator[int]:
    """The listener on a free port in a thread with its own event loop; its port."""
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    with listener_thread() as port:
        yield port


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the client in a thread of its own: the browser tests' sync Playwright may leave an event loop on
    this thread, and asyncio.run refuses to start inside one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(60)


async def send_all(port: int, messages: list[str]) -> list[str]:
    reader, writer = await hl7.mllp.open_hl7_connection("127.0.0.1", port)
    answers = []
    for text in messages:
        writer.writemessage(text)
        await writer.drain()
        answers.append(str(await asyncio.wait_for(reader.readmessage(), 30)))
    writer.close()
    return answers


async def send_raw(port: int, data: bytes, frames: int) -> list[bytes]:
    """Write `data` in three pieces that split frames, then read `frames` acknowledgements."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    third = len(data) // 3
    for piece in (data[:third], data[third : 2 * third], data[2 * third :]):
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(0.05)
    answers = [await asyncio.wait_for(reader.readuntil(FS_CR), 30) for _ in range(frames)]
    writer.close()
    return answers


def test_messages_over_mllp_are_applied_and_acknowledged_in_order(world, listening) -> None:
    answers = run(
        send_all(listening, [adt("A01", "M1"), adt("A03", "M2", pv1={36: "01", 45: "20261205120000"})])
    )
    assert [a.split("\r")[1].split("|")[:3] for a in answers] == [["MSA", "AA", "M1"], ["MSA", "AA", "M2"]]
    stay = Encounter.objects.get(patient=world.paula, source="hl7v2")
    assert stay.end is not None
    assert AdtMessage.objects.filter(outcome=Outcome.APPLIED).count() == 2


def test_frames_split_across_reads_and_unreadable_messages(world, listening) -> None:
    data = b"".join(VT + m.encode() + FS_CR for m in (adt("A01", "M1"), "garbage\r", adt("A01", "M1")))
    answers = run(send_raw(listening, data, 3))
    codes = [a.split(b"MSA|")[1][:2] for a in answers]
    assert codes == [b"AA", b"AR", b"AA"]  # the resend of M1 gets its first answer
    assert Encounter.objects.filter(source="hl7v2").count() == 1
    assert AdtMessage.objects.filter(outcome=Outcome.REJECTED).count() == 1


def test_adt_import_reads_a_batch_file_framed_or_not(world, tmp_path) -> None:
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    framed = VT + adt("A01", "F1").encode() + FS_CR
    plain = (
        "FHS|^~\\&\n" + adt("A03", "F2", pv1={36: "01", 45: "20261205120000"}).replace("\r", "\n") + "FTS|1\n"
    )
    (tmp_path / "a.hl7").write_bytes(framed)
    (tmp_path / "b.txt").write_text(plain)
    out = io.StringIO()
    call_command("adt", "import", str(tmp_path), stdout=out)
    assert "2 message(s) from 2 file(s): 2 applied" in out.getvalue()
    assert Encounter.objects.get(patient=world.paula, source="hl7v2").end is not None


def test_connections_handed_to_worker_processes_keep_each_senders_order(world, monkeypatch) -> None:
    """`adt listen --workers N`: the dispatcher accepts and hands each connection whole to a worker in turn (here
    two workers, each its own event loop in a thread, as each child process runs one); the messages of every
    connection are applied in the order sent and each ACK comes back on its own connection."""
    import datetime as dt
    import socket

    from careconductor.patients.actions import PatientDetails, do_create_patient
    from careconductor.patients.choices import Sex
    from careconductor.transitions import listener
    from careconductor.transitions.listener import READY, dispatch, serve_handed

    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    ben = do_create_patient(world.adam, PatientDetails("Ben", "Okafor", dt.date(1950, 1, 1), Sex.MALE))
    listening = socket.create_server(("127.0.0.1", 0))
    served_by: list[int] = []  # the thread (one per worker) that took each connection
    serve_socket = listener._serve_socket

    async def watched(sock: socket.socket) -> None:
        served_by.append(threading.get_ident())
        await serve_socket(sock)

    monkeypatch.setattr(listener, "_serve_socket", watched)
    pairs = [socket.socketpair() for _ in range(2)]
    loops, workers = [], []
    for _, theirs in pairs:
        loop = asyncio.new_event_loop()
        loops.append(loop)
        threading.Thread(target=loop.run_forever, daemon=True).start()
        ready = lambda theirs=theirs: theirs.sendall(READY)  # noqa: E731
        workers.append(asyncio.run_coroutine_threadsafe(serve_handed(theirs, ready), loop))
    channels = [ours for ours, _ in pairs]
    assert [c.recv(1) for c in channels] == [READY, READY]
    stopping = threading.Event()
    dispatcher = threading.Thread(
        target=dispatch, args=(listening, channels), kwargs={"stop": stopping.is_set}
    )
    dispatcher.start()
    port = listening.getsockname()[1]
    ben_fields = dict(mrn="H200", family="Okafor", given="Ben", birth="19500101", sex="M", pv1={19: "V2"})

    async def alternately() -> list[list[str]]:
        """Both connections open (so each is with a worker), then their messages in turn, each ACK awaited (the
        test database takes one writer at a time)."""
        connections = [await hl7.mllp.open_hl7_connection("127.0.0.1", port) for _ in range(2)]
        sent = [
            (0, adt("A01", "P1")),
            (1, adt("A01", "B1", **ben_fields)),  # type: ignore[arg-type]
            (0, adt("A03", "P2", pv1={36: "01", 45: "20261205120000"})),
            (1, adt("A08", "B2", **ben_fields)),  # type: ignore[arg-type]
        ]
        answers: list[list[str]] = [[], []]
        for n, text in sent:
            reader, writer = connections[n]
            writer.writemessage(text)
            await writer.drain()
            answers[n].append(str(await asyncio.wait_for(reader.readmessage(), 30)))
        for _, writer in connections:
            writer.close()
            await writer.wait_closed()
        await asyncio.sleep(0.2)  # the workers see the ends
        return answers

    try:
        answers = run(alternately())
    finally:
        stopping.set()
        dispatcher.join(10)
        for ours in channels:
            ours.close()  # each worker's serve_handed ends
        for worker in workers:
            worker.result(10)
        for loop in loops:
            loop.call_soon_threadsafe(loop.stop)
        listening.close()
    assert [[a.split("\r")[1].split("|")[1:3] for a in pair] for pair in answers] == [
        [["AA", "P1"], ["AA", "P2"]],
        [["AA", "B1"], ["AA", "B2"]],
    ]
    assert len(served_by) == 2 and served_by[0] != served_by[1]  # one connection each worker
    assert all("Held" not in a for pair in answers for a in pair)
    assert Encounter.objects.get(patient=world.paula, source="hl7v2").end is not None
    assert Encounter.objects.filter(patient=ben, source="hl7v2").count() == 1
    order = list(
        AdtMessage.objects.filter(outcome=Outcome.APPLIED).order_by("pk").values_list("control_id", flat=True)
    )
    assert sorted(order) == ["B1", "B2", "P1", "P2"]
    assert order.index("P1") < order.index("P2") and order.index("B1") < order.index("B2")


def test_a_message_that_cannot_be_kept_gets_no_answer_so_the_engine_resends(
    world, listening, monkeypatch
) -> None:
    from django.db import OperationalError

    from careconductor.transitions import listener

    def down(text: str, **kwargs: Any) -> Any:
        raise OperationalError("database is unreachable")

    monkeypatch.setattr(listener, "do_receive", down)
    with pytest.raises(asyncio.IncompleteReadError):
        run(send_raw(listening, VT + adt("A01", "M1").encode() + FS_CR, 1))  # closed, no ACK
    monkeypatch.undo()
    assert (
        run(send_all(listening, [adt("A01", "M1")]))[0].split("\r")[1].startswith("MSA|AA|M1")
    )  # resent: kept
