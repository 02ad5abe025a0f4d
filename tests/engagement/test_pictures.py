"""Re-encoding pictures without their metadata (engagement.pictures), without the database: the kinds of picture
phones and tools write that the portal's own tests do not send."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from careconductor.engagement import pictures

from ..pictures import MAKE, png, png_claiming


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_a_multi_picture_jpeg_from_a_phone_is_a_jpeg_and_keeps_its_first_picture_only() -> None:
    exif = Image.Exif()
    exif[MAKE] = "PatientPhone"
    first, preview = Image.new("RGB", (30, 20), (200, 0, 0)), Image.new("RGB", (30, 20), (0, 0, 200))
    data = encoded(first, "MPO", save_all=True, append_images=[preview], exif=exif)
    assert Image.open(io.BytesIO(data)).format == "MPO"

    clean = Image.open(io.BytesIO(pictures.clean(data, "image/jpeg")))

    assert clean.format == "JPEG" and getattr(clean, "n_frames", 1) == 1
    assert clean.getpixel((15, 10))[0] > 150  # the first picture, the red one
    assert len(clean.getexif()) == 0


def test_a_palette_png_keeps_its_transparency() -> None:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    data = encoded(image, "PNG", transparency=1)

    clean = Image.open(io.BytesIO(pictures.clean(data, "image/png")))

    assert clean.mode == "P" and clean.info.get("transparency") == 1


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_print_jpegs_stay_in_their_colours(mode: str) -> None:
    data = encoded(Image.new(mode, (8, 8)), "JPEG", comment=b"scanned by Paula")

    clean = Image.open(io.BytesIO(pictures.clean(data, "image/jpeg")))

    assert clean.mode == mode and "comment" not in clean.info


@pytest.mark.parametrize(
    ("data", "content_type", "problem"),
    [
        (png(), "image/webp", pictures.Problem.UNREADABLE),  # another format than the one named
        (b"GIF89a" + bytes(40), "image/png", pictures.Problem.UNREADABLE),  # a format never opened at all
        (png_claiming(7_000, 6_000), "image/png", pictures.Problem.TOO_LARGE),  # 42 MP: just over the limit
    ],
    ids=["png-as-webp", "gif", "42-megapixels"],
)
def test_what_is_not_a_picture_of_its_type_is_refused(
    data: bytes, content_type: str, problem: pictures.Problem
) -> None:
    with pytest.raises(pictures.NotAPicture) as refused:
        pictures.clean(data, content_type)
    assert refused.value.problem == problem
    with pytest.raises(pictures.NotAPicture):
        pictures.has_metadata(data, content_type)


def test_a_picture_at_the_limit_is_taken() -> None:
    assert pictures.MAX_PIXELS == 40_000_000
    # A real 40-megapixel picture of one colour compresses to a few kilobytes and decodes to 40 MB (mode L).
    data = encoded(Image.new("L", (8_000, 5_000)), "PNG")
    assert Image.open(io.BytesIO(pictures.clean(data, "image/png"))).size == (8_000, 5_000)
