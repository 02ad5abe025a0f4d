"""Merging duplicate patient records (issue 17 §3): the administrator finds the two records, reviews them side
by side (identity, identifiers and counts of what will move, never clinical content) and merges with a reason;
the merge history is open to the administrator and the privacy officer. The work is patients/merge.py."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from careconductor.accounts.rules import Page, roles_for
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.patients import merge as merging
from careconductor.patients.models import PatientMerge
from careconductor.patients.queries import access_merge_pair, search_patients
from careconductor.privacy import audit
from careconductor.privacy.guards import staff_view

from . import merge_forms as f

FOUND_AT_MOST = 20
PAGE_SIZE = 50


@staff_view(roles_for(Page.SETUP))
@require_http_methods(["GET"])
def merge(request: StaffRequest) -> HttpResponse:
    """Find the two records: a search, then 'keep' and 'duplicate' beside each record found."""
    user = request.user
    form = f.FindForm(request.GET or None)
    found = []
    if form.is_valid() and form.cleaned_data["q"].strip():
        found = list(
            search_patients(user, form.cleaned_data["q"]).prefetch_related("identifiers")[:FOUND_AT_MOST]
        )
        audit.record_reads(user, found, object_type="PatientMergeSearch")
    return render(
        request,
        "administration/merge.html",
        {"nav": "setup", "form": form, "found": found, "searched": bool(request.GET.get("q", "").strip())},
    )


@staff_view(roles_for(Page.SETUP))
@require_http_methods(["GET", "POST"])
def merge_review(request: StaffRequest) -> HttpResponse:
    """The two records side by side; POST merges them."""
    user = request.user
    pair = f.PairForm(request.GET)
    if not pair.is_valid():
        return render(
            request, "administration/merge_pick_again.html", {"nav": "setup", "pair": pair}, status=400
        )
    kept, duplicate = access_merge_pair(user, pair.cleaned_data["kept"], pair.cleaned_data["duplicate"])
    form = f.ConfirmForm(request.POST or None)

    def page() -> HttpResponse:
        shown = merging.review(user, kept, duplicate)
        return render(
            request,
            "administration/merge_review.html",
            {"nav": "setup", "review": shown, "form": form, "kept": kept, "duplicate": duplicate},
            status=400 if request.method == "POST" else 200,
        )

    if request.method == "POST":
        return post_form(
            request,
            form,
            lambda data: merging.do_merge_patients(user, kept, duplicate, data["reason"]),
            success=lambda done: (
                f"{duplicate.full_name}'s record was merged into {kept.full_name}'s: "
                f"{sum(done.moved.values())} records moved."
            ),
            done_url="administration:merges",
            redisplay=page,
        )
    return page()


@staff_view(roles_for(Page.SETUP) | roles_for(Page.PRIVACY))
@require_http_methods(["GET"])
def merges(request: StaffRequest) -> HttpResponse:
    """The merge history: who merged which records, when, why and what moved. The privacy officer reads it too
    (identity and counts only, as on the review page)."""
    user = request.user
    history = (
        PatientMerge.objects.filter(organization_id=user.org_id)
        .select_related("kept", "merged_by")
        .prefetch_related("kept__identifiers")
        .order_by("-merged_at", "-pk")
    )
    page = Paginator(history, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record_reads(user, [m.kept for m in page], object_type="PatientMergeHistory")
    return render(
        request,
        "administration/merges.html",
        {"nav": Page.PRIVACY if user.role in roles_for(Page.PRIVACY) else Page.SETUP, "page": page},
    )
