"""Risk scores computed before they carried a label get one from the labelled diagnoses their basis names
(assessments migration 0003, careconductor/assessments/relabel.py)."""

from __future__ import annotations

import pytest

from careconductor.assessments.actions import do_compute_risk_scores
from careconductor.assessments.models import RiskScore
from careconductor.assessments.relabel import label_for, relabel_old_scores
from careconductor.patients.actions import do_add_condition
from careconductor.patients.models import Condition
from careconductor.privacy import policy
from careconductor.privacy.choices import Sensitivity

from ..personas import World

CODES = {"F11.20": "part2", "F43.10": "psychotherapy"}


@pytest.mark.parametrize(
    ("inputs", "label"),
    [
        (["F11.20 Drug abuse (not a Charlson condition)"], "part2"),
        (["comorbidity score 0 with LACE's weights: no qualifying diagnoses"], ""),
        (["F43.10 PTSD (not a Charlson condition)"], "psychotherapy"),
        (["F43.10 x", "f11.20 y"], "part2"),  # the stricter label wins; case does not matter
        (["F11.2 Drug abuse"], ""),  # another, shorter code is not the labelled one
        (["F11.201 Drug abuse"], ""),  # nor a longer one
        (["E11.9, F11.20. Diabetes"], "part2"),  # lists and a closing full stop
        ([], ""),
    ],
)
def test_a_basis_naming_a_labelled_diagnosis_takes_its_label(inputs: list[str], label: str) -> None:
    assert label_for([{"component": "c", "input": text, "points": 0} for text in inputs], CODES) == label


@pytest.mark.django_db
def test_old_scores_naming_a_part2_diagnosis_are_labelled_and_others_stay(world: World) -> None:
    # Alcoholic cirrhosis from a Part 2 programme's records: a Charlson condition, so the scores name it.
    do_add_condition(world.alice, world.paula, icd10_code="K70.30", display="Alcoholic cirrhosis of liver")
    scores = do_compute_risk_scores(world.alice, world.paula)
    charlson = next(s for s in scores if s.model == "charlson")
    assert "K70.30" in str(charlson.basis)
    # Label the diagnosis afterwards, as records made before labels existed were: the score keeps no label.
    Condition.objects.filter(patient=world.paula, icd10_code="K70.30").update(sensitivity=Sensitivity.PART2)
    RiskScore.objects.filter(patient=world.paula).update(sensitivity="")
    assert RiskScore.objects.filter(pk=charlson.pk, sensitivity="").exists()

    changed = relabel_old_scores(RiskScore, Condition)

    labelled = set(RiskScore.objects.filter(sensitivity="part2").values_list("pk", flat=True))
    assert charlson.pk in labelled and changed == len(labelled)
    # A score whose basis does not name the diagnosis (HOSPITAL uses none) keeps no label.
    hospital = next(s for s in scores if s.model == "hospital")
    assert hospital.pk not in labelled
    # And the chart's reader who may not read Part 2 records no longer gets the labelled score.
    visible = policy.restrict_sensitive(RiskScore.objects.filter(patient=world.paula), world.bob, world.paula)
    assert charlson.pk not in set(visible.values_list("pk", flat=True))
    assert relabel_old_scores(RiskScore, Condition) == 0  # running it again changes nothing
