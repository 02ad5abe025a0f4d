"""Alert limits for self-reported readings (issue 8: BP ≥ 180/120, glucose < 70 or > 300 mg/dL, in heart
failure a weight gain ≥ 2 kg in 3 days) and the checks on attachments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.engagement import attachments, rules
from careconductor.engagement.rules import Limit

D = Decimal
DEFAULTS = rules.effective_limits(heart_failure=False)
HF = rules.effective_limits(heart_failure=True)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "alert"),
    [
        (120, 80, False),
        (179, 119, False),
        (180, 80, True),  # at the limit counts
        (150, 120, True),
        (210, 125, True),
        (100, 60, False),
    ],
)
def test_blood_pressure_alerts_at_or_above_180_over_120(systolic: int, diastolic: int, alert: bool) -> None:
    breach = rules.check_blood_pressure(D(systolic), D(diastolic), DEFAULTS, "555-0199")
    assert (breach is not None) == alert
    if breach:
        assert breach.rule == "self-report:bp-high"
        assert "555-0199" in breach.instruction and "911" in breach.instruction


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (69, "self-report:glucose-low"),
        (70, None),
        (180, None),
        (300, None),
        (301, "self-report:glucose-high"),
    ],
)
def test_glucose_alerts_below_70_or_above_300(value: int, rule: str | None) -> None:
    breach = rules.check_glucose(D(value), DEFAULTS, "555")
    assert (breach.rule if breach else None) == rule


def test_low_sugar_instruction_is_the_rule_of_15() -> None:
    breach = rules.check_glucose(D(52), DEFAULTS, "555")
    assert breach is not None
    assert "15 grams" in breach.instruction and "15 minutes" in breach.instruction


NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def _days_ago(days: float, kg: str) -> tuple[dt.datetime, Decimal]:
    return (NOW - dt.timedelta(days=days), D(kg))


def test_weight_gain_of_2_kg_within_3_days_alerts_only_in_heart_failure() -> None:
    earlier = [_days_ago(2, "80.0"), _days_ago(1, "81.0")]
    assert rules.check_weight(D("82.0"), NOW, earlier, HF, "555") is not None
    assert rules.check_weight(D("81.9"), NOW, earlier, HF, "555") is None
    assert rules.check_weight(D("82.0"), NOW, earlier, DEFAULTS, "555") is None  # no HF, no default


def test_weight_older_than_3_days_does_not_count() -> None:
    assert rules.weight_gain(D("85"), NOW, [_days_ago(3.5, "80")]) == 0
    assert rules.weight_gain(D("85"), NOW, [_days_ago(2.9, "80")]) == 5


def test_heart_failure_is_any_I50_code() -> None:
    assert rules.has_heart_failure(["E11.9", "I50.22"])
    assert rules.has_heart_failure(["i509"])
    assert not rules.has_heart_failure(["I10", "I51.9", ""])


def test_the_patients_own_limit_beats_the_programmes_which_beats_the_default() -> None:
    limits = rules.effective_limits(
        heart_failure=False,
        programme_rows=[Limit("glucose", D(80), D(250))],
        patient_rows=[Limit("glucose", D(90), None)],
    )
    assert limits["glucose"] == Limit("glucose", D(90), None, "patient")
    assert limits["bp-systolic"].high == 180
    programme = rules.effective_limits(heart_failure=False, programme_rows=[Limit("glucose", D(80), D(250))])
    assert programme["glucose"].source == "programme"
    assert rules.check_glucose(D(260), programme, "") is not None


def test_peak_flow_alerts_only_when_the_team_set_a_red_zone() -> None:
    assert rules.check_peak_flow(D(150), DEFAULTS, "555") is None
    limits = rules.effective_limits(heart_failure=False, patient_rows=[Limit("peak-flow", D(200), None)])
    assert rules.check_peak_flow(D(199), limits, "555") is not None
    assert rules.check_peak_flow(D(200), limits, "555") is None


def test_chest_pain_means_call_911_and_a_very_low_mood_brings_a_call_back() -> None:
    pain = rules.check_wellbeing(4, ["chest-pain"], "555")
    assert pain is not None and pain.emergency and "911" in pain.instruction
    low = rules.check_wellbeing(1, [], "555")
    assert low is not None and not low.emergency and "988" in low.instruction
    assert rules.check_wellbeing(2, ["tired"], "555") is None


@pytest.mark.parametrize(
    ("measure", "low", "high", "field"),
    [
        ("glucose", None, None, "high"),
        ("glucose", D(200), D(100), "high"),
        ("glucose", D(0), None, "low"),
        ("weight-gain-3d", D(1), D(2), "low"),
        ("peak-flow", None, D(300), "high"),
    ],
)
def test_limits_a_person_sets_are_checked(
    measure: str, low: Decimal | None, high: Decimal | None, field: str
) -> None:
    assert field in rules.check_limit_values(measure, low, high)


def test_a_sensible_limit_has_no_errors() -> None:
    assert rules.check_limit_values("glucose", D(80), D(250)) == {}


@given(
    systolic=st.integers(min_value=50, max_value=300),
    diastolic=st.integers(min_value=20, max_value=200),
)
def test_bp_alerts_exactly_when_a_number_reaches_its_limit(systolic: int, diastolic: int) -> None:
    breach = rules.check_blood_pressure(D(systolic), D(diastolic), DEFAULTS, "")
    assert (breach is not None) == (systolic >= 180 or diastolic >= 120)


@given(
    new=st.decimals(min_value=30, max_value=250, places=1),
    earlier=st.lists(
        st.tuples(st.floats(min_value=0.01, max_value=6), st.decimals(min_value=30, max_value=250, places=1)),
        max_size=8,
    ),
)
def test_weight_gain_is_never_negative_and_uses_only_the_last_3_days(new: Decimal, earlier: list) -> None:
    points = [(NOW - dt.timedelta(days=d), w) for d, w in earlier]
    gain = rules.weight_gain(new, NOW, points)
    assert gain >= 0
    window = [w for d, w in earlier if d <= 3]
    assert gain == (max(D(0), new - min(window)) if window else 0)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"<html><script>", ""),
        (b"MZ\x90\x00", ""),
        (b"GIF89a", ""),
    ],
)
def test_attachments_are_recognised_by_their_first_bytes(head: bytes, kind: str) -> None:
    assert attachments.sniff(head) == kind


@given(st.text(max_size=300))
def test_a_file_name_is_only_ever_a_name(name: str) -> None:
    safe = attachments.safe_name(name)
    assert safe and "/" not in safe and "\\" not in safe and len(safe) <= 100
    assert not safe.startswith(".")
