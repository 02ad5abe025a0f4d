"""Forms check input at the edge; field names match the query they build."""

from __future__ import annotations

from django import forms

from careconductor.core.languages import LANGUAGE_CHOICES

from .choices import LocationType, Need, ServiceStatus

WITHIN_MILES = [("", "Any distance"), ("1", "1 mile"), ("3", "3 miles"), ("5", "5 miles"), ("10", "10 miles"),
                ("25", "25 miles")]  # fmt: skip


class SearchForm(forms.Form):
    needs = forms.MultipleChoiceField(
        choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Helps with"
    )
    postal_code = forms.CharField(
        max_length=10,
        required=False,
        label="Near ZIP code",
        help_text="The patient's, or where they will be.",
    )
    within = forms.TypedChoiceField(
        choices=WITHIN_MILES, coerce=int, empty_value=None, required=False, label="Within"
    )
    language = forms.ChoiceField(
        choices=[("", "Any"), *LANGUAGE_CHOICES], required=False, label="Someone speaks"
    )
    open_now = forms.BooleanField(required=False, label="Open now")
    free_only = forms.BooleanField(required=False, label="Free only")
    age = forms.IntegerField(min_value=0, max_value=130, required=False, label="For someone aged")


# Editing the directory (administrators and supervisors). Field names match the actions' details.

COST_CHOICES = [("", "Not said"), ("free", "Free"), ("fees", "There are fees")]
PHONE_TYPES = [("voice", "Voice"), ("text", "Text messages"), ("cell", "Mobile"), ("fax", "Fax"),
               ("video", "Video"), ("textphone", "Textphone (TTY)")]  # fmt: skip
DAY_CHOICES = [("MO", "Monday"), ("TU", "Tuesday"), ("WE", "Wednesday"), ("TH", "Thursday"), ("FR", "Friday"),
               ("SA", "Saturday"), ("SU", "Sunday")]  # fmt: skip
_TEXT = forms.Textarea(attrs={"rows": 3})


class ProviderForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    description = forms.CharField(required=False, widget=_TEXT, label="What it does")
    email = forms.EmailField(required=False, max_length=254, label="E-mail")
    website = forms.URLField(required=False, max_length=200, label="Website", assume_scheme="https")
    hipaa_covered = forms.BooleanField(
        required=False,
        label="A HIPAA covered entity (a clinic, a hospital, a health plan)",
        help_text="Referrals for treatment need no separate consent; community organisations need the patient's "
        "consent to share first.",
    )


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    status = forms.ChoiceField(choices=ServiceStatus.choices, label="Status",
                               help_text="Only active services are found by the search.")  # fmt: skip
    description = forms.CharField(required=False, widget=_TEXT, label="What it offers")
    needs = forms.MultipleChoiceField(
        choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Helps with"
    )
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Languages spoken",
    )
    cost = forms.ChoiceField(choices=COST_CHOICES, required=False, label="Cost")
    fees_description = forms.CharField(required=False, widget=_TEXT, label="Fees")
    eligibility_description = forms.CharField(required=False, widget=_TEXT, label="Who it is for")
    minimum_age = forms.IntegerField(min_value=0, max_value=130, required=False, label="Youngest age")
    maximum_age = forms.IntegerField(min_value=0, max_value=130, required=False, label="Oldest age")
    application_process = forms.CharField(required=False, widget=_TEXT, label="How to apply or be referred")
    url = forms.URLField(required=False, max_length=200, label="Web page", assume_scheme="https")
    email = forms.EmailField(required=False, max_length=254, label="E-mail")
    location_ids = forms.TypedMultipleChoiceField(
        coerce=int, choices=[], required=False, widget=forms.CheckboxSelectMultiple, label="Delivered at",
        help_text="None ticked: by phone or online.",
    )  # fmt: skip


class LocationForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Name of the place")
    location_type = forms.ChoiceField(choices=LocationType.choices, label="Kind of place")
    address_1 = forms.CharField(max_length=200, required=False, label="Street address")
    city = forms.CharField(max_length=100, required=False, label="City")
    state_province = forms.CharField(max_length=100, required=False, label="State")
    postal_code = forms.CharField(max_length=20, required=False, label="ZIP code")
    country = forms.CharField(max_length=2, min_length=2, initial="US", label="Country (two letters)")
    latitude = forms.FloatField(min_value=-90, max_value=90, required=False, label="Latitude",
                                help_text="Leave both empty to use the ZIP code's centre.")  # fmt: skip
    longitude = forms.FloatField(min_value=-180, max_value=180, required=False, label="Longitude")
    transportation = forms.CharField(required=False, widget=_TEXT, label="Getting there (bus, parking)")


class PhoneForm(forms.Form):
    number = forms.CharField(max_length=40, label="Phone number")
    extension = forms.CharField(max_length=20, required=False, label="Extension")
    type = forms.ChoiceField(choices=PHONE_TYPES, label="Kind")


class ScheduleForm(forms.Form):
    days = forms.MultipleChoiceField(
        choices=DAY_CHOICES, widget=forms.CheckboxSelectMultiple, label="Open on"
    )
    opens_at = forms.TimeField(label="Opens at", help_text="Like 09:00")
    closes_at = forms.TimeField(label="Closes at", help_text="At or before opening: past midnight")
    valid_from = forms.DateField(required=False, label="From (first day)")
    valid_to = forms.DateField(required=False, label="Until (last day)")
    description = forms.CharField(max_length=200, required=False, label="Note")


class VerifyForm(forms.Form):
    on = forms.DateField(label="Checked on", help_text="The day someone confirmed it is as described.")


class UploadForm(forms.Form):
    package = forms.FileField(
        label="HSDS package",
        help_text="A JSON file, or a zip of a Tabular Data Package (datapackage.json and the CSV files).",
    )
