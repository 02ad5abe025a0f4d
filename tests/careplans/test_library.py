"""The care-plan template library: every shipped template is valid and bilingual, suggestions follow findings
and problem-list codes, an admin's file replaces or adds a template without a restart, and a broken or
mistyped file is refused with the file and the field named, never half-read."""

from __future__ import annotations

import contextlib
import os
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.careplans import library
from careconductor.careplans.choices import BarrierKind, InterventionKind
from careconductor.careplans.measures import MEASURES
from careconductor.core.errors import ActionRefused

SHIPPED = sorted(p.stem for p in library.SHIPPED_DIR.glob("*.toml"))
# The only codes the templates may carry: checked against ICD-10-CM by hand when they were written.
VERIFIED_ICD10 = {"Z59.41", "Z59.82", "Z59.819", "E11.65", "I50.9", "F32.A", "Z91.14", "Z91.81"}

SAMPLE = """\
id = "sample"
title = "Sample problem"
summary = "A template for the tests"

[problem]
title = "Sample problem"
title_es = "Problema de ejemplo"

[[goals]]
key = "one"
patient_words = "I want my blood sugar lower."
patient_words_es = "Quiero bajar mi azúcar."
statement = "HbA1c below 8%."
measure = "hba1c"
target_value = "8"
target_text = "HbA1c below 8%"
due_in_days = 90

  [[goals.steps]]
  text = "Check my sugar each morning"
  due_in_days = 7

  [[goals.interventions]]
  kind = "education"
  title = "Teach blood sugar checks"
  owner = "case-manager"
  due_in_days = 14

  [[goals.barriers]]
  kind = "cost"
  text = "Strips cost too much"
"""

SECOND_GOAL = """
[[goals]]
key = "one"
patient_words = "I want to walk more."
statement = "Activity."
measure = "steps"
due_in_days = 60
"""


def _template_file(folder: Path, text: str, name: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text.replace('id = "sample"', f'id = "{name}"'), encoding="utf-8")
    return path


@pytest.fixture
def deployer(settings, tmp_path: Path) -> Path:
    """An empty deployer folder in a fresh data home."""
    settings.DATA_HOME = tmp_path
    folder = library.deployer_dir()
    folder.mkdir()
    return folder


# --- The shipped templates ------------------------------------------------------------------------------------


def test_the_issue_s_templates_are_shipped() -> None:
    assert set(SHIPPED) == {
        "diabetes", "heart-failure", "depression", "food-insecurity", "transportation", "housing",
        "medication-adherence", "fall-risk",
    }  # fmt: skip


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_template_parses_and_is_a_believable_size(name: str) -> None:
    t = library.read_template(library.SHIPPED_DIR / f"{name}.toml", "shipped")
    assert t.id == name and t.title and t.summary
    assert 1 <= len(t.goals) <= 3
    for goal in t.goals:
        assert 2 <= len(goal.steps) <= 4, goal.key
        assert 1 <= len(goal.interventions) <= 4, goal.key
    assert len({i.kind for g in t.goals for i in g.interventions}) >= 2, "interventions of one kind only"
    assert t.problem.icd10 in VERIFIED_ICD10 | {""}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_patient_facing_text_has_spanish(name: str) -> None:
    t = library.read_template(library.SHIPPED_DIR / f"{name}.toml", "shipped")
    assert t.problem.title_es
    for goal in t.goals:
        assert goal.patient_words_es, goal.key
        assert goal.target_text_es or not goal.target_text, goal.key
        assert all(s.text_es for s in goal.steps), goal.key
        assert all(i.title_es for i in goal.interventions), goal.key
        assert all(b.text_es for b in goal.barriers), goal.key
        # "I" statements: the goal is the patient's, in their words
        assert goal.patient_words.startswith("I "), goal.key
        assert goal.patient_words_es.startswith("Quiero "), goal.key


@pytest.mark.parametrize("name", SHIPPED)
def test_owners_kinds_and_measures_are_known_values(name: str) -> None:
    t = library.read_template(library.SHIPPED_DIR / f"{name}.toml", "shipped")
    for goal in t.goals:
        assert goal.measure in MEASURES
        assert (goal.target_value is not None) <= MEASURES[goal.measure].numeric
        assert 1 <= goal.due_in_days <= library.MAX_DUE_IN_DAYS
        for i in goal.interventions:
            assert i.kind in InterventionKind.values and i.owner in library.OWNERS
        assert all(b.kind in BarrierKind.values for b in goal.barriers)


def test_numeric_targets_are_the_realistic_ones() -> None:
    targets = {t.id: t.goals[0] for t in library.all_templates().values()}
    assert (targets["diabetes"].measure, targets["diabetes"].target_value) == ("hba1c", Decimal(8))
    assert targets["depression"].measure == "phq9" and targets["depression"].target_value in {5, 10}
    assert targets["heart-failure"].measure == "weight" and "2 kg" in targets["heart-failure"].target_text
    assert targets["fall-risk"].measure == "falls"
    assert targets["medication-adherence"].measure == "medications"


def test_templates_are_sorted_by_title_and_found_by_id() -> None:
    templates = library.all_templates()
    titles = [t.title.casefold() for t in templates.values()]
    assert titles == sorted(titles)
    found = library.template("food-insecurity")
    assert found is not None and found.source == "shipped" and found.goal("enough-food") is not None
    assert library.template("no-such-template") is None


def test_localized_gives_spanish_when_there_is_some_and_english_otherwise() -> None:
    t = library.template("food-insecurity")
    assert t is not None
    goal = t.goals[0]
    assert library.localized(goal, "patient_words", "es") == goal.patient_words_es
    assert library.localized(goal, "patient_words", "es-MX") == goal.patient_words_es
    assert library.localized(goal, "patient_words", "en") == goal.patient_words
    assert library.localized(goal, "patient_words", "vi") == goal.patient_words
    bare = library.StepTemplate(text="Walk")
    assert library.localized(bare, "text", "es") == "Walk"


# --- Suggestions -----------------------------------------------------------------------------------------------


def test_suggestions_follow_assessment_findings() -> None:
    ids = [t.id for t in library.suggested_for({"food-insecurity", "transportation"}, set())]
    assert set(ids) == {"food-insecurity", "transportation"}
    assert [t.id for t in library.suggested_for({"depression"}, set())] == ["depression"]


def test_suggestions_follow_problem_list_codes_by_prefix_whatever_the_dots_and_case() -> None:
    assert [t.id for t in library.suggested_for(set(), {"E11.9"})] == ["diabetes"]
    assert [t.id for t in library.suggested_for(set(), {"e1165"})] == ["diabetes"]
    assert [t.id for t in library.suggested_for(set(), {"F33.1"})] == ["depression"]
    assert [t.id for t in library.suggested_for(set(), {"I50.22"})] == ["heart-failure"]
    assert [t.id for t in library.suggested_for(set(), {"Z59.811"})] == ["housing"]


def test_nothing_is_suggested_for_unrelated_findings_or_codes() -> None:
    assert library.suggested_for({"alcohol-misuse"}, {"J45.909", ""}) == []
    assert library.suggested_for(set(), set()) == []


# --- The deployer's files --------------------------------------------------------------------------------------


def test_a_deployer_file_replaces_a_shipped_template_and_a_new_id_adds_one(deployer: Path) -> None:
    shipped_text = (library.SHIPPED_DIR / "diabetes.toml").read_text(encoding="utf-8")
    edited = shipped_text.replace('title = "Uncontrolled diabetes"', 'title = "Diabetes (our clinic)"', 1)
    (deployer / "diabetes.toml").write_text(edited, encoding="utf-8")
    _template_file(deployer, SAMPLE, "asthma-action")

    templates = library.all_templates()
    assert templates["diabetes"].title == "Diabetes (our clinic)"
    assert templates["diabetes"].source == "deployer"
    assert templates["asthma-action"].source == "deployer"
    assert set(SHIPPED) | {"asthma-action"} == set(templates)
    assert library.template_errors() == []


def test_a_broken_deployer_file_is_left_out_and_reported(deployer: Path) -> None:
    (deployer / "broken.toml").write_text('id = "broken"\ntitle = ', encoding="utf-8")
    _template_file(deployer, SAMPLE.replace('owner = "case-manager"', 'owner = "nurse"'), "typo")
    _template_file(deployer, SAMPLE, "fine")

    templates = library.all_templates()
    assert "broken" not in templates and "typo" not in templates and "fine" in templates
    errors = library.template_errors()
    assert len(errors) == 2
    assert any(e.startswith("broken.toml is not valid TOML") for e in errors)
    assert any("typo.toml: goals[0].interventions[0].owner must be one of" in e for e in errors)


def test_a_broken_deployer_copy_of_a_shipped_template_leaves_the_shipped_one_in_use(deployer: Path) -> None:
    (deployer / "housing.toml").write_text('id = "housing"\n', encoding="utf-8")
    t = library.template("housing")
    assert t is not None and t.source == "shipped"
    assert library.template_errors() == ["housing.toml: title is required."]


def test_an_edited_file_is_picked_up_without_a_restart(deployer: Path) -> None:
    path = _template_file(deployer, SAMPLE, "sample")
    assert library.template("sample").title == "Sample problem"  # type: ignore[union-attr]
    path.write_text(SAMPLE.replace('title = "Sample problem"', 'title = "Edited"', 1), encoding="utf-8")
    # Move the modification time on explicitly: some filesystems keep it to the second.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert library.template("sample").title == "Edited"  # type: ignore[union-attr]
    path.unlink()
    assert library.template("sample") is None


def test_a_missing_deployer_folder_is_no_error(settings, tmp_path: Path) -> None:
    settings.DATA_HOME = tmp_path / "nowhere"
    assert set(library.all_templates()) == set(SHIPPED)
    assert library.template_errors() == []


def test_a_broken_shipped_template_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('id = "bad"\n', encoding="utf-8")
    monkeypatch.setattr(library, "SHIPPED_DIR", tmp_path)
    with pytest.raises(ActionRefused, match=r"bad\.toml: title is required"):
        library.all_templates()


# --- Refusals --------------------------------------------------------------------------------------------------

MALFORMED = [
    # (what is wrong, text to replace, replacement, words the refusal must contain)
    ("unknown key", 'title = "Teach blood sugar checks"', 'title = "Teach"\n  titel_es = "x"',
     "goals[0].interventions[0].titel_es is not a known field"),
    ("unknown top-level key", 'summary = "A template for the tests"', 'summary = "x"\nversion = 2',
     "version is not a known field"),
    ("bad kind", 'kind = "education"', 'kind = "lecture"',
     "goals[0].interventions[0].kind must be one of education, referral"),
    ("bad owner", 'owner = "case-manager"', 'owner = "nurse"',
     "goals[0].interventions[0].owner must be one of case-manager"),
    ("bad barrier kind", 'kind = "cost"', 'kind = "money"', "goals[0].barriers[0].kind must be one of cost"),
    ("bad measure", 'measure = "hba1c"', 'measure = "a1c"', "goals[0].measure must be one of phq9"),
    ("non-numeric target", 'target_value = "8"', 'target_value = "eight"', "goals[0].target_value must be a number"),
    ("non-finite target", 'target_value = "8"', 'target_value = "NaN"', "goals[0].target_value must be a number"),
    ("too precise target", 'target_value = "8"', 'target_value = "7.555"', "goals[0].target_value must be below"),
    ("number on a state measure", 'measure = "hba1c"', 'measure = "food"', "goals[0].target_value must be empty"),
    ("bad finding domain", 'title_es = "Problema de ejemplo"', 'finding_domains = ["hunger"]',
     "problem.finding_domains[0] must be one of depression"),
    ("bad ICD-10 prefix", 'title_es = "Problema de ejemplo"', 'icd10_prefixes = ["diabetes"]',
     "problem.icd10_prefixes[0] must be the start of an ICD-10 code"),
    ("bad ICD-10 code", 'title_es = "Problema de ejemplo"', 'icd10 = "250.00"', "problem.icd10 must be an ICD-10-CM"),
    ("due in 0 days", "due_in_days = 90", "due_in_days = 0", "goals[0].due_in_days must be a whole number"),
    ("due too late", "due_in_days = 90", "due_in_days = 731", "goals[0].due_in_days must be a whole number"),
    ("due as a boolean", "due_in_days = 7", "due_in_days = true", "goals[0].steps[0].due_in_days must be"),
    ("due as text", "due_in_days = 14", 'due_in_days = "14"', "goals[0].interventions[0].due_in_days must be"),
    ("goal without a due date", "due_in_days = 90\n", "", "goals[0].due_in_days is required"),
    ("missing statement", 'statement = "HbA1c below 8%."\n', "", "goals[0].statement is required"),
    ("blank patient words", 'patient_words = "I want my blood sugar lower."', 'patient_words = "  "',
     "goals[0].patient_words is required"),
    ("text that is not text", 'text = "Check my sugar each morning"', "text = 3",
     "goals[0].steps[0].text must be text"),
    ("goal key not a slug", 'key = "one"', 'key = "One Goal"', "goals[0].key must be lowercase"),
    ("step written as a table", "[[goals.steps]]", "[goals.steps]", "goals[0].steps must be a list of tables"),
    ("step text too long", 'text = "Check my sugar each morning"', f'text = "{"x" * 301}"',
     "goals[0].steps[0].text is longer than 300"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "words"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_a_malformed_template_is_refused_naming_the_file_and_field(old: str, new: str, words: str) -> None:
    assert old in SAMPLE
    with pytest.raises(ActionRefused) as refused:
        library.parse_template(SAMPLE.replace(old, new, 1), "sample.toml")
    assert str(refused.value).startswith("sample.toml: ")
    assert words in str(refused.value)


def test_the_sample_itself_is_valid() -> None:
    t = library.parse_template(SAMPLE, "sample.toml")
    assert t.goals[0].target_value == Decimal(8)
    assert t.goals[0].barriers[0].text_es == ""


def test_duplicate_goal_keys_are_refused() -> None:
    with pytest.raises(ActionRefused, match=r"sample.toml: goals\[1\].key repeats the key 'one'"):
        library.parse_template(SAMPLE + SECOND_GOAL, "sample.toml")
    assert (
        len(library.parse_template(SAMPLE + SECOND_GOAL.replace('"one"', '"two"'), "sample.toml").goals) == 2
    )


def test_an_id_that_does_not_match_the_file_name_is_refused() -> None:
    with pytest.raises(ActionRefused, match=r"other.toml: id must be 'other'"):
        library.parse_template(SAMPLE, "other.toml")
    assert library.parse_template(SAMPLE).id == "sample"  # no name: nothing to match


def test_a_template_without_goals_or_problem_is_refused() -> None:
    head = SAMPLE.split("[[goals]]")[0]
    with pytest.raises(ActionRefused, match="goals needs at least one entry"):
        library.parse_template(head, "sample.toml")
    no_problem = SAMPLE.replace('[problem]\ntitle = "Sample problem"\ntitle_es = "Problema de ejemplo"\n', "")
    assert no_problem != SAMPLE
    with pytest.raises(ActionRefused, match=r"sample\.toml: problem is required"):
        library.parse_template(no_problem, "sample.toml")
    with pytest.raises(ActionRefused, match=r"problems is not a known field"):
        library.parse_template(SAMPLE.replace("[problem]", "[problems]"), "sample.toml")


def test_a_file_over_200_kb_is_refused(tmp_path: Path) -> None:
    big = SAMPLE + "# " + "x" * 200_000 + "\n"
    with pytest.raises(ActionRefused, match="larger than 200 kB"):
        library.parse_template(big, "sample.toml")
    (tmp_path / "sample.toml").write_text(big, encoding="utf-8")
    with pytest.raises(ActionRefused, match=r"sample\.toml is larger than 200 kB"):
        library.read_template(tmp_path / "sample.toml")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sample.toml").write_bytes(SAMPLE.replace("azúcar", "az\xfacar").encode("latin-1"))
    with pytest.raises(ActionRefused, match=r"sample\.toml is not a readable UTF-8"):
        library.read_template(tmp_path / "sample.toml")


_ODD_VALUES = [
    '""', "0", "-1", "true", "[]", "{}", '"x"', "1e400", "nan", "inf", '[1, "a"]', "{a = 1}", '"nan"', '"1e999"',
    '"-0"', '"1e-999"', "1979-05-27", '["depression", 3]', "[{}]", '"E11"', '"  "', "3.14", '"' + "é" * 301 + '"',
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=400))
def test_parse_template_refuses_any_text_only_with_action_refused(text: str) -> None:
    try:
        library.parse_template(text, "sample.toml")
    except ActionRefused as exc:
        assert str(exc).startswith("sample.toml")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_template_with_any_value_changed_parses_or_is_refused(data: st.DataObject) -> None:
    """Closer to real mistakes than random text: the sample with a few values swapped for odd ones."""
    lines = SAMPLE.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.sampled_from([i for i, line in enumerate(lines) if " = " in line]))
        key = lines[at].split(" = ")[0]
        lines[at] = f"{key} = {data.draw(st.sampled_from(_ODD_VALUES))}"
    try:
        library.parse_template("\n".join(lines), "sample.toml")
    except ActionRefused as exc:
        assert str(exc).startswith("sample.toml")


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(["id", "title", "summary", "problem", "goals"]), _JSONISH))
def test_template_from_data_refuses_any_structure_only_with_action_refused(data: dict[str, object]) -> None:
    with contextlib.suppress(ActionRefused):
        library.template_from_data(data, "sample.toml")


# --- The command -----------------------------------------------------------------------------------------------


def test_list_shows_each_template_its_source_and_the_files_left_out(deployer: Path) -> None:
    shipped_text = (library.SHIPPED_DIR / "housing.toml").read_text(encoding="utf-8")
    (deployer / "housing.toml").write_text(shipped_text, encoding="utf-8")
    _template_file(deployer, SAMPLE, "asthma-action")
    (deployer / "broken.toml").write_text("id = ", encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("careplan_templates", "list", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("diabetes ") and "2 goals" in line and "[shipped]" in line for line in lines)
    assert any(line.startswith("housing ") and "[deployer, replaces shipped]" in line for line in lines)
    assert any(
        line.startswith("asthma-action ") and "1 goal " in line and "[deployer]" in line for line in lines
    )
    assert str(deployer) in out.getvalue()
    assert "Left out: broken.toml is not valid TOML" in err.getvalue()


def test_check_accepts_a_good_file_and_says_where_to_copy_it(deployer: Path, tmp_path: Path) -> None:
    path = _template_file(tmp_path, SAMPLE, "asthma-action")
    out = StringIO()
    call_command("careplan_templates", "check", str(path), stdout=out)
    said = out.getvalue()
    assert "asthma-action.toml is a valid template" in said
    assert f"Copy it to {deployer}" in said and "adds a new template" in said
    out = StringIO()
    call_command("careplan_templates", "check", str(library.SHIPPED_DIR / "fall-risk.toml"), stdout=out)
    assert "replaces the shipped template" in out.getvalue()


def test_check_refuses_a_bad_file_with_the_field_named(tmp_path: Path) -> None:
    path = _template_file(tmp_path, SAMPLE.replace('measure = "hba1c"', 'measure = "a1c"'), "sample")
    with pytest.raises(CommandError, match=r"sample.toml: goals\[0\].measure must be one of"):
        call_command("careplan_templates", "check", str(path))
    with pytest.raises(CommandError, match=r"missing\.toml is not a readable"):
        call_command("careplan_templates", "check", str(tmp_path / "missing.toml"))
