"""Portal and staff forms. Portal labels are plain words in the patient's language; every field has a label
and its error shows beside it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careconductor.careplans.models import Goal
from careconductor.core.forms import set_choices

from .attachments import ACCEPT
from .choices import GoalRating, ProxyRelationship, Symptom, ThresholdMeasure

MOODS = [
    ("5", _("Very good")),
    ("4", _("Good")),
    ("3", _("Okay")),
    ("2", _("Low")),
    ("1", _("Very low")),
]
KG_PER_LB = Decimal("0.45359237")


class BloodPressureForm(forms.Form):
    systolic = forms.IntegerField(
        label=_("Top number (systolic)"),
        min_value=1,
        max_value=400,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    diastolic = forms.IntegerField(
        label=_("Bottom number (diastolic)"),
        min_value=1,
        max_value=400,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ReadingForm(forms.Form):
    value = forms.DecimalField(
        max_digits=6,
        decimal_places=1,
        min_value=Decimal("0.1"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, measure: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.measure = measure
        labels = {
            "glucose": _("Blood sugar (mg/dL)"),
            "weight": _("Weight"),
            "peak-flow": _("Peak flow (L/min)"),
        }
        self.fields["value"].label = labels[measure]
        if measure == "weight":
            self.fields["unit"] = forms.ChoiceField(
                label=_("Unit"),
                choices=[("lb", _("pounds (lb)")), ("kg", _("kilograms (kg)"))],
                initial="lb",
                widget=forms.RadioSelect,
            )

    def value_in_store_unit(self) -> Decimal:
        value: Decimal = self.cleaned_data["value"]
        if self.measure == "weight" and self.cleaned_data.get("unit") == "lb":
            return (value * KG_PER_LB).quantize(Decimal("0.1"))
        return value


class WellbeingForm(forms.Form):
    mood = forms.TypedChoiceField(
        label=_("How is your mood today?"),
        choices=MOODS,
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Do you have any of these today?"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Anything else you want your team to know?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class GoalCheckInForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How did it go this week?"), choices=GoalRating.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("What helped, or what got in the way?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=120)
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(
        label=_("Attach pictures or PDFs (optional)"),
        required=False,
        help_text=_("Up to 3 files, 5 MB each: photos (JPEG, PNG, WebP) or PDF."),
    )


class ReplyForm(MessageForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].required = False
        self.fields["subject"].widget = forms.HiddenInput()
        self.fields["body"].label = _("Your reply")


class ProxyForm(forms.Form):
    name = forms.CharField(label=_("Their name"), max_length=200)
    relationship = forms.ChoiceField(
        label=_("Who are they to you?"), choices=[("", "—"), *ProxyRelationship.choices]
    )
    email = forms.EmailField(
        label=_("Their e-mail (we send them the link)"),
        required=False,
        help_text=_("Leave it empty to give them the link yourself."),
    )


class JoinForm(forms.Form):
    username = forms.CharField(
        label=_("Choose a user name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. A short sentence is easy to remember."),
    )
    password_again = forms.CharField(
        label=_("Type the password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, for_patient: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if for_patient:
            self.fields["birth_date"] = forms.DateField(
                label=_("Your date of birth"),
                widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
                help_text=_("So we know this link reached you."),
            )
        else:
            self.fields["first_name"] = forms.CharField(label=_("Your first name"), max_length=150)
            self.fields["last_name"] = forms.CharField(label=_("Your last name"), max_length=150)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords are not the same."))
        return data


# --- staff ------------------------------------------------------------------------------------------------------
class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Send the link to this e-mail (optional)",
        required=False,
        help_text="Leave empty to give the link to the patient yourself (it is shown once).",
    )


class ThresholdForm(forms.Form):
    measure = forms.ChoiceField(label="Measure", choices=ThresholdMeasure.choices)
    low = forms.DecimalField(label="Alert below", required=False, max_digits=7, decimal_places=1)
    high = forms.DecimalField(
        label="Alert at or above",
        required=False,
        max_digits=7,
        decimal_places=1,
        help_text="Blood sugar alerts above this number; the others at it or above.",
    )
    reason = forms.CharField(label="Why this patient's limit differs", required=False, max_length=200)


class ProgrammeThresholdForm(ThresholdForm):
    program = forms.ChoiceField(label="Programme", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from careconductor.cases.choices import Program

        super().__init__(*args, **kwargs)
        set_choices(self, "program", [("", "Every programme"), *Program.choices])
        self.fields["reason"].label = "Why (e.g. the programme's protocol)"
        self.order_fields(["program", "measure", "low", "high", "reason"])


class StaffMessageForm(MessageForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].label = "Subject"
        self.fields["body"].label = "Message to the patient"
        self.fields["attachments"].label = "Attach pictures or PDFs (optional)"


def goal_choices(goals: list[Goal]) -> list[tuple[int, str]]:
    return [(g.pk, g.patient_words or g.statement) for g in goals]
