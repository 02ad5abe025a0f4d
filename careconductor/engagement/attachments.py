"""Checking what patients attach to messages: pictures (JPEG, PNG, WebP) and PDFs only, recognised by their
first bytes rather than by the name or the type the browser claims, at most MAX_FILES of MAX_BYTES each. A file
that claims to be a picture (by the browser's type or its name) must be one, of that format; every picture is
kept only as re-encoded without its metadata (pictures.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _

from careconductor.core.errors import ActionRefused

from . import pictures

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 3
ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


@dataclass(frozen=True)
class Checked:
    file: UploadedFile
    name: str
    content_type: str
    size: int


def sniff(head: bytes) -> str:
    """The content type the first bytes show, or '' when it is not one we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return ""


_PICTURE_SUFFIXES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def claimed_picture(name: str, content_type: str) -> str:
    """The picture type a file claims by the browser's type or, failing that, by its name; '' if none."""
    if pictures.is_picture(content_type):
        return content_type
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _PICTURE_SUFFIXES.get(suffix, "")


def safe_name(name: str) -> str:
    """A file name that is only a name: no folders, no control characters, not too long."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ()]", "_", base).strip(" .") or "attachment"
    return base[-100:]


def check_all(files: Sequence[UploadedFile]) -> list[Checked]:
    if len(files) > MAX_FILES:
        raise ActionRefused({"attachments": _("Attach at most %(n)s files.") % {"n": MAX_FILES}})
    checked = []
    for upload in files:
        name = safe_name(upload.name or "")
        size = upload.size or 0
        if size == 0:
            raise ActionRefused({"attachments": _("%(name)s is empty.") % {"name": name}})
        if size > MAX_BYTES:
            raise ActionRefused(
                {"attachments": _("%(name)s is too big: files can be up to 5 MB.") % {"name": name}}
            )
        upload.seek(0)
        data = upload.read()
        upload.seek(0)
        kind = sniff(data[:16])
        claimed = claimed_picture(name, upload.content_type or "")
        if claimed and kind != claimed:
            raise ActionRefused({"attachments": _not_a_picture(name)})
        if not kind:
            raise ActionRefused(
                {
                    "attachments": _(
                        "%(name)s is not a picture (JPEG, PNG, WebP) or a PDF, so it cannot be sent."
                    )
                    % {"name": name}
                }
            )
        if pictures.is_picture(kind):
            try:
                data = pictures.clean(data, kind)
            except pictures.NotAPicture as exc:
                raise ActionRefused({"attachments": _refusal(name, exc.problem)}) from exc
            upload, size = SimpleUploadedFile(name, data, kind), len(data)
        checked.append(Checked(upload, name, kind, size))
    return checked


def _not_a_picture(name: str) -> str:
    return _("%(name)s is not a picture we can open (JPEG, PNG, WebP), so it cannot be sent.") % {
        "name": name
    }


def _refusal(name: str, problem: pictures.Problem) -> str:
    if problem == pictures.Problem.TOO_LARGE:
        words = _("%(name)s is too large a picture (over %(megapixels)s megapixels), so it cannot be sent.")
        return words % {"name": name, "megapixels": pictures.MAX_PIXELS // 1_000_000}
    return _not_a_picture(name)
