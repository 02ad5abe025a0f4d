from django.urls import path
from oauth2_provider import views as oauth_views

from careconductor.privacy.guards import public

from . import authorize, views

app_name = "smart"
urlpatterns = [
    path("oauth/authorize/", authorize.authorize, name="authorize"),
    path("oauth/token/", authorize.token, name="token"),
    path("oauth/revoke/", public(oauth_views.RevokeTokenView.as_view()), name="revoke"),
    path("setup/apps/", views.apps, name="apps"),
    path("setup/apps/<int:app_id>/", views.app, name="app"),
    path("patients/<int:patient_id>/apps/", views.launcher, name="launcher"),
]
