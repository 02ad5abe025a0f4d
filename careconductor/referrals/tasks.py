"""What leaves the system for a receiving organisation: the e-mail with its link (a huey task, queued after the
transaction that made the link commits). It names the referring organisation and nothing about the patient."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from huey.contrib.djhuey import db_task  # type: ignore[import-untyped]


@db_task(retries=3, retry_delay=60)
def send_link(address: str, referring: str, url: str, expires_at: dt.datetime) -> None:
    expires = timezone.localtime(expires_at).strftime("%-d %B %Y")
    send_mail(
        subject=f"A referral from {referring}",
        message=(
            f"{referring} has sent your organisation a referral through CareConductor.\n\n"
            f"Open it with this secure link to accept or decline it, propose a date, or tell us how it went:\n"
            f"{url}\n\n"
            f"The link works once and until {expires}. Do not forward it. After each answer you get a new link "
            "for the next step.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[address],
    )
