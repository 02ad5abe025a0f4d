from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from careconductor.accounts import views as account_views
from careconductor.core import views as core_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", account_views.home, name="home"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("healthz", core_views.healthz, name="healthz"),
    path("patients/", include("careconductor.chart.urls")),
    path("cases/", include("careconductor.cases.urls")),
]
