"""API URLs of the organization app, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("units", api.OrgUnitViewSet, basename="api-unit")
router.register("departments", api.DepartmentViewSet, basename="api-department")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    *router.urls,
]
