"""Background work of population health (huey, found by this module's name).

nightly_stratification   every hour on the hour: each organisation that has stratified its members before (an
                         administrator ran it once) and where it is now 02:00 in its own time zone is stratified
                         again, so the tiers follow the night's imports and the day's admissions
"""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, lock_task  # type: ignore[import-untyped]

from careconductor.accounts.models import Organization
from careconductor.core import clock
from careconductor.core.zones import organisation_zone
from careconductor.privacy import audit

from .models import StratificationRun
from .stratify import do_stratify

logger = logging.getLogger(__name__)
CONTEXT = audit.AuditContext(user_agent="careconductor worker (nightly stratification)", purpose="HOPERAT")
LOCK = lock_task("population.nightly_stratification")
NIGHT_HOUR = 2


@db_periodic_task(crontab(minute="0"))
def nightly_stratification() -> int:
    done = 0
    with LOCK, audit.audit_context(CONTEXT):
        ran_before = StratificationRun.objects.values("organization_id").distinct()
        for org in Organization.objects.filter(pk__in=ran_before).order_by("pk"):
            with organisation_zone(org.time_zone):
                if timezone.localtime(clock.now()).hour != NIGHT_HOUR:
                    continue
            run = do_stratify(None, org.pk)
            logger.info("Stratified %d members of %s in %.1f s", run.members, org.name, run.seconds)
            done += 1
    return done
