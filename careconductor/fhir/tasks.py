"""Background work of the FHIR API (huey, found by this module's name).

run_export   a Bulk Data `$export` a client asked for (bulk.run), queued when the kick-off commits
"""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_task  # type: ignore[import-untyped]

from . import bulk

logger = logging.getLogger(__name__)


@db_task(name="fhir.run_export")
def run_export(job_id: str) -> None:
    job = bulk.run(job_id)
    if job is not None:
        logger.info("$export %s: %s", job.pk, job.status)
