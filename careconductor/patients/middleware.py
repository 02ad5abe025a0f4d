"""Old addresses of a merged record lead to the record it was merged into (core.errors.RecordMoved)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from careconductor.core.errors import RecordMoved


class MovedRecordMiddleware:
    """The same page of the kept record: a 302 for a read; a 307 for a form sent to the old address, so the
    browser sends it again, unchanged, to the new one (nothing was saved on the way)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RecordMoved):
            return None
        match = request.resolver_match
        try:
            if match is None or "patient_id" not in match.kwargs:
                raise NoReverseMatch
            url = reverse(
                match.view_name, args=match.args, kwargs={**match.kwargs, "patient_id": exception.kept_id}
            )
        except NoReverseMatch:
            url = reverse("patients:chart", args=[exception.kept_id])
        if request.GET:
            url += "?" + request.GET.urlencode()
        return HttpResponseRedirect(url, status=302 if request.method in ("GET", "HEAD") else 307)
