"""The UM screens' forms: they check input at the edge, the actions decide. Field names match the actions' error
keys so a refusal shows beside the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms

from careconductor.cases.choices import Program
from careconductor.coordination.forms import DateInput, DateTimeInput

from . import rules
from .actions import Line, NewRequest
from .choices import (
    PEND_RULE_LABELS,
    PLAN_TYPE_LABELS,
    REASON_LABELS,
    URGENCY_LABELS,
    AskedBy,
    ExtensionAskedBy,
    NoticeRecipient,
    Setting,
    Source,
    choices,
)

TEXT = {"rows": 3}
LINES = 3  # service lines on the form; a request with more is sent by FHIR or typed as two


class IntakeForm(forms.Form):
    member_id = forms.CharField(max_length=60, label="Member ID", help_text="As on the member's card.")
    birth_date = forms.DateField(label="Member's birth date", widget=DateInput())
    source = forms.ChoiceField(
        label="Came by",
        choices=[(Source.PHONE.value, Source.PHONE.label), (Source.FAX.value, Source.FAX.label)],
    )
    received_at = forms.DateTimeField(
        label="Received at",
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text="Leave empty for now. A fax found later keeps the time it came in (its clock started then).",
    )
    urgency = forms.ChoiceField(
        label="Urgency", choices=choices(URGENCY_LABELS), initial=rules.Urgency.STANDARD.value
    )
    expedited_asked_by = forms.ChoiceField(
        label="Who asked for an expedited review", choices=AskedBy.choices, required=False
    )
    setting = forms.ChoiceField(label="Kind of service", choices=Setting.choices, initial=Setting.OUTPATIENT)
    requesting_provider = forms.CharField(max_length=200, label="Requesting provider", required=False)
    requesting_npi = forms.RegexField(
        regex=r"^[0-9]{10}$",
        max_length=10,
        required=False,
        label="Requesting NPI",
        error_messages={"invalid": "An NPI is 10 digits."},
    )
    servicing_provider = forms.CharField(
        max_length=200, label="Servicing provider or facility", required=False
    )
    place_of_service = forms.CharField(
        max_length=2,
        label="Place of service",
        required=False,
        help_text="Two digits: 11 office, 19/22 outpatient hospital, 21 inpatient, 12 home.",
    )
    diagnoses = forms.CharField(
        max_length=200,
        label="Diagnoses (ICD-10-CM)",
        required=False,
        help_text="Separated by commas, e.g. M17.11, M25.561",
    )
    clinical_notes = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        label="Clinical notes",
        max_length=20_000,
        help_text="What the provider said or sent in support.",
    )
    admitted_on = forms.DateField(label="Admitted on (inpatient)", required=False, widget=DateInput())
    expected_stay_days = forms.IntegerField(
        label="Expected stay (days)", min_value=1, max_value=365, required=False
    )
    documents = forms.FileField(
        label="Fax or documents", required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        help_text="PDF or pictures, up to 3 files of 5 MB.",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, LINES + 1):
            required = n == 1
            self.fields[f"code_{n}"] = forms.CharField(
                max_length=12, required=required, label=f"Service {n}: CPT/HCPCS"
            )
            self.fields[f"description_{n}"] = forms.CharField(
                max_length=200, required=False, label="What it is"
            )
            self.fields[f"units_{n}"] = forms.IntegerField(
                min_value=0, max_value=99_999, required=False, label="Units"
            )
            self.fields[f"start_{n}"] = forms.DateField(required=False, label="From", widget=DateInput())
            self.fields[f"end_{n}"] = forms.DateField(required=False, label="To", widget=DateInput())

    def line_fields(self) -> list[list[forms.BoundField]]:
        names = ("code", "description", "units", "start", "end")
        return [[self[f"{name}_{n}"] for name in names] for n in range(1, LINES + 1)]

    def new_request(self, files: list[Any]) -> NewRequest:
        d = self.cleaned_data
        lines = tuple(
            Line(
                code=d[f"code_{n}"].strip().upper(),
                units=d[f"units_{n}"] if d[f"units_{n}"] is not None else 0,
                start=d[f"start_{n}"],
                end=d[f"end_{n}"],
                description=d[f"description_{n}"],
            )
            for n in range(1, LINES + 1)
            if d.get(f"code_{n}")
        )
        return NewRequest(
            source=Source(d["source"]),
            urgency=rules.Urgency(d["urgency"]),
            expedited_asked_by=d["expedited_asked_by"],
            requesting_provider=d["requesting_provider"],
            requesting_npi=d["requesting_npi"],
            servicing_provider=d["servicing_provider"],
            place_of_service=d["place_of_service"],
            lines=lines,
            diagnoses=tuple(c.strip().upper() for c in d["diagnoses"].split(",") if c.strip()),
            clinical_notes=d["clinical_notes"],
            setting=Setting(d["setting"]),
            received_at=d["received_at"],
            admitted_on=d["admitted_on"],
            expected_stay_days=d["expected_stay_days"],
            files=files,
        )


class PendForm(forms.Form):
    asked = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), max_length=4000, label="What the provider must send"
    )
    reply_by = forms.DateField(
        label="Reply due by", required=False, help_text="Empty: the plan's usual time.", widget=DateInput()
    )


class ExtensionForm(forms.Form):
    days = forms.IntegerField(
        label="Calendar days more",
        min_value=1,
        max_value=rules.MAX_EXTENSION_DAYS,
        initial=rules.MAX_EXTENSION_DAYS,
    )
    asked_by = forms.ChoiceField(
        label="Who asked", choices=ExtensionAskedBy.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        max_length=2000,
        label="Why (the member's letter gives this)",
        help_text="E.g. the operative report is needed and the surgeon sends it next week.",
    )


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs=TEXT), max_length=4000, required=False, label="Note")


class PeerToPeerForm(forms.Form):
    held = forms.BooleanField(required=False, label="The conversation took place (not only offered)")
    note = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), max_length=4000, required=False, label="What was said"
    )


class DecisionForm(forms.Form):
    move = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[(rules.Move.APPROVE.value, "Approve"), (rules.Move.PARTIAL.value, "Partially approve"),
                 (rules.Move.DENY.value, "Deny")],
    )  # fmt: skip
    reason = forms.ChoiceField(
        label="Specific reason (partial approval or denial)",
        choices=[("", "—"), *choices(REASON_LABELS)],
        required=False,
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), max_length=4000, required=False, label="In your words",
        help_text="Goes into the letters: say what is missing or what would meet the criteria, plainly.",
    )  # fmt: skip
    valid_from = forms.DateField(label="Valid from", required=False, widget=DateInput())
    valid_until = forms.DateField(label="Valid until", required=False, widget=DateInput())

    def __init__(self, *args: Any, line_ids: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_ids = line_ids or []
        for pk in self.line_ids:
            self.fields[f"units_{pk}"] = forms.IntegerField(min_value=0, max_value=99_999, required=False,
                                                            label="Units approved")  # fmt: skip

    def approved_units(self) -> dict[int, int]:
        d = self.cleaned_data
        return {pk: d[f"units_{pk}"] for pk in self.line_ids if d.get(f"units_{pk}") is not None}


class AppealForm(forms.Form):
    filed_by = forms.ChoiceField(label="Filed by", choices=NoticeRecipient.choices)
    urgency = forms.ChoiceField(
        label="Urgency", choices=choices(URGENCY_LABELS), initial=rules.Urgency.STANDARD.value
    )
    grounds = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), max_length=4000, label="What the appeal says"
    )


class AppealDecisionForm(forms.Form):
    overturn = forms.TypedChoiceField(
        label="Appeal decision",
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
        choices=[("yes", "Overturn: approve the service"), ("no", "Uphold the denial")],
    )
    note = forms.CharField(widget=forms.Textarea(attrs=TEXT), max_length=4000, label="Reasons")


class ReferForm(forms.Form):
    program = forms.ChoiceField(label="Programme", choices=Program.choices, initial=Program.COMPLEX)
    reason = forms.CharField(widget=forms.Textarea(attrs=TEXT), max_length=1000, label="Why case management",
                             help_text="e.g. Three denied requests for home oxygen in six months; long stay.")  # fmt: skip


def criteria_form(questions: list[Any], answers: dict[str, str], data: Any = None) -> forms.Form:
    """The criteria set's questions as radio buttons, with the answers given so far."""
    form = forms.Form(data=data, initial=answers)
    for q in questions:
        form.fields[q.id] = forms.ChoiceField(
            label=q.text,
            widget=forms.RadioSelect,
            choices=[(a, a.capitalize()) for a in q.answers],
            required=False,
        )
    return form


class SettingsForm(forms.Form):
    plan_type = forms.ChoiceField(
        label="Plan type",
        choices=choices(PLAN_TYPE_LABELS),
        help_text="Decides the clock: 72 hours / 7 days, or 72 hours / 15 days for a QHP on a federal exchange.",
    )
    pend_rule = forms.ChoiceField(
        label="While a request waits for information", choices=choices(PEND_RULE_LABELS)
    )
    appeal_days = forms.IntegerField(label="Days to appeal", min_value=1, max_value=365)


class StayReviewForm(forms.Form):
    asked_days = forms.IntegerField(
        label="Days the hospital asked to add",
        min_value=0,
        max_value=60,
        required=False,
        help_text="Empty: the same as the days granted.",
    )
    extra_days = forms.IntegerField(label="Days granted", min_value=0, max_value=60, initial=0)
    reason = forms.ChoiceField(
        label="Reason for days not granted",
        choices=[("", "—"), *choices(REASON_LABELS)],
        required=False,
        help_text="A physician's decision, when fewer days are granted than asked.",
    )
    next_review_on = forms.DateField(
        label="Next review", required=False, widget=DateInput(), help_text="Empty when the member went home."
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), max_length=4000, label="What the hospital reported"
    )
