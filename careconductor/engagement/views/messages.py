"""Secure messages with the care team, their attachments and replies, from the patient's side."""

from __future__ import annotations

import io

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from careconductor.core.errors import NotVisible
from careconductor.core.forms import post_form
from careconductor.core.requests import PortalRequest

from .. import portal_data, queries
from ..actions.messages import do_mark_read, do_send_message
from ..context import render_portal
from ..forms import (
    MessageForm,
    ReplyForm,
)
from ..guards import portal_view
from ..models import Message, MessageAttachment


@portal_view
@require_GET
def message_list(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    return render_portal(request, "messages.html", "messages", items=queries.patient_messages(patient))


@portal_view
@require_http_methods(["GET", "POST"])
def message_new(request: PortalRequest) -> HttpResponse:
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render_portal(request, "message_new.html", "messages", form=form)
    return post_form(
        request,
        form,
        lambda d: do_send_message(
            request.user, request.portal_patient, subject=d["subject"], body=d["body"], files=d["attachments"]
        ),
        success=_("Your message is sent. Your care team usually answers within 1 business day."),
        done_url=_message_url,
        redisplay=lambda: render_portal(request, "message_new.html", "messages", 422, form=form),
    )


def _message_url(message: Message) -> str:
    return reverse("portal:message", kwargs={"message_id": message.pk})


def _portal_message(request: PortalRequest, message_id: int) -> Message:
    message = queries.access_message(request.user, message_id)
    if message.patient_id != request.portal_patient.pk:
        raise NotVisible
    return message


@portal_view
@require_http_methods(["GET", "POST"])
def message_detail(request: PortalRequest, message_id: int) -> HttpResponse:
    message = _portal_message(request, message_id)
    form = ReplyForm(request.POST or None, request.FILES or None)

    def page() -> HttpResponse:
        status = 422 if request.method == "POST" else 200
        thread = portal_data.thread(message)
        for item in thread:  # opening a conversation reads the team's messages in it
            do_mark_read(request.user, item)
        return render_portal(
            request, "message.html", "messages", status, message=message, thread=thread, form=form
        )

    if request.method != "POST":
        return page()
    return post_form(
        request,
        form,
        lambda d: do_send_message(
            request.user,
            request.portal_patient,
            subject="",
            body=d["body"],
            files=d["attachments"],
            reply_to=message,
        ),
        success=_("Your reply is sent."),
        done_url=_message_url,
        redisplay=page,
    )


@portal_view
@require_GET
def attachment(request: PortalRequest, attachment_id: int) -> HttpResponseBase:
    found = queries.access_attachment(request.user, attachment_id)
    if found.message.patient_id != request.portal_patient.pk:
        raise NotVisible
    try:
        return attachment_response(queries.attachment_content(request.user, found), found)
    except queries.UnsafeAttachment:
        return render_portal(request, "attachment_refused.html", "messages", 404, attachment=found)


def attachment_refused(request: HttpRequest, found: MessageAttachment) -> HttpResponse:
    """The staff side's answer for a stored file that is not the picture it says: not sent, and said so."""
    return render(request, "engagement/staff/attachment_refused.html", {"attachment": found}, status=404)


def attachment_response(data: bytes, found: MessageAttachment) -> FileResponse:
    """The file as checked (queries.attachment_content); shown inline only for the types we took, never as
    HTML."""
    response = FileResponse(io.BytesIO(data), content_type=found.content_type, filename=found.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
