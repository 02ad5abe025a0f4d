from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class AppointmentsConfig(AppConfig):
    name = "careconductor.appointments"
    label = "appointments"
    verbose_name = "Appointments"

    def ready(self) -> None:
        from careconductor.referrals.hooks import after_create

        from . import rules, worklist  # noqa: F401  (worklist registers its rows)
        from .rides import link_ride_of_new_referral

        after_create(link_ride_of_new_referral)

        _, problem = rules.parse_offsets(settings.APPOINTMENT_REMINDERS)
        if problem:
            raise ImproperlyConfigured(f"CARECONDUCTOR_APPOINTMENT_REMINDERS: {problem}")
