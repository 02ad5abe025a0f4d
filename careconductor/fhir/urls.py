from __future__ import annotations

from django.urls import path, re_path

from . import bulk_views, views

app_name = "fhir"

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"
ID = r"(?P<resource_id>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("", views.root, name="root"),
    path("metadata", views.metadata, name="metadata"),
    re_path(rf"^Patient/{ID}/\$everything$", views.patient_everything, name="patient_everything"),
    re_path(r"^\$export$", bulk_views.export_system, name="export"),
    re_path(r"^Patient/\$export$", bulk_views.export_patients, name="patient_export"),
    re_path(rf"^Group/{ID}/\$export$", bulk_views.export_group, name="group_export"),
    re_path(r"^\$export-status/(?P<job_id>[0-9a-f-]{36})$", bulk_views.export_status, name="export_status"),
    re_path(
        r"^\$export-file/(?P<job_id>[0-9a-f-]{36})/(?P<name>[A-Za-z]{1,64}\.ndjson)$",
        bulk_views.export_file,
        name="export_file",
    ),
    re_path(r"^Claim/\$submit$", views.claim_submit, name="claim_submit"),
    re_path(r"^Claim/\$inquire$", views.claim_inquire, name="claim_inquire"),
    re_path(rf"^Subscription/{ID}/\$status$", views.subscription_status, name="subscription_status"),
    re_path(rf"^Subscription/{ID}/\$events$", views.subscription_events, name="subscription_events"),
    re_path(rf"^{TYPE}/_search$", views.type_search, name="type_search"),
    re_path(
        rf"^{TYPE}/{ID}/_history/(?P<version_id>[A-Za-z0-9\-.]{{1,64}})$",
        views.instance_version,
        name="vread",
    ),
    re_path(rf"^{TYPE}/{ID}/_history$", views.instance_history, name="history"),
    re_path(rf"^{TYPE}/{ID}$", views.instance, name="instance"),
    re_path(rf"^{TYPE}$", views.type_level, name="type"),
    # Anything else under the base (an unknown path, an id outside the pattern): an OperationOutcome, not a page.
    re_path(r"^.+$", views.no_such_interaction, name="unknown"),
]
