from django.urls import path

from . import views

app_name = "coordination"
urlpatterns = [
    path("tasks/<int:task_id>/status/", views.move_task, name="move_task"),
    path("flags/<int:flag_id>/acknowledge/", views.acknowledge_flag, name="acknowledge_flag"),
]
