"""Page URLs of the dashboards app."""

from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<int:unit_id>/", views.dashboard, name="unit"),
    path("dashboard/<int:unit_id>/summary/", views.dashboard_summary, name="summary"),
    path("dashboard/<int:unit_id>/topics/", views.monthly_topics, name="topics"),
    path(
        "dashboard/<int:unit_id>/topics/project/",
        views.monthly_topic_project,
        name="topic_project",
    ),
    path(
        "dashboard/<int:unit_id>/topics/reception/",
        views.monthly_topic_reception,
        name="topic_reception",
    ),
    path("dashboard/<int:unit_id>/stations/", views.station_planner, name="stations"),
    path(
        "dashboard/<int:unit_id>/export/<slug:table>.<str:fmt>",
        views.dashboard_export,
        name="export",
    ),
]
