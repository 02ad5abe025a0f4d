from django.urls import path

from . import cover_views, reassign_views, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/transition/", views.case_transition, name="transition"),
    path("<int:case_id>/consent/", views.case_consent, name="consent"),
    path("<int:case_id>/acuity/", views.case_acuity, name="acuity"),
    path("<int:case_id>/assign/", views.case_assign, name="assign"),
    path("caseloads/", views.caseload_view, name="caseloads"),
    path("caseloads/<int:staff_id>/reassign/", reassign_views.reassign_view, name="reassign"),
    path("covers/", cover_views.covers_view, name="covers"),
    path("covers/end/", cover_views.cover_end_view, name="cover_end"),
]
