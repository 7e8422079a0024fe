"""Page URLs of the ops app."""

from django.urls import path

from . import views

app_name = "ops"
urlpatterns = [
    path("privacy/", views.privacy_notice, name="privacy"),
    path("metrics", views.metrics, name="metrics"),
]
