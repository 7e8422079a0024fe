"""Page URLs of the grids app: the public station finder and the staff coverage page."""

from django.urls import path

from . import views

app_name = "grids"
urlpatterns = [
    path("stations/", views.station_list, name="station_list"),
    path("stations/nearest/", views.station_nearest, name="station_nearest"),
    path("stations/coverage/", views.coverage, name="coverage"),
    path("stations/<int:pk>/", views.station_detail, name="station_detail"),
    path("stations/basemap.geojson", views.basemap, name="basemap"),
    path(
        "stations/basemap/buildings/<int:community_id>.geojson",
        views.basemap_buildings,
        name="basemap_buildings",
    ),
]
