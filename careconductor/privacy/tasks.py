"""Background work of the privacy app (huey, found by this module's name).

anchor_audit_chain   every 15 minutes: the audit chain's head is appended to the anchor file outside the database
                     (anchor.py), so a chain cut back or emptied since is caught by `audit verify`
"""

from __future__ import annotations

from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task  # type: ignore[import-untyped]

from .anchor import anchor_head


@db_periodic_task(crontab(minute="*/15"))
def anchor_audit_chain() -> int | None:
    """The anchored event's number (None when the head's seal did not match and nothing was anchored)."""
    anchor = anchor_head()
    return anchor.seq if anchor else None
