"""The community resource directory (issue 20) in the Open Referral HSDS 3.0 shape: the organisations that
provide services (HSDS organization, called Provider here beside the tenant's own Organization), their services,
the locations they are delivered at, phones and weekly schedules. Each organisation keeps its own directory; the
HSDS ids (UUIDs) are kept so a package imported again updates rather than duplicates, and are what an export
gives. Changes only through directory.actions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel

from .choices import LocationType, ServiceStatus


class Provider(TimestampedModel):
    """An organisation that provides services (HSDS organization)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    hsds_id = models.UUIDField(default=uuid.uuid4)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # A clinic or a health plan may receive what treatment needs without a separate consent (HIPAA allows
    # disclosure for treatment); a food bank or another community organisation may not (clinical.md §10.1 step 4).
    hipaa_covered = models.BooleanField(
        default=False,
        help_text="A HIPAA covered entity (a clinic, a hospital, a health plan). Community organisations are not.",
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "hsds_id"], name="provider_hsds_id_once")
        ]

    def __str__(self) -> str:
        return self.name


class Service(TimestampedModel):
    """A service a provider offers (HSDS service), with the needs it meets, the languages spoken, who it is for
    and what it costs, and when someone last checked it is as described."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="services")
    hsds_id = models.UUIDField(default=uuid.uuid4)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    application_process = models.TextField(blank=True, help_text="How to apply or be referred.")
    needs = models.JSONField(default=list, blank=True)  # choices.Need values
    languages = models.JSONField(default=list, blank=True)  # ISO 639-1 codes
    free = models.BooleanField(null=True, blank=True)  # None: not said
    fees_description = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    verified_on = models.DateField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "hsds_id"], name="service_hsds_id_once")
        ]

    def __str__(self) -> str:
        return self.name


class Location(TimestampedModel):
    """Where services are delivered (HSDS location with its physical address), with stored coordinates for
    distances."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="locations"
    )
    hsds_id = models.UUIDField(default=uuid.uuid4)
    name = models.CharField(max_length=200, blank=True)
    location_type = models.CharField(
        max_length=10, choices=LocationType.choices, default=LocationType.PHYSICAL
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    address_1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state_province = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)  # ISO 3166-1 alpha-2
    transportation = models.TextField(blank=True, help_text="Bus lines, parking.")
    services = models.ManyToManyField(Service, through="ServiceAtLocation", related_name="locations")

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "hsds_id"], name="location_hsds_id_once")
        ]
        # The search's box around a place (queries._in_box) is a range on both.
        indexes = [models.Index(fields=["latitude", "longitude"], name="location_lat_lon_idx")]

    def __str__(self) -> str:
        return self.name or self.address_1


class ServiceAtLocation(models.Model):
    hsds_id = models.UUIDField(default=uuid.uuid4)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="service_at_location_once")
        ]

    def __str__(self) -> str:
        return f"service {self.service_id} at location {self.location_id}"


class Phone(models.Model):
    """A phone number of a service (else of its provider or a location)."""

    hsds_id = models.UUIDField(default=uuid.uuid4)
    number = models.CharField(max_length=40)
    extension = models.CharField(max_length=20, blank=True)
    type = models.CharField(max_length=20, blank=True)  # RFC 6350: voice, text, fax, cell …
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.number + (f" ext. {self.extension}" if self.extension else "")


class Schedule(models.Model):
    """When a service is open: weekly on some days (iCalendar BYDAY codes) from `opens_at` to `closes_at`
    local time (closing at or before opening runs past midnight), between optional first and last days."""

    hsds_id = models.UUIDField(default=uuid.uuid4)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules")
    days = models.JSONField(default=list)  # "MO" … "SU"
    opens_at = models.TimeField()
    closes_at = models.TimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{','.join(self.days)} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"

    @property
    def days_words(self) -> str:
        from .rules import days_words

        return days_words(self.days)


class ServiceNeed(models.Model):
    """One need a service meets, as its own row so a search by need is an indexed lookup (Service.needs is the
    list as the service has it; actions keep the two together)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    need = models.CharField(max_length=24)

    class Meta:
        indexes = [models.Index(fields=["need", "service"], name="serviceneed_need_idx")]
        constraints = [models.UniqueConstraint(fields=["service", "need"], name="service_need_once")]

    def __str__(self) -> str:
        return f"service {self.service_id}: {self.need}"
