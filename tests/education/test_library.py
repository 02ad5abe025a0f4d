"""The education library: every shipped material is valid, bilingual and plain; a deployer's file adds or
replaces one without a restart; a broken file is refused with the file and the field named, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.core.errors import ActionRefused
from careconductor.education import library
from careconductor.education.choices import MaterialFormat, Topic

SHIPPED = sorted(p.stem for p in library.SHIPPED_DIR.glob("*.toml"))

SAMPLE = """\
slug = "sample"
topic = "diabetes"
format = "print"
reading_level = 5

[en]
title = "Sample"
summary = "For the tests"
body = "Check your sugar."

[es]
title = "Ejemplo"
summary = "Para las pruebas"
body = "Mida su azúcar."
"""


@pytest.fixture
def deployer(settings, tmp_path: Path) -> Path:
    settings.DATA_HOME = tmp_path
    folder = tmp_path / "education"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_shipped_material_is_valid_in_english_and_spanish(slug: str) -> None:
    material = library.read_material(library.SHIPPED_DIR / f"{slug}.toml", "shipped")
    assert material.slug == slug
    assert material.languages == ("en", "es")
    assert material.reading_level <= 8
    for text in material.texts:
        assert text.title and text.summary and text.body
        assert "<" not in text.body  # plain text, never HTML


def test_the_starter_set_covers_every_topic_and_more_than_print() -> None:
    materials = library.all_materials().values()
    assert {m.topic for m in materials} == set(Topic.values)
    formats = {m.format for m in materials}
    assert {MaterialFormat.PRINT, MaterialFormat.TEACH_BACK} <= formats
    assert formats & {MaterialFormat.VIDEO, MaterialFormat.AUDIO, MaterialFormat.VISUAL}
    assert 10 <= len(materials) <= 16
    # plain language (grade 6 or lower) but for one longer sheet, so ranking for a literacy concern matters
    assert [m.slug for m in materials if m.reading_level > 6] == ["diabetes-what-a1c-means"]


def test_the_key_safety_numbers_are_in_the_materials() -> None:
    body = {m.slug: m.text("en").body + m.text("es").body for m in library.all_materials().values()}
    assert (
        "15 minutes" in body["diabetes-low-sugar-rule-of-15"]
        and "below 70" in body["diabetes-low-sugar-rule-of-15"]
    )
    assert (
        "2 kilograms" in body["heart-failure-daily-weights"]
        and "3 days" in body["heart-failure-daily-weights"]
    )
    assert "988" in body["depression-you-are-not-alone"]
    assert "2 readings" in body["hypertension-home-blood-pressure"]
    assert "Tell me in your own words" in body["teach-back-low-blood-sugar"]


def test_text_falls_back_to_english() -> None:
    material = library.parse_material(SAMPLE.split("[es]")[0])
    assert material.text("es").language == "en"
    assert library.parse_material(SAMPLE).text("es-MX").title == "Ejemplo"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('slug = "sample"', 'slug = "Sample File"'), "slug must be lowercase"),
        (('topic = "diabetes"', 'topic = "cancer"'), "topic must be one of"),
        (('format = "print"', 'format = "podcast"'), "format must be one of"),
        (("reading_level = 5", "reading_level = 25"), "reading_level must be a school grade"),
        (("reading_level = 5", "reading_level = true"), "reading_level must be a school grade"),
        (
            ("reading_level = 5", 'reading_level = 5\nmedia_url = "javascript:alert(1)"'),
            "media_url must be blank",
        ),
        (("reading_level = 5", 'reading_level = 5\ncolour = "red"'), "colour is not a known field"),
        (('[en]\ntitle = "Sample"', '[fr]\ntitle = "Sample"'), "en is required"),
        (('body = "Check your sugar."', 'body = ""'), "en.body is required"),
        (('title = "Ejemplo"', 'title = "Ejemplo"\nauthor = "x"'), "es.author is not a known field"),
        (('body = "Mida su azúcar."', "body = 3"), "es.body must be text"),
    ],
)
def test_a_mistake_is_refused_naming_the_field(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ActionRefused) as refused:
        library.parse_material(SAMPLE.replace(*change), "sample.toml")
    assert message in str(refused.value)
    assert "sample.toml" in str(refused.value)


def test_the_slug_must_match_the_files_name() -> None:
    with pytest.raises(ActionRefused, match="must be 'other'"):
        library.parse_material(SAMPLE, "other.toml")


def test_a_deployer_file_adds_a_material_without_a_restart(deployer: Path) -> None:
    assert library.material("sample") is None
    (deployer / "sample.toml").write_text(SAMPLE, encoding="utf-8")
    added = library.material("sample")
    assert added is not None and added.source == "deployer"
    assert library.library_errors() == []


def test_a_deployer_file_replaces_a_shipped_one(deployer: Path) -> None:
    text = (library.SHIPPED_DIR / "medications-dose-list.toml").read_text(encoding="utf-8")
    (deployer / "medications-dose-list.toml").write_text(
        text.replace("Your medicine list: keep it with you", "Our clinic's medicine list"), encoding="utf-8"
    )
    replaced = library.material("medications-dose-list")
    assert replaced is not None and replaced.title == "Our clinic's medicine list"


@pytest.mark.parametrize(
    "content",
    [b"slug = ", b"\xff\xfe not utf-8", SAMPLE.replace("print", "fax").encode(), b"a = [" * 2000],
)
def test_a_broken_deployer_file_is_left_out_with_a_message_not_a_crash(
    deployer: Path, content: bytes
) -> None:
    (deployer / "sample.toml").write_bytes(content)
    assert library.material("sample") is None
    assert len(library.all_materials()) == len(SHIPPED)
    [error] = library.library_errors()
    assert "sample.toml" in error


def test_a_missing_deployer_folder_is_no_error(settings, tmp_path: Path) -> None:
    settings.DATA_HOME = tmp_path / "nowhere"
    assert library.library_errors() == []
    assert len(library.all_materials()) == len(SHIPPED)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_is_a_material_or_a_refusal(text: str) -> None:
    try:
        material = library.parse_material(text, "x.toml")
    except ActionRefused as exc:
        assert str(exc)
    else:
        assert material.slug == "x"
