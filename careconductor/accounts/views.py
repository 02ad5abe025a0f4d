from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from careconductor.privacy.guards import public, staff_view

from .choices import Role

login_view = public(auth_views.LoginView.as_view(redirect_authenticated_user=True))
logout_view = public(auth_views.LogoutView.as_view())


@staff_view()
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    role = request.user.role  # type: ignore[union-attr]
    if role in (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ADMIN, Role.CARE_TEAM):
        return redirect("cases:list")
    return redirect("patients:list")
