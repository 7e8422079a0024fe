"""The party_work API: read-only for staff within their scope; public read of the coming
reception sessions and of the honour page (name and branch only)."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, LocalTimeField, ModelSerializer, Serializer
from core.privacy import mask_name, mask_phone
from organization.models import UnitKind
from organization.selectors import filter_visible, units_visible_to

from . import selectors
from .models import (
    Activity,
    CoBuildingUnit,
    HouseholdLink,
    PostClaim,
    ReceptionSession,
    Representative,
    ServiceProject,
    VanguardAward,
    VolunteerTeam,
)


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """A staff list of a model, filtered by the user's scope (the model's SCOPE_PATH)."""

    permission_classes = [IsStaff]
    base_queryset = None

    def get_queryset(self):
        qs = self.base_queryset.all()
        return filter_visible(qs, self.request.user, qs.model.SCOPE_PATH)


# --- Staff --------------------------------------------------------------------------------------


class TeamSerializer(ModelSerializer):
    grid = serializers.CharField(source="grid.name")
    leader = serializers.CharField(source="leader.name", default="")
    services = serializers.ListField(source="service_list", child=serializers.CharField())

    class Meta:
        model = VolunteerTeam
        fields = ["id", "name", "grid_id", "grid", "leader", "services", "active"]


class TeamViewSet(ScopedReadOnlyViewSet):
    serializer_class = TeamSerializer
    base_queryset = VolunteerTeam.objects.select_related("grid", "leader").order_by("pk")


class PostClaimSerializer(ModelSerializer):
    person = serializers.CharField(source="person.name")
    post_display = serializers.CharField(source="get_post_display")

    class Meta:
        model = PostClaim
        fields = ["id", "grid_id", "person_id", "person", "post", "post_display", "duty",
                  "start_date", "end_date"]  # fmt: skip


class PostClaimViewSet(ScopedReadOnlyViewSet):
    serializer_class = PostClaimSerializer
    base_queryset = PostClaim.objects.select_related("person").order_by("pk")


class HouseholdLinkSerializer(ModelSerializer):
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()

    class Meta:
        model = HouseholdLink
        fields = ["id", "central_household_id", "building_id", "address", "contact_name",
                  "contact_phone", "last_visit", "active"]  # fmt: skip

    def get_contact_name(self, obj) -> str:
        return mask_name(obj.contact_name)

    def get_contact_phone(self, obj) -> str:
        return mask_phone(obj.contact_phone)


class HouseholdLinkViewSet(ScopedReadOnlyViewSet):
    """Households in contact; ?due=1 lists only those not visited for 90 days."""

    serializer_class = HouseholdLinkSerializer
    base_queryset = HouseholdLink.objects.order_by("pk")

    def get_queryset(self):
        if self.request.query_params.get("due"):
            return selectors.households_due_visit(user=self.request.user)
        return super().get_queryset()


class RepresentativeSerializer(ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")
    level_display = serializers.CharField(source="get_level_display")

    class Meta:
        model = Representative
        fields = ["id", "name", "kind", "kind_display", "level", "level_display",
                  "community_id", "workplace", "active"]  # fmt: skip


class RepresentativeViewSet(ScopedReadOnlyViewSet):
    serializer_class = RepresentativeSerializer
    base_queryset = Representative.objects.order_by("pk")


class SessionSerializer(ModelSerializer):
    community = serializers.CharField(source="community.name")
    start_time = LocalTimeField(read_only=True)
    end_time = LocalTimeField(read_only=True)
    deputies = serializers.SerializerMethodField()
    booked = serializers.IntegerField(read_only=True)
    places_left = serializers.SerializerMethodField()

    class Meta:
        model = ReceptionSession
        fields = ["id", "community_id", "community", "date", "start_time", "end_time", "place",
                  "station_id", "deputies", "capacity", "booked", "places_left", "status"]  # fmt: skip

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_deputies(self, obj):
        return [{"name": d.name, "kind": d.kind, "kind_display": d.get_kind_display()}
                for d in obj.deputies.all()]  # fmt: skip

    def get_places_left(self, obj) -> int:
        return max(0, obj.capacity - obj.booked)


class SessionViewSet(ScopedReadOnlyViewSet):
    serializer_class = SessionSerializer

    def get_queryset(self):
        from django.db.models import Count

        qs = (
            ReceptionSession.objects.select_related("community")
            .prefetch_related("deputies")
            .annotate(booked=Count("bookings"))
            .order_by("-date", "pk")
        )
        return filter_visible(qs, self.request.user, ReceptionSession.SCOPE_PATH)


class ProjectSerializer(ModelSerializer):
    class Meta:
        model = ServiceProject
        fields = ["id", "community_id", "year", "title", "status", "beneficiaries"]


class ProjectViewSet(ScopedReadOnlyViewSet):
    serializer_class = ProjectSerializer
    base_queryset = ServiceProject.objects.order_by("-year", "pk")

    def get_queryset(self):
        qs = super().get_queryset()
        year = self.request.query_params.get("year", "")
        return qs.filter(year=int(year)) if year.isdigit() else qs


class CoBuildingSerializer(ModelSerializer):
    communities = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CoBuildingUnit
        fields = ["id", "name", "kind", "street_id", "communities", "commitments"]


class CoBuildingViewSet(ScopedReadOnlyViewSet):
    serializer_class = CoBuildingSerializer
    base_queryset = CoBuildingUnit.objects.prefetch_related("communities").order_by("pk")


class ActivitySerializer(ModelSerializer):
    participants = serializers.IntegerField(source="n_participants", read_only=True)

    class Meta:
        model = Activity
        fields = ["id", "team_id", "title", "date", "place", "hours", "participants"]


class ActivityViewSet(ScopedReadOnlyViewSet):
    serializer_class = ActivitySerializer

    def get_queryset(self):
        from django.db.models import Count

        qs = Activity.objects.annotate(n_participants=Count("participants")).order_by("-date", "pk")
        return filter_visible(qs, self.request.user, Activity.SCOPE_PATH)


MAX_ID = 2**63 - 1


def _id_param(value: str | None) -> int | None:
    """A positive id the database can hold, or None."""
    if value and value.isdigit() and int(value) <= MAX_ID:
        return int(value)
    return None


UNIT_PARAM = OpenApiParameter("unit", OpenApiTypes.INT, required=True, description="unit id")
YEAR_PARAM = OpenApiParameter("year", OpenApiTypes.INT)
QUARTER_PARAM = OpenApiParameter("quarter", OpenApiTypes.INT)


class RankingRowSerializer(Serializer):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    branch = serializers.CharField()
    requests = serializers.IntegerField()
    hours = serializers.CharField(help_text="Volunteer hours, a decimal number as text")
    visits = serializers.IntegerField()
    points = serializers.IntegerField()
    awarded = serializers.BooleanField()


@extend_schema(
    parameters=[UNIT_PARAM, YEAR_PARAM, QUARTER_PARAM],
    responses={200: RankingRowSerializer(many=True), 404: ErrorSerializer},
)
class RankingView(APIView):
    """The quarterly vanguard ranking of a unit in scope: ?unit=<id>&year=&quarter=."""

    permission_classes = [IsStaff]

    def get(self, request):
        unit_id = _id_param(request.query_params.get("unit"))
        try:
            year = int(request.query_params.get("year") or timezone.localdate().year)
            quarter = int(request.query_params.get("quarter") or 1)
        except ValueError as exc:
            raise ValidationError({"year": "year and quarter must be numbers"}) from exc
        if unit_id is None:
            raise ValidationError({"unit": "give the id of a unit in your scope"})
        if not 2000 <= year <= 2100:
            raise ValidationError({"year": "a year from 2000 to 2100"})
        if not 1 <= quarter <= 4:
            raise ValidationError({"quarter": "1 to 4"})
        unit = units_visible_to(request.user).filter(pk=unit_id).first()
        if unit is None:
            raise NotFound()
        rows = selectors.vanguard_ranking(unit=unit, year=year, quarter=quarter)[:200]
        return Response(
            [
                {
                    "person_id": r.person_id,
                    "name": r.name,
                    "branch": r.branch,
                    "requests": r.requests,
                    "hours": str(r.hours),
                    "visits": r.visits,
                    "points": r.points,
                    "awarded": r.awarded,
                }
                for r in rows
            ]  # fmt: skip
        )


@extend_schema(
    parameters=[UNIT_PARAM, YEAR_PARAM], responses={200: OpenApiTypes.OBJECT, 404: ErrorSerializer}
)
class FiguresView(APIView):
    """The dashboard indicators of a unit in scope: ?unit=<id>&year=."""

    permission_classes = [IsStaff]

    def get(self, request):
        from dataclasses import asdict

        unit_id = _id_param(request.query_params.get("unit"))
        visible = units_visible_to(request.user).exclude(kind=UnitKind.HOUSEHOLD)
        unit = visible.filter(pk=unit_id).first() if unit_id is not None else None
        if unit is None:
            raise NotFound()
        year = request.query_params.get("year", "")
        year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
        figures = selectors.party_work_figures(unit, year=year)
        data = asdict(figures)
        data["volunteer_hours"] = str(data["volunteer_hours"])
        return Response(data)


# --- Public -------------------------------------------------------------------------------------


class PublicSessionSerializer(SessionSerializer):
    class Meta(SessionSerializer.Meta):
        fields = ["id", "community_id", "community", "date", "start_time", "end_time", "place",
                  "deputies", "capacity", "places_left"]  # fmt: skip


@extend_schema(
    parameters=[OpenApiParameter("community", OpenApiTypes.INT)],
    responses=PublicSessionSerializer(many=True),
)
class ComingSessionsView(APIView):
    """Public: the coming reception sessions (?community=<id> for one community)."""

    # Public to read; a token or a session still signs the caller in, so that they are
    # throttled as themselves (the user rate), not as an anonymous address.
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        community = None
        community_id = _id_param(request.query_params.get("community"))
        if community_id is not None:
            community = selectors.communities_with_coming_sessions().filter(pk=community_id).first()
            if community is None:
                return Response([])
        sessions = selectors.coming_sessions(community=community)[:500]
        return Response(PublicSessionSerializer(sessions, many=True).data)


class HonourSerializer(ModelSerializer):
    name = serializers.CharField(source="person.name")
    branch = serializers.CharField(source="branch.name")

    class Meta:
        model = VanguardAward
        fields = ["name", "branch", "year", "quarter"]


@extend_schema(parameters=[YEAR_PARAM, QUARTER_PARAM], responses=HonourSerializer(many=True))
class HonourView(APIView):
    """Public: the 先锋榜样 titles, name and branch only (?year=&quarter=)."""

    # Public to read; a token or a session still signs the caller in, so that they are
    # throttled as themselves (the user rate), not as an anonymous address.
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        year = request.query_params.get("year", "")
        quarter = request.query_params.get("quarter", "")
        awards = selectors.honour_roll(
            year=int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None,
            quarter=int(quarter) if quarter in {"1", "2", "3", "4"} else None,
        )[:500]
        return Response(HonourSerializer(awards, many=True).data)
