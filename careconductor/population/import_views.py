"""The administrator's import page (issue 22): upload a population's files, follow the import's progress, read
the report of each file (what was new, unchanged, rejected and why)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from careconductor.accounts.choices import Role
from careconductor.accounts.rules import Page
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from . import queries
from .forms import ImportForm
from .import_runs import do_start_import


@staff_view(roles=[Role.ADMIN])
@require_http_methods(["GET", "POST"])
def imports(request: StaffRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)

    def redisplay() -> HttpResponse:
        return render(
            request,
            "population/imports.html",
            {"form": form, "runs": queries.access_import_runs(request.user), "nav": Page.POPULATION.value},
            status=400 if form.errors else 200,
        )

    if request.method != "POST":
        return redisplay()
    return post_form(
        request,
        form,
        lambda data: do_start_import(
            request.user, data["uploads"], source=data["source"], dry_run=data["dry_run"]
        ),
        success=lambda run: (
            f"{len(run.files)} files queued for import{' (a dry run)' if run.dry_run else ''}."
        ),
        done_url=lambda run: reverse("population:import_run", args=[run.pk]),
        redisplay=redisplay,
    )


@staff_view(roles=[Role.ADMIN])
@require_GET
def import_run(request: StaffRequest, run_id: int) -> HttpResponse:
    run = queries.access_import_runs(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such import.")
    # The page asks for its status again every 2 seconds while the import runs (htmx): the status part only.
    template = (
        "population/_import_status.html"
        if request.headers.get("HX-Request")
        else "population/import_run.html"
    )
    return render(
        request,
        template,
        {
            "run": run,
            "running": run.status in (run.Status.QUEUED, run.Status.RUNNING),
            "nav": Page.POPULATION.value,
        },
    )
