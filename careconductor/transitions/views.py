"""The operator's pages for ADT feeds (Set-up, ADT feeds; docs/hl7v2.md "The ADT feeds page"): the feeds with
their last message and the week's counts, adding, pausing and resuming a feed; the match queue, where an
administrator says who a held message is about; the message list and one message's raw text beside what it
did. Reads through queries.access_*, changes through actions.do_*."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from careconductor.accounts.rules import Page, roles_for
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from . import forms, queries
from .actions import do_create_feed, do_resolve_match, do_set_feed_active
from .choices import Outcome

admin_view = staff_view(roles_for(Page.SETUP))


def _page(
    request: StaffRequest, template: str, context: dict[str, Any], *, failed: bool = False
) -> HttpResponse:
    return render(
        request,
        f"transitions/{template}",
        {"nav": Page.SETUP.value, "held": queries.held_count(request.user), **context},
        status=400 if failed else 200,
    )


@admin_view
@require_http_methods(["GET", "POST"])
def feeds(request: StaffRequest) -> HttpResponse:
    """The feeds, and the form that adds one."""
    user = request.user
    form = forms.FeedForm(request.POST or None)

    def page() -> HttpResponse:
        context = {
            "rows": queries.access_feeds(user),
            "form": form,
            "outcomes": Outcome.choices,
            "days": queries.COUNT_DAYS,
        }
        return _page(request, "feeds.html", context, failed=request.method == "POST")

    if request.method == "POST":
        return post_form(
            request,
            form,
            lambda data: do_create_feed(user, **data),
            success=lambda feed: (
                f"Feed {feed.name} added: it receives messages from {feed.sending_facility}."
            ),
            done_url="transitions:feeds",
            redisplay=page,
        )
    return page()


@admin_view
@require_http_methods(["POST"])
def feed_active(request: StaffRequest, feed_id: int) -> HttpResponse:
    """Pause or resume a feed (the buttons on the feeds page)."""
    user = request.user
    feed = queries.access_feed(user, feed_id)
    form = forms.FeedActiveForm(request.POST)

    def page() -> HttpResponse:
        context = {
            "rows": queries.access_feeds(user),
            "form": forms.FeedForm(),
            "outcomes": Outcome.choices,
            "days": queries.COUNT_DAYS,
            "active_form": form,
            "active_feed": feed,
        }
        return _page(request, "feeds.html", context, failed=True)

    return post_form(
        request,
        form,
        lambda data: do_set_feed_active(user, feed, data["active"]),
        success=lambda done: f"{done.name}: " + ("resumed." if done.active else "paused."),
        done_url="transitions:feeds",
        redisplay=page,
    )


@admin_view
@require_http_methods(["GET"])
def queue(request: StaffRequest) -> HttpResponse:
    """The match queue: held messages, oldest first, with who each names and the patients it may be."""
    page = queries.access_match_queue(request.user, request.GET.get("page"))
    # "Someone else": a search for one held message whose candidates are not the person.
    search = forms.MatchSearchForm(request.GET if "find" in request.GET else None)
    searched = search.cleaned_data["message"] if search.is_valid() else None
    found = queries.search_for_match(request.user, search.cleaned_data["find"]) if searched else []
    return _page(
        request,
        "queue.html",
        {"page": page, "searched": searched, "find": request.GET.get("find", ""), "found": found},
    )


@admin_view
@require_http_methods(["POST"])
def resolve(request: StaffRequest, adt_message_id: int) -> HttpResponse:
    """'This is <patient>' or 'Create the patient' on one held message: it and every later message held for the
    same hospital MRN are applied, in the order received."""
    user = request.user
    message = queries.access_held_message(user, adt_message_id)
    form = forms.ResolveForm(request.POST)

    def act(data: dict[str, Any]) -> int:
        patient = queries.access_candidate(user, data["patient"]) if data["patient"] else None
        if data["patient"] and patient is None:
            raise ActionRefused("That patient is not one you may choose.")
        return do_resolve_match(user, message, patient=patient, create=bool(data["create"]))

    def page() -> HttpResponse:
        shown = queries.access_match_queue(user, request.GET.get("page"))
        return _page(
            request, "queue.html", {"page": shown, "failed": message.pk, "resolve_form": form}, failed=True
        )

    return post_form(
        request,
        form,
        act,
        success=lambda applied: f"Matched: {applied} message{'' if applied == 1 else 's'} applied.",
        done_url="transitions:queue",
        redisplay=page,
    )


@admin_view
@require_http_methods(["GET"])
def messages(request: StaffRequest) -> HttpResponse:
    """Every message, newest first, by outcome and feed, a page at a time."""
    user = request.user
    form = forms.MessageFilterForm(request.GET or None, feeds=queries.feed_choices(user))
    data = form.cleaned_data if form.is_valid() else {}
    page = queries.access_messages(
        user, outcome=data.get("outcome", ""), feed=data.get("feed"), page_number=request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    rows = [(m, queries.trigger_words(m.trigger)) for m in page]
    context = {"form": form, "page": page, "rows": rows, "querystring": params.urlencode()}
    return _page(request, "messages.html", context)


@admin_view
@require_http_methods(["GET"])
def message(request: StaffRequest, adt_message_id: int) -> HttpResponse:
    """One message: its raw text, a segment a line, beside what became of it."""
    shown = queries.access_message(request.user, adt_message_id)
    segments = [s for s in shown.raw.replace("\n", "\r").split("\r") if s]
    back = reverse("transitions:queue") if shown.outcome == Outcome.HELD else reverse("transitions:messages")
    context = {
        "message": shown,
        "segments": segments,
        "back": back,
        "words": queries.trigger_words(shown.trigger),
    }
    return _page(request, "message.html", context)
