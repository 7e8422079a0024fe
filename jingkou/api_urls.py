"""/api/v1/: each app mounts its own API URLs here."""

from django.urls import include, path

urlpatterns = [
    path("", include("organization.api_urls")),
    path("", include("grids.api_urls")),
    path("", include("resident_requests.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("dashboards.api_urls")),
    path("", include("party_work.api_urls")),
]
