"""The MLLP listener: hospitals' interface engines connect over TCP and send ADT messages framed as MLLP
(0x0B message 0x1C 0x0D); each is answered on the same connection with its acknowledgement.

python-hl7's asyncio MLLP server reads the frames (`readblock` buffers a frame split across reads, or several
in one); each message is then handed to `actions.do_receive` in a worker thread (the ORM is synchronous), one
at a time per connection, so a sender's messages are applied in the order sent. A frame that is not MLLP ends
the connection (the sender reconnects and resends); a message that cannot be read is answered AR and kept.

One process applies messages on one core (the threads share the GIL). `adt listen --workers N` runs N worker
processes behind one listening socket: the first process accepts each connection and hands it whole to a
worker (`dispatch`, round robin, the socket passed over a Unix socket pair with SCM_RIGHTS), which serves it
as `serve` does (`serve_handed`). A connection stays with one worker, so its messages are still applied one at
a time in the order sent; different connections are applied side by side, in separate transactions."""

from __future__ import annotations

import asyncio
import logging
import select
import socket
from collections.abc import Callable, Sequence

import hl7.mllp
from django.db import close_old_connections

from careconductor.privacy import audit

from .actions import do_receive

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1_000_000  # an ADT message is a few kB; a stream without frame ends is not kept in memory


def decode(block: bytes) -> str:
    """HL7 v2 is ASCII unless MSH-18 says otherwise; senders use UTF-8 or Latin-1 in practice."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("latin-1")


def receive(text: str, peer: str) -> str:
    """do_receive in a thread of its own, with the audit context of the connection; the ACK. A discharge's work
    is queued to run after the commit (transitions.tasks.discharge_work), so the ACK does not wait for it."""
    close_old_connections()
    try:
        context = audit.AuditContext(client_address=peer or None, user_agent="HL7 v2 MLLP", purpose="TREAT")
        with audit.audit_context(context):
            return do_receive(text, defer_work=True).ack
    finally:
        close_old_connections()


async def handle(reader: hl7.mllp.HL7StreamReader, writer: hl7.mllp.HL7StreamWriter) -> None:
    peer = writer.get_extra_info("peername")
    address = peer[0] if isinstance(peer, tuple) else ""
    try:
        while True:
            try:
                block = await reader.readblock()
            except asyncio.IncompleteReadError:
                return  # the sender closed the connection
            except (hl7.mllp.InvalidBlockError, ValueError) as exc:
                logger.warning("MLLP from %s: not a frame (%s); closing the connection", address, exc)
                return
            try:
                ack = await asyncio.to_thread(receive, decode(block), address)
            except Exception:
                # Nothing kept (the database cannot be reached …): no answer, so the engine sends it again.
                logger.exception(
                    "MLLP from %s: the message could not be kept; closing without an ACK", address
                )
                return
            writer.writeblock(ack.encode("utf-8"))
            await writer.drain()
    except ConnectionError:
        return
    finally:
        writer.close()


async def serve(host: str, port: int, ready: Callable[[int], None] | None = None) -> None:
    """Listen until cancelled. `ready` is told the port (the one the system chose when `port` is 0)."""
    server = await hl7.mllp.start_hl7_server(handle, host, port, limit=MAX_MESSAGE_BYTES)
    async with server:
        if ready is not None:
            ready(server.sockets[0].getsockname()[1])
        await server.serve_forever()


# --- several worker processes (adt listen --workers N) -----------------------------------------------------------
HANDED = b"C"  # a connection's socket comes with this byte (the dispatcher to a worker)
READY = b"R"  # the worker is set up and takes connections (a worker to the dispatcher, once)


async def _serve_socket(sock: socket.socket) -> None:
    """Serve a connection accepted by another process, as `serve` serves its own."""
    loop = asyncio.get_running_loop()
    reader = hl7.mllp.HL7StreamReader(limit=MAX_MESSAGE_BYTES, loop=loop)
    protocol = hl7.mllp.HL7StreamProtocol(reader, handle, loop=loop)
    await loop.connect_accepted_socket(lambda: protocol, sock)


async def serve_handed(channel: socket.socket, ready: Callable[[], None] | None = None) -> None:
    """A worker: serve each connection handed over `channel` until the dispatcher closes it (or is gone)."""
    loop = asyncio.get_running_loop()
    channel.setblocking(False)
    ended: asyncio.Future[None] = loop.create_future()
    running: set[asyncio.Task[None]] = set()

    def take() -> None:
        try:
            data, fds, _, _ = socket.recv_fds(channel, 64, 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, fds = b"", []
        for fd in fds:
            task = loop.create_task(_serve_socket(socket.socket(fileno=fd)))
            running.add(task)
            task.add_done_callback(running.discard)
        if not data and not ended.done():
            ended.set_result(None)

    loop.add_reader(channel.fileno(), take)
    try:
        if ready is not None:
            ready()
        await ended
    finally:
        loop.remove_reader(channel.fileno())


def dispatch(
    listening: socket.socket,
    workers: Sequence[socket.socket],
    replace: Callable[[int], socket.socket] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Accept connections on `listening` and hand each to the next worker in turn, until `stop()`. A worker whose
    channel ends (it died) is replaced by `replace(i)`'s new channel, or left out when there is none."""
    channels: list[socket.socket | None] = list(workers)
    turn = 0
    while not stop():
        alive = [c for c in channels if c is not None]
        if not alive:
            raise RuntimeError("no ADT worker is left to hand connections to")
        readable, _, _ = select.select([listening, *alive], [], [], 0.5)
        for channel in readable:
            if channel is listening:
                continue
            if channel.recv(64) == b"":  # a worker's end closed: it stopped
                i = channels.index(channel)
                channel.close()
                logger.warning("ADT worker %d stopped; %s", i, "starting another" if replace else "left out")
                channels[i] = replace(i) if replace is not None else None
        if listening not in readable:
            continue
        try:
            conn, _ = listening.accept()
        except (BlockingIOError, InterruptedError):
            continue
        with conn:
            for _ in range(len(channels)):
                target, turn = channels[turn % len(channels)], turn + 1
                if target is None:
                    continue
                try:
                    socket.send_fds(target, [HANDED], [conn.fileno()])
                    break
                except OSError:
                    continue  # a worker that just died: the next one takes it; the loop above replaces it
            else:
                logger.warning("ADT connection dropped: no worker took it")
