"""Pictures a patient attaches keep no metadata: uploaded through the real portal page, the stored file is read
back and opened. Files that claim to be pictures and are not are refused beside the field; downloads check
the stored file again."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from careconductor.engagement import actions
from careconductor.engagement.models import Message, MessageAttachment
from careconductor.privacy.models import AuditEvent
from tests.personas import World
from tests.shared import ModuleDb, reread

from ..pictures import GPS_IFD, photo_with_gps, png, png_claiming, webp_with_metadata
from .conftest import Portal, build_portal, patient_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


@pytest.fixture(scope="module")
def shared_portal(module_db: ModuleDb, shared_world: World | None) -> Portal | None:
    return module_db.build(build_portal, shared_world) if shared_world is not None else None


@pytest.fixture
def portal(shared_portal: Portal | None, world: World) -> Portal:
    return reread(shared_portal) if shared_portal is not None else build_portal(world)


def send(client: Client, *files: SimpleUploadedFile) -> str:
    """Paula's message with these files, posted through the portal page in English; the page's text."""
    client.post(reverse("portal:language"), {"language": "en"})
    response = client.post(
        reverse("portal:message_new"), {"subject": "Rash", "body": "Since Monday", "attachments": list(files)}
    )
    return "" if response.status_code == 302 else response.content.decode()


def stored(attachment: MessageAttachment) -> bytes:
    with attachment.file.open("rb") as f:
        return f.read()


def test_a_photo_is_kept_upright_without_its_exif_gps_or_comment(client: Client, portal: Portal) -> None:
    original = photo_with_gps(width=40, height=20)
    assert b"patient 123" in original and b"PatientPhone" in original  # what the phone wrote
    patient_client(client, portal.paula_login)

    assert send(client, SimpleUploadedFile("rash.jpg", original, content_type="image/jpeg")) == ""

    attachment = Message.objects.get().attachments.get()
    data = stored(attachment)
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG" and attachment.content_type == "image/jpeg"
    assert picture.size == (20, 40)  # turned as the phone showed it: Orientation 6 is a quarter turn
    assert picture.getpixel((10, 2))[2] > 150  # the blue left half is on top now
    assert len(picture.getexif()) == 0 and not picture.getexif().get_ifd(GPS_IFD)
    assert "comment" not in picture.info and "icc_profile" not in picture.info and "xmp" not in picture.info
    assert b"patient 123" not in data and b"PatientPhone" not in data
    assert attachment.size == len(data)


def test_a_png_loses_its_text_chunks_and_keeps_its_pixels(client: Client, portal: Portal) -> None:
    original = png(8, 6, text={"Author": "Paula Reyes", "Description": "left foot"})
    assert Image.open(io.BytesIO(original)).text  # type: ignore[attr-defined]
    patient_client(client, portal.paula_login)

    assert send(client, SimpleUploadedFile("foot.png", original, content_type="image/png")) == ""

    data = stored(Message.objects.get().attachments.get())
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG" and picture.size == (8, 6)
    assert picture.text == {}  # type: ignore[attr-defined]
    assert b"Paula Reyes" not in data and b"tEXt" not in data
    assert picture.getpixel((3, 3)) == (200, 120, 110)


def test_a_webp_loses_its_exif_and_xmp(portal: Portal) -> None:
    original = webp_with_metadata()
    assert {"exif", "xmp"} <= set(Image.open(io.BytesIO(original)).info)

    message = actions.do_send_message(
        portal.paula_login,
        portal.world.paula,
        subject="Foot",
        body="Look",
        files=[SimpleUploadedFile("foot.webp", original, content_type="image/webp")],
    )

    picture = Image.open(io.BytesIO(stored(message.attachments.get())))
    assert picture.format == "WEBP" and picture.size == (10, 10)
    assert not {"exif", "xmp", "icc_profile"} & set(picture.info)


NOT_A_PICTURE = "is not a picture we can open (JPEG, PNG, WebP), so it cannot be sent."
TOO_LARGE = "is too large a picture (over 40 megapixels), so it cannot be sent."


@pytest.mark.parametrize(
    ("name", "content", "claimed", "words"),
    [
        ("rash.jpg", PDF, "image/jpeg", NOT_A_PICTURE),  # a PDF named and sent as a photo
        ("rash.jpg", PDF, "application/octet-stream", NOT_A_PICTURE),  # the name alone claims a photo
        ("rash.png", bytes(range(256)) * 4, "image/png", NOT_A_PICTURE),  # no picture at all
        ("rash.png", photo_with_gps(), "image/png", NOT_A_PICTURE),  # a JPEG that says it is a PNG
        ("rash.jpg", photo_with_gps()[:300], "image/jpeg", NOT_A_PICTURE),  # a JPEG's start, cut off
        ("big.png", png_claiming(10_000, 6_000), "image/png", TOO_LARGE),  # 60 megapixels
        ("bomb.png", png_claiming(30_000, 30_000), "image/png", TOO_LARGE),  # Pillow's own bomb limit
    ],
    ids=["pdf-as-jpeg", "pdf-named-jpg", "noise", "jpeg-as-png", "cut-off", "60-megapixels", "bomb"],
)
def test_a_file_that_is_not_the_picture_it_claims_is_refused_beside_the_field_and_nothing_is_saved(
    client: Client, portal: Portal, name: str, content: bytes, claimed: str, words: str
) -> None:
    patient_client(client, portal.paula_login)

    page = send(client, SimpleUploadedFile(name, content, content_type=claimed))

    error = re.search(r'<p class="p-error" id="id_attachments_error">([^<]*)</p>', page)
    assert error is not None, page[:2000]
    assert error.group(1) == f"{name} {words}"
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()


def test_a_pdf_is_kept_as_it_was_sent(portal: Portal) -> None:
    message = actions.do_send_message(
        portal.paula_login,
        portal.world.paula,
        subject="Letter",
        body="From the clinic",
        files=[SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")],
    )
    assert stored(message.attachments.get()) == PDF


# --- downloads check the stored file again ----------------------------------------------------------------------


def _sent_photo(portal: Portal) -> MessageAttachment:
    message = actions.do_send_message(
        portal.paula_login,
        portal.world.paula,
        subject="Rash",
        body="Look",
        files=[SimpleUploadedFile("rash.jpg", photo_with_gps(), content_type="image/jpeg")],
    )
    return message.attachments.get()


def _replace_stored_file(attachment: MessageAttachment, data: bytes) -> None:
    """What an older version kept, or what changed on the disk since: the bytes under the stored name."""
    with open(attachment.file.path, "wb") as f:
        f.write(data)


def test_a_clean_picture_is_downloaded_as_stored(client: Client, login, portal: Portal) -> None:
    attachment = _sent_photo(portal)
    login(portal.world.alice)

    download = client.get(reverse("engagement:attachment", args=[attachment.pk]))

    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert b"".join(download.streaming_content) == stored(attachment)  # type: ignore[attr-defined]


def test_a_picture_kept_with_its_metadata_is_sent_without_it(client: Client, portal: Portal) -> None:
    attachment = _sent_photo(portal)
    _replace_stored_file(attachment, photo_with_gps(width=40, height=20))  # as uploads were kept before
    patient_client(client, portal.paula_login)

    download = client.get(reverse("portal:attachment", args=[attachment.pk]))

    assert download.status_code == 200
    data = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    picture = Image.open(io.BytesIO(data))
    assert len(picture.getexif()) == 0 and "comment" not in picture.info and picture.size == (20, 40)
    assert b"patient 123" in stored(attachment)  # the stored file is left as it was


@pytest.mark.parametrize(
    "replacement", [PDF, png(), b"<html><script>alert(1)</script>"], ids=["pdf", "png", "html"]
)
def test_a_stored_file_that_is_not_the_picture_it_says_is_not_sent_and_the_refusal_is_audited(
    client: Client, login, portal: Portal, replacement: bytes
) -> None:
    attachment = _sent_photo(portal)  # stored as image/jpeg
    _replace_stored_file(attachment, replacement)

    login(portal.world.alice)
    staff = client.get(reverse("engagement:attachment", args=[attachment.pk]))
    patient_client(client, portal.paula_login)
    client.post(reverse("portal:language"), {"language": "en"})
    patient = client.get(reverse("portal:attachment", args=[attachment.pk]))

    assert staff.status_code == 404 and staff["Content-Type"].startswith("text/html")
    assert "rash.jpg is stored as a picture (image/jpeg) but is not one" in staff.content.decode()
    assert patient.status_code == 404
    assert "rash.jpg is not the picture it says it is" in patient.content.decode()
    assert replacement not in staff.content and replacement not in patient.content
    refusals = AuditEvent.objects.filter(action="refused", object_id=str(attachment.pk))
    assert sorted(refusals.values_list("user__username", flat=True)) == ["alice", "paula"]
    assert all("download refused" in detail for detail in refusals.values_list("detail", flat=True))
