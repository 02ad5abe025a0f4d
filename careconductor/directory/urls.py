from django.urls import path

from . import edit_views, package_views, views

app_name = "directory"
urlpatterns = [
    path("resources/", views.search, name="search"),
    path("patients/<int:patient_id>/resources/", views.patient_search, name="patient_search"),
    path("resources/services/<int:service_id>/", edit_views.service_page, name="service"),
    path("resources/services/<int:service_id>/edit/", edit_views.edit_service, name="edit_service"),
    path("resources/services/<int:service_id>/phones/", edit_views.add_phone, name="add_phone"),
    path(
        "resources/services/<int:service_id>/phones/<int:phone_id>/remove/",
        edit_views.remove_phone,
        name="remove_phone",
    ),
    path("resources/services/<int:service_id>/hours/", edit_views.add_schedule, name="add_schedule"),
    path(
        "resources/services/<int:service_id>/hours/<int:schedule_id>/remove/",
        edit_views.remove_schedule,
        name="remove_schedule",
    ),
    path("resources/services/<int:service_id>/verify/", edit_views.verify, name="verify"),
    path("resources/organisations/", edit_views.providers, name="providers"),
    path("resources/organisations/new/", edit_views.new_provider, name="new_provider"),
    path("resources/organisations/<int:provider_id>/", edit_views.provider_page, name="provider"),
    path(
        "resources/organisations/<int:provider_id>/services/new/", edit_views.new_service, name="new_service"
    ),
    path(
        "resources/organisations/<int:provider_id>/places/new/", edit_views.new_location, name="new_location"
    ),
    path("resources/places/<int:location_id>/", edit_views.edit_location, name="edit_location"),
    path("resources/import/", package_views.import_package, name="import"),
    path("resources/export/", package_views.export_package, name="export"),
]
