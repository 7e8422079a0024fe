"""OpenAPI descriptions for the grids app's plain API views (APIViews without a serializer), so
/api/schema/ lists each with its parameters and answers.

drf-spectacular view extensions, registered when their class is defined: GridsConfig.ready
imports this module. They name their views by path, so grids.api is imported only when the
schema is built.
"""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from core.api import ErrorSerializer


def _described(view_class, **operations):
    return extend_schema_view(**operations)(type(view_class.__name__, (view_class,), {}))


class NearestStationsSchema(OpenApiViewExtension):
    target_class = "grids.api.NearestStationsView"

    def view_replacement(self):
        from grids.api import NearestQuerySerializer, NearestStationSerializer

        class NearestStationsAnswer(serializers.Serializer):
            lat = serializers.FloatField()
            lng = serializers.FloatField()
            detour_factor = serializers.FloatField()
            walking_metres_per_minute = serializers.FloatField()
            results = NearestStationSerializer(many=True)

        return _described(
            self.target_class,
            get=extend_schema(
                parameters=[NearestQuerySerializer], responses={200: NearestStationsAnswer}
            ),
        )


class StationGeoJSONSchema(OpenApiViewExtension):
    target_class = "grids.api.StationGeoJSONView"

    def view_replacement(self):
        return _described(
            self.target_class,
            get=extend_schema(
                parameters=[
                    OpenApiParameter("q", str, description="Words in the name or address"),
                    OpenApiParameter("street", int, description="Street unit id"),
                    OpenApiParameter("community", int, description="Community unit id"),
                    OpenApiParameter("service", str, description="Service code"),
                    OpenApiParameter("open_now", str, description="on: open now only"),
                ],
                responses={(200, "application/geo+json"): OpenApiTypes.OBJECT},
                description="The stations as a GeoJSON FeatureCollection ([lng, lat]).",
            ),
        )


class BuildingSearchSchema(OpenApiViewExtension):
    target_class = "grids.api.BuildingSearchView"

    def view_replacement(self):
        class BuildingFound(serializers.Serializer):
            id = serializers.IntegerField()
            name = serializers.CharField()
            address = serializers.CharField()
            grid = serializers.CharField()

        return _described(
            self.target_class,
            get=extend_schema(
                parameters=[
                    OpenApiParameter(
                        "q", str, required=True, description="Part of the building's address"
                    )
                ],
                responses={200: BuildingFound(many=True)},
            ),
        )


class CoverageSchema(OpenApiViewExtension):
    target_class = "grids.api.CoverageView"

    def view_replacement(self):
        return _described(
            self.target_class,
            get=extend_schema(
                parameters=[
                    OpenApiParameter(
                        "unit", int, description="Unit id (default: the top of your scope)"
                    )
                ],
                responses={200: OpenApiTypes.OBJECT, 404: ErrorSerializer},
                description="The 15-minute service circle: coverage by street and community, "
                "and the buildings outside it.",
            ),
        )
