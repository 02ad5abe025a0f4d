from django.urls import path

from . import figures_views, views

app_name = "transitions"
urlpatterns = [
    path("", views.feeds, name="feeds"),
    path("feeds/<int:feed_id>/active/", views.feed_active, name="feed_active"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:adt_message_id>/", views.resolve, name="resolve"),
    path("messages/", views.messages, name="messages"),
    path("messages/<int:adt_message_id>/", views.message, name="message"),
    path("readmissions/", figures_views.figures, name="figures"),
    path("readmissions/patients/", figures_views.figures_patients, name="figures_patients"),
    path("readmissions.csv", figures_views.figures_csv_download, name="figures_csv"),
]
