from __future__ import annotations

from django.urls import path

from . import campaign_views, import_views, outcomes_views, views

app_name = "population"

urlpatterns = [
    path("", views.home, name="home"),
    path("registries/new/", views.new_registry, name="new_registry"),
    path("registries/<int:registry_id>/", views.registry, name="registry"),
    path("registries/<int:registry_id>/run/", views.run_registry, name="run_registry"),
    path("registries/<int:registry_id>/refer/", views.refer, name="refer"),
    path("registries/<int:registry_id>/campaign/", campaign_views.start_campaign, name="start_campaign"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign, name="campaign"),
    path("campaigns/<int:campaign_id>/members/<int:member_id>/answer/", campaign_views.answer, name="answer"),
    path("campaigns/<int:campaign_id>/refer/", campaign_views.refer_interested, name="refer_interested"),
    path("campaigns/<int:campaign_id>/close/", campaign_views.close, name="close_campaign"),
    path("campaigns/<int:campaign_id>/letters.pdf", campaign_views.letters, name="campaign_letters"),
    path("stratify/", views.stratify, name="stratify"),
    path("imports/", import_views.imports, name="imports"),
    path("imports/<int:run_id>/", import_views.import_run, name="import_run"),
    path("outcomes/", outcomes_views.outcomes, name="outcomes"),
    path("outcomes/csv/", outcomes_views.outcomes_csv_download, name="outcomes_csv"),
    path("outcomes/patients/", outcomes_views.outcome_patients, name="outcome_patients"),
]
