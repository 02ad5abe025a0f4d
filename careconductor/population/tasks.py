"""Background work of population health (huey, found by this module's name).

nightly_stratification   every hour on the hour: each organisation that has stratified its members before (an
                         administrator ran it once) and where it is now 02:00 in its own time zone is stratified
                         again, so the tiers follow the night's imports and the day's admissions
import_uploaded          an import an administrator started on the import page
stratify_now             a stratification an administrator asked for on the Population page
send_campaign_texts      a text-message campaign's invitations, after it is saved
"""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab  # type: ignore[import-untyped]
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task  # type: ignore[import-untyped]

from careconductor.accounts.models import Organization, User
from careconductor.core import clock
from careconductor.core.zones import organisation_zone
from careconductor.privacy import audit

from .campaigns import send_texts
from .import_runs import run_import
from .models import StratificationRun
from .stratify import do_stratify

logger = logging.getLogger(__name__)
CONTEXT = audit.AuditContext(user_agent="careconductor worker (nightly stratification)", purpose="HOPERAT")
IMPORT_CONTEXT = audit.AuditContext(user_agent="careconductor worker (import page)", purpose="HOPERAT")
STRATIFY_CONTEXT = audit.AuditContext(user_agent="careconductor worker (stratify now)", purpose="HOPERAT")
CAMPAIGN_CONTEXT = audit.AuditContext(user_agent="careconductor worker (campaign texts)", purpose="HOPERAT")
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


@db_task(name="population.import_uploaded")
def import_uploaded(run_id: int) -> None:
    """An import started on the import page (import_runs.run_import), with the administrator's name on its audit."""
    with audit.audit_context(IMPORT_CONTEXT):
        run = run_import(run_id)
    logger.info("Import %s: %s", run.pk, run.status)


@db_task(name="population.stratify_now")
def stratify_now(user_id: int) -> None:
    """A stratification an administrator asked for on the Population page (stratify.do_stratify)."""
    with audit.audit_context(STRATIFY_CONTEXT):
        run = do_stratify(User.objects.get(pk=user_id))
    logger.info("Stratified %d members in %.1f s (asked on the page)", run.members, run.seconds)


@db_task(name="population.send_campaign_texts", retries=3, retry_delay=300)
def send_campaign_texts(campaign_id: int) -> None:
    """A text-message campaign's invitations (campaigns.send_texts), after the campaign is saved; a failure is
    retried, and only the texts not sent yet go out again."""
    with audit.audit_context(CAMPAIGN_CONTEXT):
        sent = send_texts(campaign_id)
    logger.info("Campaign %s: %d text invitations sent", campaign_id, sent)
