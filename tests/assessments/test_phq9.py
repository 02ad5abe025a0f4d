"""PHQ-9 scoring against ../shared/reference/clinical.md §1: items 0–3, total 0–27, bands minimal 0–4,
mild 5–9, moderate 10–14, moderately severe 15–19, severe 20–27; item 9 above 0 is a safety signal whatever
the total; no score with a missing item."""

from __future__ import annotations

import pytest

from careconductor.assessments.choices import FindingDomain, Signal

from .kit import by_ordinals, instrument

ITEMS = [f"phq9-{n}" for n in range(1, 10)]


def spread(total: int, item9: int = 0) -> dict[str, int]:
    """Answers (item 9 fixed) adding up to `total`."""
    answers = {i: 0 for i in ITEMS}
    answers["phq9-9"] = item9
    left = total - item9
    for link_id in ITEMS[:8]:
        answers[link_id] = min(3, left)
        left -= answers[link_id]
    assert left == 0
    return answers


# Every band edge, from clinical.md §1's table.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_bands_follow_the_published_cut_points(total: int, band: str) -> None:
    result = by_ordinals(instrument("phq9"), spread(total, item9=min(3, max(0, total - 24))))
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.band) == (("http://loinc.org", "44261-6"), total, band)
    assert (score.minimum, score.maximum) == (0, 27)


def test_ten_or_more_is_a_depression_finding_and_nine_is_not() -> None:
    assert FindingDomain.DEPRESSION in {
        f.domain for f in by_ordinals(instrument("phq9"), spread(10)).findings
    }
    assert FindingDomain.DEPRESSION not in {
        f.domain for f in by_ordinals(instrument("phq9"), spread(9)).findings
    }


def test_item_9_above_zero_is_a_safety_signal_even_with_a_minimal_total() -> None:
    result = by_ordinals(instrument("phq9"), spread(1, item9=1))
    assert result.scores[0].band == "minimal"
    assert Signal.SELF_HARM_THOUGHTS in result.signals
    assert FindingDomain.SELF_HARM_RISK in {f.domain for f in result.findings}
    assert "today" in result.summary


def test_item_9_at_zero_raises_no_safety_signal_even_when_severe() -> None:
    result = by_ordinals(instrument("phq9"), spread(24, item9=0))
    assert Signal.SELF_HARM_THOUGHTS not in result.signals
    assert Signal.SEVERE_DEPRESSION in result.signals


def test_nineteen_is_not_severe() -> None:
    assert Signal.SEVERE_DEPRESSION not in by_ordinals(instrument("phq9"), spread(19)).signals


def test_a_missing_item_means_no_score_but_item_9_still_counts() -> None:
    answers = spread(12, item9=2)
    del answers["phq9-4"]
    result = by_ordinals(instrument("phq9"), answers)
    assert not result.complete
    assert result.scores == ()
    assert result.missing == ("phq9-4",)
    assert Signal.SELF_HARM_THOUGHTS in result.signals


def test_the_difficulty_question_is_not_scored() -> None:
    inst = instrument("phq9")
    base = by_ordinals(inst, spread(7))
    from .kit import by_codes, code_for

    codes = {k: code_for(inst, k, v) for k, v in spread(7).items()}
    with_difficulty = by_codes(inst, {**codes, "phq9-difficulty": "extremely"})
    assert with_difficulty.scores == base.scores
