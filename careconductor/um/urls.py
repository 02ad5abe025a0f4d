from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "um"
urlpatterns: list[URLPattern] = [
    path("", views.worklist, name="worklist"),
    path("new/", views.intake, name="intake"),
    path("settings/", views.settings, name="settings"),
    path("metrics/", views.metrics_page, name="metrics"),
    path("metrics.csv", views.metrics_csv, name="metrics_csv"),
    path("metrics.json", views.metrics_json, name="metrics_json"),
    path("metrics/requests/", views.metrics_requests, name="metrics_requests"),
    path("<int:request_id>/", views.request_page, name="request"),
    path("<int:request_id>/take/", views.take, name="take"),
    path("<int:request_id>/pend/", views.pend, name="pend"),
    path("<int:request_id>/resume/", views.resume, name="resume"),
    path("<int:request_id>/extend/", views.extend, name="extend"),
    path("<int:request_id>/criteria/", views.answer_criteria, name="criteria"),
    path("<int:request_id>/physician/", views.to_physician, name="physician"),
    path("<int:request_id>/peer-to-peer/", views.peer_to_peer, name="peer_to_peer"),
    path("<int:request_id>/decide/", views.decide, name="decide"),
    path("<int:request_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:request_id>/stay/", views.review_stay, name="review_stay"),
    path("<int:request_id>/appeal/", views.appeal, name="appeal"),
    path("<int:request_id>/appeal/decide/", views.appeal_decision, name="appeal_decision"),
    path("<int:request_id>/refer/", views.refer, name="refer"),
    path("notices/<int:notice_id>/pdf/", views.notice_pdf, name="notice_pdf"),
    path("documents/<int:document_id>/", views.document, name="document"),
]
