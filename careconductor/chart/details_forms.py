"""Forms of the patient's Details page: who they are, their identifiers in other systems, coverage, hospital and
ED visits, caregivers, and a new referral into a programme."""

from __future__ import annotations

from typing import Any

from django import forms

from careconductor.cases.choices import Program, ReferralSource
from careconductor.coordination.forms import DateTimeInput
from careconductor.patients.choices import (
    IDENTIFIER_SYSTEMS,
    AdmissionType,
    ContactRelationship,
    CoverageKind,
    DischargeDisposition,
    EncounterClass,
)
from careconductor.patients.forms import DateInput

from .forms import NewPatientForm

REFERRAL_FIELDS = ("program", "referral_source", "referral_reason", "confirm_not_duplicate")


class DemographicsForm(NewPatientForm):
    """The registration form's fields about the person, without the referral."""

    preferred_name = forms.CharField(label="Preferred name", required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in REFERRAL_FIELDS:
            del self.fields[name]


class IdentifierForm(forms.Form):
    # Field names unlike the coverage form's, so the ids on the one page stay unique.
    identifier_kind = forms.ChoiceField(
        label="Kind of number", choices=[(key, label) for key, (_system, label) in IDENTIFIER_SYSTEMS.items()]
    )
    number = forms.CharField(label="Number", max_length=100)


class ChangeIdentifierForm(forms.Form):
    identifier = forms.IntegerField(widget=forms.HiddenInput)
    number = forms.CharField(label="Number", max_length=100)


class RemoveIdentifierForm(forms.Form):
    identifier = forms.IntegerField(widget=forms.HiddenInput)


class CoverageForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=CoverageKind.choices)
    payer = forms.CharField(label="Payer", max_length=200)
    plan_name = forms.CharField(label="Plan", max_length=200, required=False)
    member_id = forms.CharField(label="Member ID", max_length=60, required=False)
    start_date = forms.DateField(label="From", widget=DateInput)
    end_date = forms.DateField(label="Until", widget=DateInput, required=False)


class EndCoverageForm(forms.Form):
    coverage = forms.IntegerField(widget=forms.HiddenInput)
    end_date = forms.DateField(label="Last day covered", widget=DateInput)


class EncounterForm(forms.Form):
    encounter_class = forms.ChoiceField(
        label="Kind of visit",
        choices=[
            (c.value, c.label)
            for c in (EncounterClass.INPATIENT, EncounterClass.EMERGENCY, EncounterClass.OBSERVATION)
        ],
    )
    facility = forms.CharField(label="Hospital or facility", max_length=200)
    start = forms.DateTimeField(
        label="Admitted / arrived", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    end = forms.DateTimeField(
        label="Discharged / left",
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M"],
        required=False,
        help_text="A discharge in the last 30 days starts transitional care on the worklist.",
    )
    admission_type = forms.ChoiceField(
        label="Admission", choices=[("", "—"), *AdmissionType.choices], required=False
    )
    discharge_disposition = forms.ChoiceField(
        label="Discharged to", choices=[("", "—"), *DischargeDisposition.choices], required=False
    )
    reason = forms.CharField(label="Reason", max_length=200, required=False)


class RelatedPersonForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    relationship = forms.ChoiceField(label="Relationship", choices=ContactRelationship.choices)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    is_caregiver = forms.BooleanField(label="Caregiver", required=False)
    is_emergency_contact = forms.BooleanField(label="Emergency contact", required=False)


class ReferralForm(forms.Form):
    program = forms.ChoiceField(label="Programme", choices=Program.choices)
    referral_source = forms.ChoiceField(label="Referred by", choices=ReferralSource.choices)
    referral_reason = forms.CharField(label="Reason for referral", widget=forms.Textarea(attrs={"rows": 3}))
    acuity_tier = forms.TypedChoiceField(
        label="Acuity",
        coerce=int,
        choices=[(1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3"), (4, "Tier 4")],
        initial=2,
    )
