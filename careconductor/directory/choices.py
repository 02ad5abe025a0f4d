"""The words of the community resource directory: the needs a service meets (the SDOH domains the assessments
find, and clinical ones), a service's status and a location's type as Open Referral HSDS 3.0 has them."""

from __future__ import annotations

from django.db import models


class Need(models.TextChoices):
    FOOD = "food", "Food"
    HOUSING = "housing", "Housing"
    TRANSPORT = "transport", "Transport"
    UTILITIES = "utilities", "Utilities"
    SAFETY = "safety", "Personal safety"
    FINANCIAL = "financial", "Financial strain"
    ISOLATION = "isolation", "Social isolation"
    BEHAVIOURAL = "behavioural-health", "Behavioural health"
    SUBSTANCE_USE = "substance-use", "Substance use"
    PHARMACY = "pharmacy", "Pharmacy and medicines"
    HOME_HEALTH = "home-health", "Home health and help at home"


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


class LocationType(models.TextChoices):
    PHYSICAL = "physical", "A place to visit"
    POSTAL = "postal", "A postal address"
    VIRTUAL = "virtual", "By phone or online"
