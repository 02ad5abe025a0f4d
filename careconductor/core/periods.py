"""A period of whole months asked for in a page's query string (the readmission figures, a programme's outcomes):
the form, with its errors beside the fields, and the first and last day it means."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

MAX_MONTHS = 36
MONTH = {"invalid": "Give a month as YYYY-MM."}
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"  # ASCII digits: "٢٠٢٦-01" is not a month we read


def first_of(text: str) -> dt.date:
    """The first day of a month written YYYY-MM (ValueError otherwise)."""
    year, month = text.split("-")
    if not (year.isascii() and month.isascii()):
        raise ValueError(text)
    return dt.date(int(year), int(month), 1)


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def last_full_months(today: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The default period: the `months` whole months before the current one, first and last day."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    year, month = end.year, end.month - months + 1
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1), end


class PeriodForm(forms.Form):
    start = forms.RegexField(
        label="From (month)",
        regex=MONTH_PATTERN,
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages=MONTH,
    )
    end = forms.RegexField(
        label="To (month)",
        regex=MONTH_PATTERN,
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages=MONTH,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, str) and isinstance(end, str):
            first, last = first_of(start), first_of(end)
            if last < first:
                self.add_error("end", "The period ends before it starts.")
            elif (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
                self.add_error("end", f"Choose at most {MAX_MONTHS} months.")
        return data


def period_asked(
    query: Any, today: dt.date, form_class: type[PeriodForm] = PeriodForm
) -> tuple[PeriodForm, dt.date, dt.date]:
    """The period a query string asks for, or the last 12 full months (also when the form has errors, which the
    page shows beside the fields)."""
    start, end = last_full_months(today)
    defaults = {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}
    data = query.copy()  # a QueryDict: the defaults fill only what it does not say
    for name, value in defaults.items():
        data.setdefault(name, value)
    form = form_class(data)
    if form.is_valid():
        return form, first_of(form.cleaned_data["start"]), month_end(first_of(form.cleaned_data["end"]))
    return form, start, end
