"""Django's SQLite backend, with writers taking turns outside SQLite.

SQLite lets one writer in at a time. A writer that finds the lock taken waits in SQLite's busy handler, which
sleeps in growing steps (up to 100 ms) between tries, so under many small writes (every API read writes its
audit events) most of the time went on sleeping while the lock was free, and the longest waits grew without
bound. Here the writers of every thread and process queue on an advisory lock on a file beside the database
(`flock`, one open file per connection) before `BEGIN IMMEDIATE`, trying every millisecond, so the next writer
goes in as soon as the last one commits. The turn is given back when the transaction ends (commit or
rollback), before its on-commit work runs. A writer that cannot get its turn within the busy timeout gets
`database is locked`, answered 503 (core.database). SQLite's own lock and busy timeout stay underneath for
writers that do not come through here (autocommit statements, other programs). In-memory databases (tests)
are left as they are."""

from __future__ import annotations

import fcntl
import os
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _turn_fd: int | None = None
    _has_turn = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._give_turn()
            raise

    def _set_autocommit(self, autocommit: bool) -> None:
        super()._set_autocommit(autocommit)  # type: ignore[misc]
        if autocommit:
            self._give_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._give_turn()
            if self._turn_fd is not None:
                os.close(self._turn_fd)
                self._turn_fd = None

    def _take_turn(self) -> None:
        if self._has_turn or self.is_in_memory_db():
            return
        if self._turn_fd is None:
            self._turn_fd = os.open(
                f"{self.settings_dict['NAME']}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600
            )
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._turn_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked (no turn to write)") from None
                time.sleep(0.001)
            else:
                self._has_turn = True
                return

    def _give_turn(self) -> None:
        if self._has_turn and self._turn_fd is not None:
            fcntl.flock(self._turn_fd, fcntl.LOCK_UN)
        self._has_turn = False
