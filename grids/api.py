"""The grids API: public read-only stations (JSON and GeoJSON), nearest stations and building
search for residents; grids and 15-minute coverage for staff, within their scope."""

import math

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import CleanInputSerializerMixin, LocalTimeField, Serializer
from core.privacy import redact_text
from organization.models import UnitKind
from organization.selectors import scope_root_units, units_visible_to

from . import geo, selectors, services
from .forms import StationFilterForm
from .hours import opening_status, status_text
from .models import Grid, OpeningHours, ServiceStation

MAX_NEAREST = 50


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise serializers.ValidationError(_("A valid number is required."))
    return value


class OpeningHoursSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    weekday_display = serializers.CharField(source="get_weekday_display")
    opens = LocalTimeField(format="%H:%M")
    closes = LocalTimeField(format="%H:%M")

    class Meta:
        model = OpeningHours
        fields = ["weekday", "weekday_display", "opens", "closes"]


class StationSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display")
    services = serializers.SerializerMethodField()
    open_now = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = ServiceStation
        fields = [
            "id", "name", "level", "level_display", "address", "lat", "lng", "phone",
            "services", "is_demonstration", "upgraded_year", "open_now", "status", "page_url",
        ]  # fmt: skip

    def _status(self, station):
        now = self.context.setdefault("now", timezone.now())
        if not hasattr(station, "_api_status"):
            station._api_status = opening_status(station.hours.all(), now)
        return station._api_status

    def get_services(self, station) -> list[dict]:
        return [{"code": s.code, "name": s.label} for s in station.services.all()]

    def get_open_now(self, station) -> bool:
        return self._status(station).is_open

    def get_status(self, station) -> str:
        return status_text(self._status(station), self.context["now"])

    def get_page_url(self, station) -> str:
        url = reverse("grids:station_detail", args=[station.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class StationDetailSerializer(StationSerializer):
    hours = OpeningHoursSerializer(many=True, read_only=True)
    description = serializers.SerializerMethodField()

    class Meta(StationSerializer.Meta):
        fields = StationSerializer.Meta.fields + ["hours", "description"]

    def get_description(self, station) -> str:
        # Staff write it, and sometimes name a volunteer with their phone: redacted in public.
        return redact_text(station.description)


def _filtered_stations(request):
    form = StationFilterForm(request.query_params or None)
    if form.is_bound and not form.is_valid():
        raise ValidationError(form.errors)
    if form.is_bound:
        return selectors.station_search(**form.search_kwargs())
    return selectors.stations_public()


STATION_FILTERS = [
    OpenApiParameter("q", str, description="Words in the name, address or services"),
    OpenApiParameter("street", int, description="A street unit's id"),
    OpenApiParameter("community", int, description="A community unit's id"),
    OpenApiParameter("service", str, description="A service code, e.g. legal"),
    OpenApiParameter("open_now", bool, description="Only stations open now (Asia/Shanghai)"),
]


@extend_schema_view(list=extend_schema(parameters=STATION_FILTERS))
class StationViewSet(viewsets.ReadOnlyModelViewSet):
    """Active stations. Filters: ?q=, ?street=<unit id>, ?community=<unit id>, ?service=<code>,
    ?open_now=on."""

    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.stations_public()
        return _filtered_stations(self.request)

    def get_serializer_class(self):
        return StationDetailSerializer if self.action == "retrieve" else StationSerializer


class StationGeoJSONView(APIView):
    """The same stations as a GeoJSON FeatureCollection (coordinates are [lng, lat])."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=STATION_FILTERS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        context = {"request": request, "now": timezone.now()}
        data = StationSerializer(_filtered_stations(request), many=True, context=context).data
        features = []
        for row in data:
            properties = {k: v for k, v in row.items() if k not in ("lat", "lng")}
            features.append(
                {
                    "type": "Feature",
                    "id": row["id"],
                    "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
                    "properties": properties,
                }
            )
        return Response(
            {"type": "FeatureCollection", "features": features},
            content_type="application/geo+json",
        )


class NearestQuerySerializer(Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, validators=[_finite])
    lng = serializers.FloatField(min_value=-180, max_value=180, validators=[_finite])
    limit = serializers.IntegerField(min_value=1, max_value=MAX_NEAREST, default=5)


class NearestStationSerializer(Serializer):
    straight_m = serializers.FloatField()
    walking_m = serializers.IntegerField(source="metres_shown")
    walking_minutes = serializers.IntegerField(source="minutes_shown")
    within_circle = serializers.BooleanField()
    station = StationSerializer()


class NearestResponseSerializer(Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    detour_factor = serializers.FloatField()
    walking_metres_per_minute = serializers.FloatField()
    results = NearestStationSerializer(many=True)


class NearestStationsView(APIView):
    """?lat=&lng=&limit= (limit 1–50, default 5): the nearest active stations, with the walk."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[NearestQuerySerializer], responses=NearestResponseSerializer)
    def get(self, request):
        query = NearestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        nearby = selectors.nearest_stations(**query.validated_data)
        context = {"request": request, "now": timezone.now()}
        return Response(
            {
                "lat": query.validated_data["lat"],
                "lng": query.validated_data["lng"],
                "detour_factor": geo.DETOUR_FACTOR,
                "walking_metres_per_minute": geo.WALKING_METRES_PER_MINUTE,
                "results": NearestStationSerializer(nearby, many=True, context=context).data,
            }
        )


class BuildingSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    grid = serializers.CharField(source="grid.name")


class BuildingSearchView(APIView):
    """?q=words: up to 20 buildings whose address contains them (residents pick their own)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True)],
        responses=BuildingSerializer(many=True),
    )
    def get(self, request):
        text = request.query_params.get("q", "").strip()
        if not text:
            raise ValidationError({"q": [_("Type a few characters of the address.")]})
        return Response(BuildingSerializer(selectors.building_search(text[:60]), many=True).data)


# --- Staff ------------------------------------------------------------------------------------


class GridSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Grid
        fields = [
            "id", "code", "name", "community", "community_name", "unit", "leader",
            "households", "population", "center_lat", "center_lng", "boundary",
        ]  # fmt: skip
        read_only_fields = ["code", "community", "unit"]


class GridViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Grids in the staff user's scope; a grid leader sees and changes only their own."""

    serializer_class = GridSerializer
    permission_classes = [permissions.IsAuthenticated, permissions.DjangoModelPermissions]

    def get_queryset(self):
        return selectors.grids_visible_to(self.request.user).select_related("community")

    def perform_update(self, serializer):
        changes = {
            k: v for k, v in serializer.validated_data.items() if k in services.GRID_EDITABLE
        }
        # ApplicationError becomes a 400 with the message in core.api.exception_handler.
        serializer.instance = services.grid_update(grid=serializer.instance, **changes)


class CoverageView(APIView):
    """?unit=<id> (default: the top of the user's scope): the 15-minute circle there."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("unit", int, description="A unit in your scope")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        roots = list(scope_root_units(request.user))
        if not roots:
            raise PermissionDenied(_("Coverage is for staff scoped to a part of the district."))
        unit = roots[0]
        if "unit" in request.query_params:
            try:
                pk = int(request.query_params["unit"])
            except ValueError as exc:
                raise ValidationError({"unit": [_("Give a unit's number.")]}) from exc
            unit = (
                units_visible_to(request.user)
                .filter(
                    kind__in=[UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID]
                )
                .filter(pk=pk)
                .first()
            )
            if unit is None:
                raise NotFound(_("No such unit in your part of the district."))
        limit = 200
        report = selectors.coverage_report(unit, uncovered_limit=limit)
        return Response(
            {
                "unit": {"id": unit.pk, "name": unit.name, "kind": unit.kind},
                "circle_minutes": geo.SERVICE_CIRCLE_MINUTES,
                "summary": report.summary.as_dict(),
                "streets": [row.as_dict() for row in report.streets],
                "communities": [row.as_dict() for row in report.communities],
                "uncovered": [
                    {
                        "building_id": b.building_id,
                        "address": b.address,
                        "grid": b.grid_name,
                        "households": b.households,
                        "nearest_station_id": b.nearest_station_id,
                        "nearest_station": b.nearest_station_name,
                        # No active station at all: no walk to give (JSON has no infinity).
                        "walking_minutes": round(b.walking_minutes, 1)
                        if math.isfinite(b.walking_minutes)
                        else None,
                    }
                    for b in report.uncovered
                ],
                "uncovered_shown": len(report.uncovered),
                "uncovered_total": report.summary.uncovered_buildings,
            }
        )
