from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models.functions import Lower

from careconductor.accounts.models import Organization
from careconductor.core.languages import language_name
from careconductor.core.models import TimestampedModel
from careconductor.privacy.choices import Sensitivity

from .choices import (
    MRN_SYSTEM,
    NO_KNOWN_ALLERGIES,
    AdmissionType,
    AllergyCategory,
    AllergyCriticality,
    AllergyStatus,
    AllergyVerification,
    CareTeamCategory,
    ClinicalStatus,
    ConditionCategory,
    ContactMethod,
    ContactRelationship,
    CoverageKind,
    DischargeDisposition,
    EncounterClass,
    IdentifierUse,
    ReactionSeverity,
    Sex,
)
from .rules import digits, search_key


class Patient(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="patients")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField()
    sex = models.CharField(max_length=16, choices=Sex.choices)
    gender_identity = models.CharField(max_length=100, blank=True)
    preferred_language = models.CharField(max_length=8, default="en")
    interpreter_needed = models.BooleanField(default=False)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    preferred_contact_method = models.CharField(
        max_length=16, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    preferred_contact_times = models.CharField(max_length=100, blank=True, help_text="e.g. weekday mornings")
    learning_preferences = models.JSONField(default=list, blank=True)
    health_literacy_concern = models.BooleanField(
        default=False, help_text="Limited health literacy: use plain language and teach-back."
    )
    deceased_date = models.DateField(null=True, blank=True)
    portal_user = models.OneToOneField(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient_record",
        help_text="The patient's own log-in (portal and patient-facing apps): it sees this record only.",
    )
    # Set when an administrator merged this record into another (patients/merge.py): the record is kept, never
    # deleted, so old links and FHIR reads of it lead to the record that replaced it.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records", editable=False
    )

    # Kept by save() for search: the names folded (no accents, lower case) and the phone's digits.
    search_names = models.CharField(max_length=320, blank=True, editable=False)
    phone_digits = models.CharField(max_length=40, blank=True, editable=False)
    # When the patient was last reached: the latest reached contact of the contact log, kept by the contact
    # actions (coordination.reach.refresh_last_reached) so the worklist and the team view read it from the row
    # instead of looking it up in the log per case (issue 18). save() never writes it (see there).
    last_reached_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(Lower("family_name"), Lower("given_name"), name="patient_name_idx"),
            models.Index(fields=["organization", "birth_date"], name="patient_org_birth_idx"),
            # The patient list's order, within an organisation.
            models.Index(
                fields=["organization", "family_name", "given_name", "id"], name="patient_org_name_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_names = search_key(self.given_name, self.family_name, self.preferred_name)
        self.phone_digits = digits(self.phone)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_names", "phone_digits"}
        elif not self._state.adding and not kwargs.get("force_insert"):
            # A record read before a contact was logged and saved after it must not put the old moment back:
            # last_reached_at is the contact log's to write.
            kwargs["update_fields"] = {
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "last_reached_at"
            }
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def language_display(self) -> str:
        return language_name(self.preferred_language)

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def mrn(self) -> str:
        # Uses the prefetched identifiers when present, so list pages do not query per row. A merged-in
        # duplicate's MRN is kept as old: the record's own MRN comes first.
        mrns = [i for i in self.identifiers.all() if i.system == MRN_SYSTEM]
        mrns.sort(key=lambda i: (i.use == IdentifierUse.OLD, i.pk))
        return mrns[0].value if mrns else ""


class PatientIdentifier(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    system = models.CharField(max_length=200, help_text="URI of the assigning authority")
    value = models.CharField(max_length=100)
    label = models.CharField(max_length=50, blank=True, help_text="e.g. MRN, Medicaid ID")
    use = models.CharField(max_length=8, choices=IdentifierUse.choices, default=IdentifierUse.USUAL)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "system", "value"], name="identifier_unique_in_org"
            )
        ]
        indexes = [models.Index(fields=["value"], name="identifier_value_idx")]

    def __str__(self) -> str:
        return f"{self.label or self.system}: {self.value}"


class PatientContact(TimestampedModel):
    """A caregiver or emergency contact (FHIR RelatedPerson)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=16, choices=ContactRelationship.choices)
    phone = models.CharField(max_length=40, blank=True)
    is_caregiver = models.BooleanField(default=False)
    is_emergency_contact = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"


class Coverage(TimestampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    kind = models.CharField(max_length=24, choices=CoverageKind.choices)
    payer = models.CharField(max_length=200)
    plan_name = models.CharField(max_length=200, blank=True)
    member_id = models.CharField(max_length=60, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    # The key of a row brought in by a population import ("<source>|<id in the source>"): importing the same file
    # again finds it and writes nothing (population/importing.py). Empty for rows made here.
    source_key = models.CharField(max_length=110, blank=True, editable=False)

    def __str__(self) -> str:
        return f"{self.payer} {self.plan_name}".strip()


class Condition(TimestampedModel):
    """An entry on the problem list, coded in ICD-10-CM; or a health concern (a need such as food insecurity
    found by an assessment or named by the patient), which has a code only where one fits."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    category = models.CharField(
        max_length=20, choices=ConditionCategory.choices, default=ConditionCategory.PROBLEM_LIST
    )
    # A health concern's own code (e.g. the finding domain "food-insecurity"), beside any ICD-10-CM code.
    concern_code = models.CharField(max_length=40, blank=True)
    icd10_code = models.CharField(max_length=10, blank=True)
    display = models.CharField(max_length=200)
    chronic = models.BooleanField(default=True)
    clinical_status = models.CharField(
        max_length=16, choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE
    )
    onset_date = models.DateField(null=True, blank=True)
    sensitivity = models.CharField(
        max_length=16, choices=Sensitivity.choices, blank=True, default=Sensitivity.NORMAL
    )
    # The key of a row brought in by a population import ("<source>|<id in the source>"): importing the same file
    # again finds it and writes nothing (population/importing.py). Empty for rows made here.
    source_key = models.CharField(max_length=110, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["icd10_code"], name="condition_code_idx")]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.display}".strip()


class Encounter(TimestampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="encounters")
    encounter_class = models.CharField(max_length=8, choices=EncounterClass.choices)
    facility = models.CharField(max_length=200, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    admission_type = models.CharField(max_length=16, choices=AdmissionType.choices, blank=True)
    discharge_disposition = models.CharField(max_length=16, choices=DischargeDisposition.choices, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(
        max_length=20, default="manual", help_text="manual, hl7v2, fhir, import or demo"
    )
    # The key of a row brought in by a population import ("<source>|<id in the source>"): importing the same file
    # again finds it and writes nothing (population/importing.py). Empty for rows made here.
    source_key = models.CharField(max_length=110, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["patient", "-start"], name="encounter_patient_start_idx")]

    def __str__(self) -> str:
        return f"{self.get_encounter_class_display()} {self.start:%Y-%m-%d}"


class CareTeamMember(TimestampedModel):
    """A staff member on the patient's care team. Membership grants chart access for its period."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_team_memberships",
        help_text="Staff with a log-in; empty for a person outside the system",
    )
    # A person outside the system (a family caregiver, a community worker) has a name and contact instead.
    name = models.CharField(max_length=200, blank=True)
    organization_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    category = models.CharField(
        max_length=16, choices=CareTeamCategory.choices, default=CareTeamCategory.OTHER
    )
    role = models.CharField(max_length=100, help_text="e.g. primary care physician, pharmacist")
    is_lead = models.BooleanField(default=False, help_text="Leads the team (one lead at a time)")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "patient"], name="careteam_user_patient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(name=""), name="careteam_member_named"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="careteam_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} as {self.role}"

    @property
    def display_name(self) -> str:
        return self.user.display_name() if self.user_id and self.user else self.name

    @property
    def is_external(self) -> bool:
        return self.user_id is None

    def is_current(self, today: dt.date) -> bool:
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)


class Note(TimestampedModel):
    """A clinical note on the chart. Sensitive notes (Part 2, psychotherapy) are shown only as privacy.policy
    allows."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    sensitivity = models.CharField(
        max_length=16, choices=Sensitivity.choices, blank=True, default=Sensitivity.NORMAL
    )
    text = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["patient", "-written_at"], name="note_patient_time_idx")]

    def __str__(self) -> str:
        return f"note {self.pk} by {self.author_id} at {self.written_at:%Y-%m-%d %H:%M}"


class Allergy(TimestampedModel):
    """An allergy or intolerance (FHIR AllergyIntolerance): what, how bad the reaction was, how likely a
    serious one is next time. "No known allergies" is its own entry (NO_KNOWN_ALLERGIES), so an empty list
    still means "not asked"."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(max_length=200)
    # An RxNorm or SNOMED CT code when one is known; the substance's words are what staff read.
    code_system = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=40, blank=True)
    category = models.CharField(
        max_length=16, choices=AllergyCategory.choices, default=AllergyCategory.MEDICATION
    )
    criticality = models.CharField(max_length=20, choices=AllergyCriticality.choices, blank=True)
    clinical_status = models.CharField(
        max_length=12, choices=AllergyStatus.choices, default=AllergyStatus.ACTIVE
    )
    verification = models.CharField(
        max_length=12, choices=AllergyVerification.choices, default=AllergyVerification.UNCONFIRMED
    )
    reaction = models.CharField(max_length=200, blank=True, help_text="e.g. hives, swelling of the lips")
    severity = models.CharField(max_length=12, choices=ReactionSeverity.choices, blank=True)
    onset_date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["patient", "clinical_status"], name="allergy_patient_status_idx")]

    @property
    def is_no_known_allergies(self) -> bool:
        return self.code == NO_KNOWN_ALLERGIES[1] and self.code_system == NO_KNOWN_ALLERGIES[0]

    def __str__(self) -> str:
        return self.substance


class PatientMerge(models.Model):
    """An administrator merged a duplicate record into the record kept (patients/merge.py). Append-only: the
    history a privacy officer reviews. `duplicate_as_was` holds the duplicate's identity at the time (names,
    birth date, identifiers, contact details), never clinical content; `moved` counts what moved, by kind."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kept = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_kept")
    duplicate = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="merge_into_other")
    merged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField()
    reason = models.CharField(max_length=500)
    duplicate_as_was = models.JSONField(default=dict)
    moved = models.JSONField(default=dict, help_text="Kind of record → how many moved")
    notes = models.JSONField(default=list, help_text="What the merge did besides moving rows, in plain words")

    class Meta:
        indexes = [models.Index(fields=["organization", "-merged_at"], name="merge_org_time_idx")]

    def __str__(self) -> str:
        return f"merge {self.duplicate_id} into {self.kept_id} at {self.merged_at:%Y-%m-%d %H:%M}"
