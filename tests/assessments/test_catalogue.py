"""Loading instruments: the shipped ones after migrate, and a deployer's licensed files (PRAPARE, the complexity
grid with its anchor text) with `careconductor instruments load`, checked and loaded all or nothing."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from careconductor.assessments import catalogue
from careconductor.assessments.choices import AssessmentStatus
from careconductor.assessments.models import Questionnaire

from ..personas import World
from .helpers import record
from .kit import code_for, instrument

pytestmark = pytest.mark.django_db
FILES = Path(__file__).parent / "files"


def _load(path: Path) -> str:
    out = StringIO()
    call_command("instruments", "load", str(path), stdout=out)
    return out.getvalue()


def _licensed_grid(tmp_path: Path, **changes: object) -> Path:
    """The shipped grid as a deployer would load it with licensed anchor text in its answer options."""
    grid = json.loads((catalogue.SHIPPED_DIR / "icm_grid.json").read_text(encoding="utf-8"))
    grid.update({"id": "icm-complexity-grid-licensed", "version": "2.0.0"})
    for group in grid["item"]:
        for item in group["item"]:
            item["text"] += " (licensed anchor text)"
    grid.update(changes)
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(grid), encoding="utf-8")
    return path


def test_every_shipped_instrument_is_loaded_and_current(world: World) -> None:
    shipped = {p.stem for p in catalogue.shipped_files()}
    assert Questionnaire.objects.filter(shipped=True, current=True).count() == len(shipped)


def test_a_deployer_loads_prapare_and_it_is_kept_without_a_score(world: World) -> None:
    said = _load(FILES / "prapare-example.json")
    assert "as prapare-example" in said and "now current" in said
    row = Questionnaire.objects.get(slug="prapare-example")
    assert (row.panel_code, row.shipped, row.current) == ("93025-5", False, True)
    inst = catalogue.instrument_for(row)
    answers = {}
    for item in inst.questions.values():
        answers[item.link_id] = (
            [item.options[0].code] if item.options else [3 if item.type == "integer" else "yes"]
        )
    done = record(world.alice, world.paula, "prapare-example", answers)
    assert done.status == AssessmentStatus.COMPLETED and not done.scores.exists()
    assert "no published total score" in done.summary


def test_a_licensed_grid_becomes_current_and_scores_like_the_shipped_one(
    world: World, tmp_path: Path
) -> None:
    _load(_licensed_grid(tmp_path))
    assert not Questionnaire.objects.get(slug="icm-complexity-grid").current
    licensed = Questionnaire.objects.get(slug="icm-complexity-grid-licensed")
    assert licensed.current
    grid = instrument("icm_grid")
    answers = {k: [code_for(grid, k, 1)] for k in grid.questions}
    done = record(world.alice, world.paula, "icm-complexity-grid-licensed", answers)
    assert done.scores.get().value == 20


def test_a_file_lacking_a_scored_question_is_refused_and_nothing_is_stored(
    world: World, tmp_path: Path
) -> None:
    path = _licensed_grid(tmp_path)
    grid = json.loads(path.read_text(encoding="utf-8"))
    del grid["item"][0]["item"][0]
    path.write_text(json.dumps(grid), encoding="utf-8")
    with pytest.raises(CommandError, match="lacks question bio-hist-chronic-illness"):
        _load(path)
    assert not Questionnaire.objects.filter(slug="icm-complexity-grid-licensed").exists()
    assert Questionnaire.objects.get(slug="icm-complexity-grid").current


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a readable JSON file"),
        ('{"resourceType": "Patient"}', "not a FHIR Questionnaire"),
        ('{"resourceType": "Questionnaire", "status": "active", "item": "not a list"}', "not valid FHIR R4"),
        (
            '{"resourceType": "Questionnaire", "status": "active", "id": "x", "url": "u", "version": "1"}',
            "needs code",
        ),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    world: World, tmp_path: Path, content: str, message: str
) -> None:
    before = Questionnaire.objects.count()
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        _load(path)
    assert Questionnaire.objects.count() == before


def test_a_file_cannot_take_the_id_of_another_instrument(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="already names"):
        _load(_licensed_grid(tmp_path, id="phq-9"))


def test_files_in_the_data_folder_are_loaded_after_migrate(world: World, settings, tmp_path: Path) -> None:
    settings.DATA_HOME = tmp_path
    folder = catalogue.deployer_dir()
    folder.mkdir()
    (folder / "prapare.json").write_text((FILES / "prapare-example.json").read_text(encoding="utf-8"))
    catalogue.sync()
    assert Questionnaire.objects.filter(slug="prapare-example", shipped=False).exists()


def test_list_names_every_version(world: World) -> None:
    out = StringIO()
    call_command("instruments", "list", stdout=out)
    assert "phq-9" in out.getvalue() and "[current]" in out.getvalue()
