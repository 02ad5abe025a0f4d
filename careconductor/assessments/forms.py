from __future__ import annotations

from typing import Any

from django import forms

from careconductor.core.languages import own_name

from . import engine

YES_NO = [("true", "Yes"), ("false", "No")]


class StartForm(forms.Form):
    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            label="Language of the questions", choices=[(c, own_name(c)) for c in languages]
        )


def _field(item: engine.Item, language: str) -> forms.Field:
    label = item.label(language)
    if item.type == "choice":
        choices = [(o.code, o.label(language)) for o in item.options]
        if item.repeats:
            return forms.MultipleChoiceField(
                label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
            )
        return forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect)
    if item.type == "boolean":
        return forms.ChoiceField(label=label, choices=YES_NO, required=False, widget=forms.RadioSelect)
    if item.type == "integer":
        return forms.IntegerField(label=label, required=False)
    if item.type == "decimal":
        return forms.DecimalField(label=label, required=False)
    if item.type == "date":
        return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    widget = forms.Textarea(attrs={"rows": 3}) if item.type == "text" else forms.TextInput()
    return forms.CharField(label=label, required=False, max_length=engine.MAX_TEXT_ANSWER, widget=widget)


class SectionForm(forms.Form):
    """One screen of an instrument. Fields are optional here: answers are saved as they come, and completeness
    is the scorer's decision at the end."""

    def __init__(
        self, *args: Any, section: engine.Section, language: str, answers: dict, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.section = section
        for item in section.questions:
            field = _field(item, language)
            stored = answers.get(item.link_id, [])
            if item.repeats:
                field.initial = stored
            elif stored:
                value = stored[0]
                field.initial = ("true" if value else "false") if item.type == "boolean" else value
            if not item.required:
                field.help_text = "Optional"
            self.fields[item.link_id] = field

    def answers(self) -> dict[str, Any]:
        """The cleaned answers by linkId, as the engine takes them (empty clears an answer)."""
        found: dict[str, Any] = {}
        for item in self.section.questions:
            value = self.cleaned_data.get(item.link_id)
            if item.type == "boolean" and value in ("true", "false"):
                value = value == "true"
            elif item.type == "decimal" and value is not None:
                value = str(value)
            elif item.type == "date" and value is not None:
                value = value.isoformat()
            found[item.link_id] = value
        return found
