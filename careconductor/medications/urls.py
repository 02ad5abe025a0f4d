from django.urls import path

from .views import medications, reconciliation

app_name = "medications"
urlpatterns = [
    path("patients/<int:patient_id>/medications/", medications.medication_list, name="list"),
    path("medications/<int:medication_id>/stop/", medications.stop, name="stop"),
    path("patients/<int:patient_id>/medications/reconcile/", reconciliation.start, name="reconcile"),
    path(
        "medications/reconciliations/<int:reconciliation_id>/",
        reconciliation.reconciliation_page,
        name="reconciliation",
    ),
    path(
        "medications/reconciliations/<int:reconciliation_id>/discharge/",
        reconciliation.add_discharge_line,
        name="reconciliation_discharge",
    ),
    path(
        "medications/reconciliations/<int:reconciliation_id>/complete/",
        reconciliation.complete,
        name="reconciliation_complete",
    ),
    path(
        "medications/reconciliation-lines/<int:line_id>/takes/", reconciliation.line_takes, name="line_takes"
    ),
    path(
        "medications/reconciliation-lines/<int:line_id>/decide/",
        reconciliation.line_decide,
        name="line_decide",
    ),
]
