"""The MLLP listener: hospitals' interface engines connect over TCP and send ADT messages framed as MLLP
(0x0B message 0x1C 0x0D); each is answered on the same connection with its acknowledgement.

python-hl7's asyncio MLLP server reads the frames (`readblock` buffers a frame split across reads, or several
in one); each message is then handed to `actions.do_receive` in a worker thread (the ORM is synchronous), one
at a time per connection, so a sender's messages are applied in the order sent. A frame that is not MLLP ends
the connection (the sender reconnects and resends); a message that cannot be read is answered AR and kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

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
    """do_receive in a thread of its own, with the audit context of the connection; the ACK."""
    close_old_connections()
    try:
        context = audit.AuditContext(client_address=peer or None, user_agent="HL7 v2 MLLP", purpose="TREAT")
        with audit.audit_context(context):
            return do_receive(text).ack
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
            ack = await asyncio.to_thread(receive, decode(block), address)
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
