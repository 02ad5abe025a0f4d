"""The cases app's own pages. The case list and the case page are at the top of the import graph
(chart/case_page.py); chart/case_urls.py puts both under the `cases:` names and is what the site includes."""

from django.urls import path

from . import cover_views, reassign_views, views

urlpatterns = [
    path("<int:case_id>/assign/", views.case_assign, name="assign"),
    path("caseloads/", views.caseload_view, name="caseloads"),
    path("caseloads/<int:staff_id>/reassign/", reassign_views.reassign_view, name="reassign"),
    path("covers/", cover_views.covers_view, name="covers"),
    path("covers/end/", cover_views.cover_end_view, name="cover_end"),
]
