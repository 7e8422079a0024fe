"""API URLs of the grids app, mounted under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("stations", api.StationViewSet, basename="grids-station")
router.register("grids", api.GridViewSet, basename="grids-grid")

urlpatterns = [
    # Before the router, whose stations/<pk>/ would otherwise catch these words.
    path("stations/nearest/", api.NearestStationsView.as_view(), name="grids-station-nearest"),
    path("stations/geojson/", api.StationGeoJSONView.as_view(), name="grids-station-geojson"),
    path("buildings/search/", api.BuildingSearchView.as_view(), name="grids-building-search"),
    path("coverage/", api.CoverageView.as_view(), name="grids-coverage"),
    path("", include(router.urls)),
]
