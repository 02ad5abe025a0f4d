"""Recording assessments for tests through the actions, as the screens and the API do."""

from __future__ import annotations

from careconductor.accounts.models import User
from careconductor.assessments.actions import do_complete_assessment, do_save_answers, do_start_assessment
from careconductor.assessments.models import Assessment, Questionnaire
from careconductor.patients.models import Patient

from .kit import code_for, instrument


def questionnaire(slug: str) -> Questionnaire:
    return Questionnaire.objects.get(slug=slug)


def phq9_answers(total: int, item9: int = 0) -> dict[str, list[str]]:
    """PHQ-9 answers (option codes) adding up to `total`, with item 9 as given."""
    inst = instrument("phq9")
    ordinals = {f"phq9-{n}": 0 for n in range(1, 10)}
    ordinals["phq9-9"] = item9
    left = total - item9
    for n in range(1, 9):
        ordinals[f"phq9-{n}"] = min(3, left)
        left -= ordinals[f"phq9-{n}"]
    assert left == 0
    return {k: [code_for(inst, k, v)] for k, v in ordinals.items()}


def record(user: User, patient: Patient, slug: str, answers: dict, *, complete: bool = True) -> Assessment:
    assessment = do_start_assessment(user, patient, questionnaire(slug))
    assessment = do_save_answers(user, assessment, answers)
    return do_complete_assessment(user, assessment) if complete else assessment
