"""API URLs of the resident_requests app, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("categories", api.CategoryViewSet, basename="api-category")
router.register("requests", api.ResidentRequestViewSet, basename="api-request")

urlpatterns = [
    path("problems/geojson/", api.ProblemGeoJSONView.as_view(), name="api-problems-geojson"),
    *router.urls,
]
