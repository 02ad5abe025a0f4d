"""The administrator's page for the directory as a whole: upload an HSDS package (JSON, or a zip of a Tabular Data
Package) with the result said on the page (what was added, or every problem by where it is), and download the
directory in either form."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from careconductor.accounts.rules import Page, roles_for
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from . import export, tabular
from .actions import do_import_hsds
from .forms import UploadForm
from .hsds import PackageRefused

admin_view = staff_view(roles_for(Page.SETUP))
MOST_UPLOAD = 50 * 1024 * 1024
PROBLEMS_SHOWN = 200


@admin_view
@require_http_methods(["GET", "POST"])
def import_package(request: StaffRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "nav": "resources"}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["package"]
        try:
            report = do_import_hsds(request.user, _read(upload), source=upload.name[:100])
        except PackageRefused as refused:
            context |= {"problems": refused.problems[:PROBLEMS_SHOWN], "more": len(refused.problems) - PROBLEMS_SHOWN,
                        "refused_name": upload.name}  # fmt: skip
        except ActionRefused as refused:
            show_refusal(form, refused)
        else:
            context["report"] = report
            context["imported_name"] = upload.name
    failed = request.method == "POST" and "report" not in context
    return render(request, "directory/import.html", context, status=400 if failed else 200)


def _read(upload: Any) -> Any:
    """The upload as a package: a zip is a Tabular Data Package, anything else is read as JSON."""
    if upload.size > MOST_UPLOAD:
        raise PackageRefused([f"the file is larger than {MOST_UPLOAD // 2**20} MB"])
    data = upload.read()
    if data[:4] == b"PK\x03\x04":
        return tabular.from_zip(data)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PackageRefused([f"the file is neither a zip nor HSDS JSON ({str(exc)[:80]})"]) from exc


@admin_view
@require_GET
def export_package(request: StaffRequest) -> HttpResponse:
    org_id = request.user.organization_id
    assert org_id is not None
    services = export.package(org_id)
    as_csv = request.GET.get("as") == "csv"
    audit.record(
        request.user, AuditAction.EXPORT, object_type="DirectoryExport", object_id=str(org_id),
        detail=f"{len(services)} service(s) as {'CSV' if as_csv else 'JSON'}",
    )  # fmt: skip
    if as_csv:
        response = HttpResponse(
            tabular.to_zip(tabular.write_tables(services)), content_type="application/zip"
        )
        response["Content-Disposition"] = 'attachment; filename="directory-hsds.zip"'
    else:
        response = HttpResponse(
            json.dumps(services, indent=1, ensure_ascii=False), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="directory-hsds.json"'
    return response
