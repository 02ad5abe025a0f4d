"""`careconductor adt listen | import | feed`: the HL7 v2 ADT feed from the command line (docs/hl7v2.md)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.transitions import hl7v2
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.listener import READY, decode, dispatch, serve, serve_handed
from careconductor.transitions.models import Feed


class Command(BaseCommand):
    help = (
        "HL7 v2 ADT: `adt listen --port 2575` (MLLP over TCP), `adt import FILE|FOLDER` (message files, framed "
        "or not), `adt feed add|list` (the hospitals that send)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listen = sub.add_parser("listen", help="Receive messages over MLLP until stopped (Ctrl+C)")
        listen.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: all)")
        listen.add_argument("--port", type=int, default=2575)
        listen.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CARECONDUCTOR_ADT_WORKERS", "1")),
            help="processes that apply messages (default 1, or CARECONDUCTOR_ADT_WORKERS); each connection "
            "stays with one of them, so its messages are applied in the order sent",
        )
        listen.add_argument(
            "--worker-channel", type=int, help=argparse.SUPPRESS
        )  # a worker's, from its parent
        importing = sub.add_parser(
            "import", help="Receive the messages in a file, or in every file of a folder"
        )
        importing.add_argument("path")
        feed = sub.add_parser("feed", help="Set up the hospitals whose messages are received")
        feed_sub = feed.add_subparsers(dest="feed_verb", required=True)
        add = feed_sub.add_parser("add", help="Add a feed (as an administrator)")
        add.add_argument("--admin", required=True, help="username of an administrator of the organisation")
        add.add_argument("--name", required=True, help="the hospital, as staff know it")
        add.add_argument("--facility", required=True, help="MSH-4 of its messages")
        add.add_argument(
            "--mrn-authority", default="", help="PID-3's assigning authority (default: facility)"
        )
        feed_sub.add_parser("list", help="List the feeds")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "listen" and opts["worker_channel"] is not None:
            self._work(opts["worker_channel"])
        elif verb == "listen" and opts["workers"] > 1:
            self._listen_with_workers(opts["host"], opts["port"], opts["workers"])
        elif verb == "listen":
            self._listen(opts["host"], opts["port"])
        elif verb == "import":
            self._import(Path(opts["path"]))
        elif opts["feed_verb"] == "add":
            admin = User.objects.filter(username=opts["admin"], is_active=True).first()
            if admin is None:
                raise CommandError(f"There is no active user {opts['admin']!r}.")
            try:
                made = do_create_feed(
                    admin,
                    name=opts["name"],
                    sending_facility=opts["facility"],
                    mrn_authority=opts["mrn_authority"],
                )
            except ActionRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Feed {made.name}: messages with MSH-4 {made.sending_facility} are received.")
        else:
            for f in Feed.objects.select_related("organization").order_by("name"):
                state = "active" if f.active else "paused"
                self.stdout.write(f"{f.sending_facility:<16} {f.name}  ({f.organization}, {state})")

    def _listen(self, host: str, port: int) -> None:
        def ready(bound: int) -> None:
            self.stdout.write(f"Receiving HL7 v2 ADT over MLLP on {host}:{bound} (Ctrl+C stops it)")
            self.stdout.flush()

        try:
            asyncio.run(serve(host, port, ready))
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from exc

    def _listen_with_workers(self, host: str, port: int, workers: int) -> None:
        """This process accepts connections and hands each to one of `workers` child processes (listener.dispatch);
        a child that dies is replaced. SIGINT or SIGTERM stop them all."""
        try:
            listening = socket.create_server((host, port), backlog=128)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        children: dict[int, subprocess.Popen[bytes]] = {}

        def start(i: int) -> socket.socket:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            with theirs:
                children[i] = subprocess.Popen(
                    [sys.executable, "-m", "careconductor.cli", "adt", "listen", "--worker-channel", str(theirs.fileno())],
                    pass_fds=(theirs.fileno(),),
                )  # fmt: skip
            ours.settimeout(120)
            if ours.recv(1) != READY:
                raise CommandError(f"ADT worker {i} did not start.")
            ours.settimeout(None)
            return ours

        stopping: list[bool] = []

        def stop_now(signum: int, frame: object) -> None:
            stopping.append(True)

        previous = signal.signal(signal.SIGTERM, stop_now)
        channels: list[socket.socket] = []
        try:
            channels = [start(i) for i in range(workers)]
            bound = listening.getsockname()[1]
            self.stdout.write(
                f"Receiving HL7 v2 ADT over MLLP on {host}:{bound} with {workers} worker processes (Ctrl+C stops it)"
            )
            self.stdout.flush()
            dispatch(listening, channels, replace=start, stop=lambda: bool(stopping))
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            listening.close()
            for channel in channels:
                channel.close()  # each worker stops when its channel ends, after the message in hand
            for child in children.values():
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        self.stdout.write("Stopped.")

    def _work(self, fd: int) -> None:
        """A worker process of `_listen_with_workers`: serve the connections its parent hands over."""
        channel = socket.socket(fileno=fd)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the parent stops us
        try:
            asyncio.run(serve_handed(channel, lambda: channel.sendall(READY)))
        finally:
            channel.close()

    def _import(self, path: Path) -> None:
        if not path.exists():
            raise CommandError(f"No such file or folder: {path}")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        outcomes: Counter[str] = Counter()
        for file in files:
            for text in hl7v2.split_batch(decode(file.read_bytes())):
                message = do_receive(text).message
                outcomes[message.outcome] += 1
                if message.outcome != "applied":
                    what = f"{file.name} {message.control_id or '(no control id)'}"
                    self.stdout.write(f"  {what}: {message.get_outcome_display()} - {message.reason}")
        total = sum(outcomes.values())
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())) or "none"
        self.stdout.write(f"{total} message(s) from {len(files)} file(s): {counts}")
