"""Text messages to staff, through a backend named by settings.SMS_BACKEND (like Django's e-mail backends).

A real provider plugs in as a class with a `send(to, body)` method that raises on failure (the caller retries),
for example::

    class TwilioBackend:
        def __init__(self) -> None:
            self.client = twilio.rest.Client(os.environ["TWILIO_SID"], os.environ["TWILIO_TOKEN"])

        def send(self, to: str, body: str) -> None:
            self.client.messages.create(to=to, from_=os.environ["TWILIO_FROM"], body=body)

and is chosen with CARECONDUCTOR_SMS_BACKEND=mypackage.sms.TwilioBackend. The two backends here need no
provider: ConsoleBackend logs each message, LocmemBackend keeps them in `outbox` for tests.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from typing import Protocol, TextIO

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None: ...


class ConsoleBackend:
    """Writes each message as one line to stdout, as Django's console e-mail backend does."""

    _lock = threading.Lock()

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, to: str, body: str) -> None:
        with self._lock:
            self.stream.write(f"SMS to {to}: {body}\n")
            self.stream.flush()


# Messages sent through LocmemBackend, oldest first. Tests clear it.
outbox: list[SmsMessage] = []


class LocmemBackend:
    def send(self, to: str, body: str) -> None:
        outbox.append(SmsMessage(to, body))


def get_backend() -> SmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    backend: SmsBackend = backend_class()
    return backend


def send_sms(to: str, body: str) -> None:
    """Send one text message. Raises what the backend raises, so a queued delivery is retried."""
    to = to.strip()
    if not to:
        raise ValueError("An SMS needs a number to send to.")
    get_backend().send(to, body)
    logger.info("SMS sent through %s", settings.SMS_BACKEND)
