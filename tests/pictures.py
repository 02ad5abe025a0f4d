"""Pictures made in the test, as a patient's phone or a screenshot tool would write them: real files Pillow
opens, with the metadata the portal must not keep."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

# EXIF tags: Make, Orientation, the GPS block (its IFD pointer), and in it latitude and longitude.
MAKE = 0x010F
ORIENTATION = 0x0112
GPS_IFD = 0x8825


def png(width: int = 8, height: int = 6, *, text: dict[str, str] | None = None) -> bytes:
    """A small PNG; `text` becomes tEXt chunks (a screenshot tool's author, a phone's description)."""
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 110)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def photo_with_gps(width: int = 40, height: int = 20) -> bytes:
    """A phone's JPEG: stored `width` x `height` but to be shown turned a quarter (Orientation 6), with the
    phone's make, where it was taken and a comment naming the patient."""
    exif = Image.Exif()
    exif[MAKE] = "PatientPhone"
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    image = Image.new("RGB", (width, height), (200, 120, 110))
    image.paste((20, 30, 200), (0, 0, width // 2, height))  # the left half blue: it ends up on top
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"patient 123")
    return out.getvalue()


def webp_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "PatientPhone"
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (200, 120, 110)).save(
        out, "WEBP", exif=exif, xmp=b"<x:xmpmeta>author</x:xmpmeta>"
    )
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` pixels over one tiny row of data: what a decompression
    bomb looks like before it is decoded. Made by rewriting a 1x1 PNG's IHDR (and its checksum)."""
    data = bytearray(png(1, 1))
    ihdr = 8  # after the signature: length (4), b"IHDR" (4), then width and height
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 8 + 13]))
    data[ihdr + 8 + 13 : ihdr + 8 + 17] = struct.pack(">I", crc)
    return bytes(data)
