"""What the database says when it is busy rather than broken.

SQLite takes its write lock at BEGIN (settings: `transaction_mode` IMMEDIATE) and waits up to the busy timeout
for it; a writer that still finds the lock taken gets `OperationalError: database is locked`. PostgreSQL
answers a deadlock, a lock timeout or a serialization failure the same way. None of these is a fault of the
request: it is answered 503 with Retry-After (privacy.middleware, fhir.views), never 500, and nothing of the
request was changed, since the transaction that hit it was rolled back."""

from __future__ import annotations

from django.db import OperationalError

# Seconds a client is told to wait before trying again.
RETRY_AFTER_SECONDS = 2

_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")
# SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available.
_POSTGRES_BUSY = {"40001", "40P01", "55P03"}


def is_busy(exc: BaseException) -> bool:
    """Whether the exception is the database refusing for now (a lock), not a failure of the request."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _POSTGRES_BUSY:
        return True
    return any(text in str(exc) for text in _SQLITE_BUSY)
