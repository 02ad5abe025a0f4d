"""The `cases:` URLs: the case list and the case page (chart/case_page.py, at the top of the import graph) and
the cases app's own pages (assigning, caseloads, reassigning, covers: cases/urls.py)."""

from django.urls import path

from careconductor.cases.urls import urlpatterns as cases_own

from . import case_page

app_name = "cases"
urlpatterns = [
    path("", case_page.case_list_view, name="list"),
    path("<int:case_id>/", case_page.case_detail, name="detail"),
    path("<int:case_id>/transition/", case_page.case_transition, name="transition"),
    path("<int:case_id>/consent/", case_page.case_consent, name="consent"),
    path("<int:case_id>/acuity/", case_page.case_acuity, name="acuity"),
    *cases_own,
]
