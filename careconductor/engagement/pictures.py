"""Pictures patients attach, kept without what the camera wrote about them.

A phone's photo carries EXIF (often where it was taken, to a few metres, and the phone's make and serial), XMP,
an ICC profile and comments; a screenshot's PNG carries text chunks. None of it is needed to see the picture
and some of it says where the patient lives. So every picture is decoded and encoded again in its own format
from its pixels alone, turned upright first (the EXIF orientation would be lost with the EXIF). A file that
claims to be a picture but is not one (Pillow cannot read it, or it is another format), or that decodes into
more than MAX_PIXELS pixels (a decompression bomb), is refused.

Only Pillow's JPEG, PNG and WebP readers are ever tried on what a patient sends. An animation (APNG, animated
WebP) keeps its first picture. Pure: bytes in, bytes out, no storage."""

from __future__ import annotations

import io
import warnings
from enum import StrEnum
from typing import Any

from PIL import Image, ImageOps, JpegImagePlugin

# 40 megapixels: more than any phone photo a patient sends at up to 5 MB (a 12 MP photo is ~3 MB), and below
# Pillow's own decompression-bomb warning (~89 MP). Decoded, 40 MP in RGB is 120 MB of memory.
MAX_PIXELS = 40_000_000

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Pillow names a JPEG with a multi-picture extension (a phone's depth map or preview) MPO: still a JPEG.
_SAME_AS = {"MPO": "JPEG"}
# What an image's `info` may say that is about the picture's author, place or device rather than its pixels.
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "photoshop")


class Problem(StrEnum):
    UNREADABLE = "unreadable"  # not a picture Pillow can decode, or a different format from the one claimed
    TOO_LARGE = "too_large"  # more than MAX_PIXELS pixels, or one Pillow itself calls a decompression bomb


class NotAPicture(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.value)


def is_picture(content_type: str) -> bool:
    return content_type in FORMATS


def _open(data: bytes, content_type: str) -> Image.Image:
    """The decoded picture, if `data` is a whole picture of `content_type` of at most MAX_PIXELS pixels."""
    expected = FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            # Above MAX_IMAGE_PIXELS Pillow only warns (it raises above twice that): a warning is a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS.values()))
            if _SAME_AS.get(image.format or "", image.format) != expected:
                raise NotAPicture(Problem.UNREADABLE)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise NotAPicture(Problem.TOO_LARGE)
            image.load()  # a truncated or corrupt file fails here, not when it is shown
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise NotAPicture(Problem.TOO_LARGE) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # UnidentifiedImageError is an OSError
        raise NotAPicture(Problem.UNREADABLE) from exc
    return image


def clean(data: bytes, content_type: str) -> bytes:
    """The picture encoded again in its format, upright, with no EXIF, XMP, ICC profile, comment or text."""
    image = _open(data, content_type)
    upright = ImageOps.exif_transpose(image)  # a new image: the orientation is in its pixels now
    # Only a palette picture's transparency is kept from what the file said about itself.
    upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    out = io.BytesIO()
    fmt = FORMATS[content_type]
    options: dict[str, Any] = {"exif": b"", "icc_profile": None}
    if fmt == "JPEG":
        if upright.mode not in ("1", "L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        # The source's quantisation tables and subsampling: the new file looks as the patient's did, at its size.
        options |= {"comment": b"", "qtables": getattr(image, "quantization", None) or None}
        if (sampling := JpegImagePlugin.get_sampling(image)) != -1:
            options["subsampling"] = sampling
        if options["qtables"] is None:
            del options["qtables"]
            options["quality"] = 90
    elif fmt == "WEBP":
        options |= {"xmp": b"", "quality": 90}
    upright.save(out, fmt, **options)
    return out.getvalue()


def has_metadata(data: bytes, content_type: str) -> bool:
    """Whether a stored picture still carries EXIF, XMP, an ICC profile, a comment or text chunks (one kept
    before pictures were cleaned on upload). Raises NotAPicture if it is not a picture of its type."""
    image = _open(data, content_type)
    if len(image.getexif()) or any(key in image.info for key in _METADATA_KEYS):
        return True
    return bool(getattr(image, "text", None))  # PNG tEXt, zTXt and iTXt chunks
