"""The MLLP listener run for a test: on a free port, in a thread with its own event loop (the browser tests' sync
Playwright keeps an event loop on the main thread), the messages applied in one worker thread whose database
connection is closed at the end (PostgreSQL refuses to drop a database still in use)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

from careconductor.transitions.listener import serve


@contextlib.contextmanager
def listener_thread() -> Iterator[int]:
    """The listener running; its port."""
    loop = asyncio.new_event_loop()
    worker = ThreadPoolExecutor(1, thread_name_prefix="mllp-receive")
    loop.set_default_executor(worker)  # asyncio.to_thread, where the listener applies each message
    port: list[int] = []
    started = threading.Event()

    def ready(bound: int) -> None:
        port.append(bound)
        started.set()

    task = loop.create_task(serve("127.0.0.1", 0, ready))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield port[0]
    finally:

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        worker.submit(connections.close_all).result(10)
        worker.shutdown()
        loop.close()
