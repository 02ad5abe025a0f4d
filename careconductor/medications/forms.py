"""Forms check input at the edge; the actions decide. Field names match the actions' error keys so that a
refusal shows beside the field it is about."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from careconductor.careplans.choices import BarrierKind
from careconductor.core import clock

from . import rules
from .choices import Decision

TEXT = {"rows": 2}


class DateInput(forms.DateInput):
    input_type = "date"


class TimesField(forms.CharField):
    """ "08:00, 20:00" as ["08:00", "20:00"]; blank is an empty list (as needed). Whether the times are valid
    is the action's to say (rules.times_problem), so the message is the same wherever times come from."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [rules.normalise_time(part) for part in re.split(r"[,;\s]+", text) if part.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value


class MedicationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Medication", help_text="e.g. Metformin")
    rxnorm = forms.CharField(
        max_length=20,
        required=False,
        label="RxNorm code",
        help_text="The RXCUI, if you have it; e.g. 860975.",
    )
    dose = forms.CharField(max_length=200, label="Dose", help_text="e.g. 500 mg tablet")
    instructions = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        label="Instructions for the patient",
        help_text="In plain words, e.g. “with breakfast and supper”.",
    )
    times = TimesField(
        required=False,
        label="Daily dose times",
        help_text="24-hour clock, separated by commas, e.g. 08:00, 20:00. Leave empty for “as needed”.",
    )
    start_date = forms.DateField(widget=DateInput, label="First day")
    end_date = forms.DateField(
        widget=DateInput, required=False, label="Last day", help_text="Leave empty if it goes on."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start_date": clock.today()})
        super().__init__(*args, **kwargs)


class StopForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs=TEXT), label="Why it stops")
    end_date = forms.DateField(
        widget=DateInput, required=False, label="Last day taken", help_text="Today unless you say otherwise."
    )


# --- reconciliation -----------------------------------------------------------------------------------------------
class StartReconciliationForm(forms.Form):
    """Which discharge the reconciliation is for; the choices are the patient's ended stays (set_choices)."""

    encounter = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label="For the discharge from",
        help_text="Leave as it is to reconcile the patient's list without a discharge.",
    )


class DischargeLineForm(forms.Form):
    name = forms.CharField(
        max_length=200, label="Medication on the discharge list", help_text="e.g. Metformin"
    )
    dose = forms.CharField(
        max_length=200, required=False, label="Dose on the discharge list", help_text="e.g. 1000 mg tablet"
    )
    rxnorm = forms.CharField(
        max_length=20, required=False, label="RxNorm code", help_text="The RXCUI, if the list gives one."
    )
    says_stop = forms.BooleanField(required=False, label="The discharge list says to stop it")


TAKES = {"yes": True, "no": False, "": None}


class TakesForm(forms.Form):
    takes = forms.ChoiceField(
        choices=[("", "Not asked yet"), ("yes", "Takes it"), ("no", "Does not take it")],
        required=False,
        label="Does the patient take it?",
    )
    barrier = forms.CharField(
        max_length=200,
        required=False,
        label="What gets in the way",
        help_text="A cost or access barrier, e.g. “can't afford it”, “no ride to the pharmacy”.",
    )
    barrier_kind = forms.ChoiceField(
        choices=[("", "—"), *BarrierKind.choices], required=False, label="Kind of barrier"
    )
    response = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs=TEXT),
        label="What is being done about it",
        help_text="E.g. “90-day supply by mail, $0 copay”, “ride booked through the plan”.",
    )
    # Choices: the goals of the patient's open care plan (views set them).
    goal_id = forms.TypedChoiceField(
        choices=[],
        coerce=int,
        empty_value=None,
        required=False,
        label="Put it on the care plan",
        help_text="The barrier joins the goal's barriers with its kind and response.",
    )

    def clean_takes(self) -> bool | None:
        return TAKES[self.cleaned_data.get("takes") or ""]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, label="Decision")
    new_dose = forms.CharField(
        max_length=200,
        required=False,
        label="New dose",
        help_text="For a dose change, or a new medicine (empty: the discharge list's dose).",
    )
    new_times = TimesField(
        required=False,
        label="Daily dose times",
        help_text="24-hour clock, e.g. 08:00, 20:00. A dose change keeps the present times if empty; a new "
        "medicine is taken as needed.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Note")


class CompleteReconciliationForm(forms.Form):
    participants = forms.CharField(
        max_length=300,
        label="Who took part",
        help_text="e.g. “the patient, her daughter, Kevin Tran PharmD”.",
    )
