from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from careconductor.accounts import views as account_views
from careconductor.core import views as core_views
from careconductor.fhir import views as fhir_views
from careconductor.smart import discovery as smart_discovery

urlpatterns: list[URLPattern | URLResolver] = [
    path("", account_views.home, name="home"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("account/second-factor/", account_views.second_factor, name="second_factor"),
    path("account/second-factor/setup/", account_views.second_factor_setup, name="second_factor_setup"),
    path("account/recovery-codes/", account_views.new_recovery_codes, name="recovery_codes"),
    path("settings/security/", account_views.security_settings, name="security_settings"),
    path("healthz", core_views.healthz, name="healthz"),
    path("patients/", include("careconductor.chart.urls")),
    path("cases/", include("careconductor.chart.case_urls")),
    path("", include("careconductor.assessments.urls")),
    path("", include("careconductor.coordination.urls")),
    path("", include("careconductor.coordination.notification_urls")),
    path("careplans/", include("careconductor.careplans.urls")),
    path("portal/", include("careconductor.engagement.urls")),
    path("", include("careconductor.engagement.staff_urls")),
    path("", include("careconductor.medications.urls")),
    path("", include("careconductor.education.urls")),
    path("privacy/", include("careconductor.privacy.urls")),
    # A transaction POSTed to the base without its slash: answered, not redirected (a 301 makes clients GET).
    path("fhir/r4", fhir_views.root, name="fhir_base"),
    path(
        "fhir/r4/.well-known/smart-configuration",
        smart_discovery.smart_configuration,
        name="smart_configuration",
    ),
    path("fhir/r4/", include("careconductor.fhir.urls")),
    path("setup/adt/", include("careconductor.transitions.urls")),
    path("", include("careconductor.directory.urls")),
    path("", include("careconductor.referrals.urls")),
    path("", include("careconductor.appointments.urls")),
    path("", include("careconductor.letters.urls")),
    path("um/", include("careconductor.um.urls")),
    path("population/", include("careconductor.population.urls")),
    path("", include("careconductor.smart.urls")),
    path("setup/", include("careconductor.administration.urls")),
]
