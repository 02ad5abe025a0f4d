from django.urls import path

from . import merge_views, views

app_name = "administration"
urlpatterns = [
    path("", views.start, name="start"),
    path("organisation/", views.organization, name="organization"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:team_id>/", views.teams, name="team"),
    path("staff/", views.staff, name="staff"),
    path("staff/invite/", views.invite, name="invite"),
    path("staff/<int:staff_id>/", views.staff_member, name="staff_member"),
    path("programmes/", views.programs, name="programs"),
    path("merge/", merge_views.merge, name="merge"),
    path("merge/review/", merge_views.merge_review, name="merge_review"),
    path("merges/", merge_views.merges, name="merges"),
    path("welcome/<str:uidb64>/<str:token>/", views.welcome, name="welcome"),
]
