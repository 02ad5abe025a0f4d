from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    SUPERVISOR = "supervisor", "Supervisor"
    CASE_MANAGER = "case_manager", "Case manager"
    CARE_TEAM = "care_team", "Care team member"
    UM_REVIEWER = "um_reviewer", "UM reviewer"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    # Sees the organisation's members in registries and risk tiers (names, tiers, reasons), never a chart.
    POPULATION_HEALTH = "population_health", "Population health analyst"
    PATIENT = "patient", "Patient"
    # A receiving organisation's log-in (referrals.PartnerAccount): it belongs to no organisation of ours and
    # sees only the referrals sent to its own organisation.
    PARTNER = "partner", "Partner organisation"


STAFF_ROLES = frozenset(Role) - {Role.PATIENT, Role.PARTNER}


class ExperienceLevel(models.TextChoices):
    # Benner's novice-to-expert stages, which case management programmes use for assignment rules.
    NOVICE = "novice", "Novice"
    COMPETENT = "competent", "Competent"
    PROFICIENT = "proficient", "Proficient"
    EXPERT = "expert", "Expert"


class Discipline(models.TextChoices):
    NURSE = "nurse", "Registered nurse"
    SOCIAL_WORK = "social_work", "Social worker"
    CHW = "chw", "Community health worker"
    PHYSICIAN = "physician", "Physician"
    PHARMACIST = "pharmacist", "Pharmacist"
    THERAPIST = "therapist", "Therapist"
    ADMINISTRATION = "administration", "Administration"
    PRIVACY = "privacy", "Privacy and compliance"
