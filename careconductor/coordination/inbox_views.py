"""The staff inbox page (mentions and hand-overs) and the top bar's count. Only ever the user's own."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from .inbox import LIMIT, access_inbox, do_mark_inbox_read, inbox_counts
from .notification_views import redirect_onward
from .notify import do_mark_read


@staff_view()
@require_http_methods(["GET"])
def inbox(request: StaffRequest) -> HttpResponse:
    items = access_inbox(request.user, LIMIT)
    return render(
        request,
        "coordination/inbox.html",
        {
            "items": items,
            "unread": sum(1 for item in items if item.unread),
            "limit": LIMIT,
            "nav": "inbox",
        },
    )


@staff_view()
@require_POST
def mark_read(request: StaffRequest, notification_id: int) -> HttpResponse:
    """Mark one read (someone else's answers as missing); with `next` (the "Open" button) go on to it."""
    do_mark_read(request.user, notification_id)
    return redirect_onward(request, "coordination:inbox")


@staff_view()
@require_POST
def mark_all_read(request: StaffRequest) -> HttpResponse:
    count = do_mark_inbox_read(request.user)
    messages.success(request, f"{count} item{'s' if count != 1 else ''} marked read.")
    return redirect("coordination:inbox")


@staff_view()
@require_http_methods(["GET"])
def notification_badge(request: StaffRequest) -> HttpResponse:
    """The top bar's link text, loaded after the page (htmx) so no page pays for the counts: every unread
    notification, and how many of them are mentions and hand-overs waiting in the inbox. One query."""
    unread, in_inbox = inbox_counts(request.user)
    if not unread:
        return HttpResponse("Notifications")
    text = format_html("Notifications <span class='count'>{}</span>", unread)
    if in_inbox:
        text += format_html(
            " <span class='count count-inbox' title='{} in your inbox: mentions and hand-overs'>"
            "<span class='visually-hidden'>inbox </span>@{}</span>",
            in_inbox,
            in_inbox,
        )
    return HttpResponse(text)
