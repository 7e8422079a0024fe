"""The requests API (/api/v1/requests/, /api/v1/categories/): scoped lists, detail, staff entry,
and one POST action per workflow transition, each calling resident_requests.services as the
admin does. Residents' names and phones are masked in lists and shown on the detail, where the
disclosure is recorded, exactly as in the admin.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import (
    CleanInputSerializerMixin,
    ErrorSerializer,
    IdFilter,
    NewestFirstCursorPagination,
    Serializer,
)
from core.privacy import mask_name, mask_phone
from grids.models import Building
from organization.models import Department, Person
from organization.selectors import scope_q

from . import selectors, services, teams
from .forms import ProblemFilterForm
from .models import (
    DESCRIPTION_MAX_LENGTH,
    Category,
    Channel,
    HandlingLevel,
    RequestDepartment,
    RequestEvent,
    RequestPhoto,
    RequestType,
    ResidentRequest,
    Status,
)
from .transitions import Surface, Transition, transitions_on

# --- Categories -----------------------------------------------------------------------------------


class CategorySerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    default_level_display = serializers.CharField(
        source="get_default_level_display", read_only=True
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name",
            "parent",
            "default_level",
            "default_level_display",
            "default_department",
            "hours_to_accept",
            "hours_to_resolve",
            "deadline_basis",
            "active",
        ]


class CategoryFilter(django_filters.FilterSet):
    parent = IdFilter(field_name="parent_id")
    top_level = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=_("Top-level categories only")
    )

    class Meta:
        model = Category
        fields = ["parent", "top_level", "active"]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Request categories, two levels (环境卫生 › 垃圾清运); requests use second-level ones."""

    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    queryset = Category.objects.order_by("sort_order", "code")


# --- Requests: output -------------------------------------------------------------------------------


class RequestEventSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.CharField(source="public_actor", read_only=True)
    department = serializers.CharField(
        source="department.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = RequestEvent
        fields = [
            "created_at",
            "kind",
            "kind_display",
            "actor",
            "from_status",
            "to_status",
            "from_level",
            "to_level",
            "department",
            "public_note",
            "internal_note",
        ]


class RequestDepartmentSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = RequestDepartment
        fields = [
            "department",
            "department_name",
            "created_at",
            "acknowledge_deadline",
            "done_deadline",
            "acknowledged_at",
            "reported_done_at",
            "done_note",
        ]


class RequestPhotoSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = RequestPhoto
        fields = ["stage", "url", "width", "height", "created_at"]

    def get_url(self, photo) -> str:
        request = self.context.get("request")
        url = photo.image.url
        return request.build_absolute_uri(url) if request else url


class RequestListSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    """A row of the list: the resident's name and phone masked, as in the admin's list."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    request_type_display = serializers.CharField(source="get_request_type_display", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    grid_name = serializers.CharField(source="grid.name", read_only=True)
    building_address = serializers.CharField(source="building.address", read_only=True)
    assignee_name = serializers.CharField(
        source="assignee.name", default=None, read_only=True, allow_null=True
    )
    assignee_team_name = serializers.CharField(
        source="assignee_team.name", default=None, read_only=True, allow_null=True
    )
    submitter_name = serializers.SerializerMethodField()
    submitter_phone = serializers.SerializerMethodField()

    class Meta:
        model = ResidentRequest
        fields = [
            "code",
            "status",
            "status_display",
            "level",
            "level_display",
            "channel",
            "request_type",
            "request_type_display",
            "public_allowed",
            "category",
            "category_name",
            "grid",
            "grid_name",
            "building",
            "building_address",
            "submitter_name",
            "submitter_phone",
            "assignee",
            "assignee_name",
            "assignee_team",
            "assignee_team_name",
            "accept_deadline",
            "resolve_deadline",
            "overdue",
            "suspended_since",
            "supporters_count",
            "created_at",
            "updated_at",
        ]

    def get_submitter_name(self, obj) -> str:
        return mask_name(obj.submitter_name)

    def get_submitter_phone(self, obj) -> str:
        return mask_phone(obj.submitter_phone)


class RequestDetailSerializer(RequestListSerializer):
    """The whole request, as on the admin's detail page: the name and phone in full (the
    view records the disclosure), the timeline with internal notes, departments and photos."""

    merged_into = serializers.CharField(
        source="merged_into.code", default=None, read_only=True, allow_null=True
    )
    events = RequestEventSerializer(many=True, read_only=True)
    department_links = RequestDepartmentSerializer(many=True, read_only=True)
    photos = RequestPhotoSerializer(many=True, read_only=True)

    class Meta(RequestListSerializer.Meta):
        fields = [
            *RequestListSerializer.Meta.fields,
            "description",
            "address",
            "lat",
            "lng",
            "accepted_at",
            "dispatched_at",
            "taken_at",
            "escalated_at",
            "resolved_at",
            "closed_at",
            "resolution_note",
            "reject_reason",
            "rating",
            "rating_comment",
            "rated_at",
            "reopened_count",
            "merged_into",
            "department_links",
            "photos",
            "events",
        ]

    def get_submitter_name(self, obj) -> str:
        return obj.submitter_name

    def get_submitter_phone(self, obj) -> str:
        return obj.submitter_phone


# --- Requests: input --------------------------------------------------------------------------------

STAFF_CHANNELS = [c for c in Channel.choices if c[0] != Channel.WEB]


class RequestCreateSerializer(Serializer):
    """A request entered by staff (walk-in, phone, patrol, reception day), as in the admin."""

    channel = serializers.ChoiceField(choices=STAFF_CHANNELS, default=Channel.WALK_IN)
    submitter_name = serializers.CharField(max_length=50)
    submitter_phone = serializers.CharField(max_length=11)
    building = serializers.PrimaryKeyRelatedField(queryset=Building.objects.all())
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(active=True, parent__isnull=False)
    )
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    request_type = serializers.ChoiceField(choices=RequestType.choices, default=RequestType.HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only the buildings the caller may see can be chosen, as in the admin's form.
            self.fields["building"].queryset = Building.objects.filter(
                scope_q(request.user, "grid__unit")
            )


class TransitionInput(Serializer):
    """The input of a transition: `arguments()` gives the service's keyword arguments
    (transitions.Transition.arguments); by default the fields as they are named."""

    def arguments(self) -> dict:
        return dict(self.validated_data)


class NoteSerializer(TransitionInput):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RequiredNoteSerializer(TransitionInput):
    note = serializers.CharField(max_length=2000)


class DeclineSerializer(RequiredNoteSerializer):
    """Why the member cannot take it (the service's `reason`)."""

    def arguments(self) -> dict:
        return {"reason": self.validated_data["note"]}


class RejectSerializer(TransitionInput):
    reason = serializers.CharField(max_length=2000)
    internal_note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class MergeSerializer(NoteSerializer):
    into = serializers.CharField(
        max_length=24, help_text=_("Tracking code of the request it duplicates")
    )

    def arguments(self) -> dict:
        return {"into_code": self.validated_data["into"], "note": self.validated_data["note"]}


class DispatchSerializer(NoteSerializer):
    """Exactly one of `assignee` and `team` (the service says so when both or neither come)."""

    assignee = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The party member (person id)"),
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=teams.team_model().objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Or the volunteer team (team id): its leader takes the order"),
    )


class EscalateSerializer(NoteSerializer):
    internal_note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=list
    )


class DepartmentNoteSerializer(NoteSerializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())


class DepartmentDoneSerializer(RequiredNoteSerializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())


class ExtensionSerializer(TransitionInput):
    working_days = serializers.IntegerField(
        min_value=1, help_text=_("More working days asked for (at most the setting's limit)")
    )
    reason = serializers.CharField(max_length=500)


class SuspensionSerializer(TransitionInput):
    reason = serializers.CharField(max_length=500)


# The serializer of each input shape of the transitions table (transitions.Transition.form);
# the action endpoints themselves are made from the table, below the view set.
SERIALIZERS = {
    None: None,
    "note": NoteSerializer,
    "reason": RejectSerializer,
    "merge": MergeSerializer,
    "dispatch": DispatchSerializer,
    "decline": DeclineSerializer,
    "resolve": RequiredNoteSerializer,
    "escalate": EscalateSerializer,
    "department": DepartmentNoteSerializer,
    "department_done": DepartmentDoneSerializer,
    "extension": ExtensionSerializer,
    "suspension": SuspensionSerializer,
    "decision": NoteSerializer,
}


# --- Requests: the view set -------------------------------------------------------------------------


class RequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    level = django_filters.MultipleChoiceFilter(choices=HandlingLevel.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    category = IdFilter(field_name="category_id")
    grid = IdFilter(field_name="grid_id")
    building = IdFilter(field_name="building_id")
    department = IdFilter(field_name="department_links__department_id", distinct=True)
    overdue = django_filters.BooleanFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ResidentRequest
        fields = [
            "status",
            "level",
            "channel",
            "category",
            "grid",
            "building",
            "department",
            "overdue",
            "created_after",
            "created_before",
        ]


def _transition(serializer_class, summary):
    # 409: IllegalTransition, the request is not (or no longer) in a state that allows it.
    return extend_schema(
        request=serializer_class,
        responses={200: RequestDetailSerializer, 409: ErrorSerializer},
        summary=summary,
    )


@extend_schema_view(
    list=extend_schema(summary=_("Requests in your scope, newest first")),
    retrieve=extend_schema(summary=_("One request, with the resident's name and phone")),
    create=extend_schema(
        summary=_("Enter a request (walk-in, phone, patrol, reception day)"),
        request=RequestCreateSerializer,
        responses={201: RequestDetailSerializer},
    ),
)
class ResidentRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Resident requests in the caller's scope (their units' subtrees, the requests escalated
    to their departments, and, for a party member, the orders dispatched to them), and one POST
    action per transition of the table that names the API (transitions.TRANSITIONS)."""

    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]{1,24}"
    filterset_class = RequestFilter
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self):
        user = self.request.user
        # The one rule, with the orders dispatched to the caller: members act on them here.
        q = selectors.request_visible_q(user, assigned=True)
        queryset = ResidentRequest.objects.filter(q).select_related(
            "category", "grid", "building", "assignee", "assignee_team"
        )
        if self.action == "retrieve":
            queryset = queryset.select_related("merged_into").prefetch_related(
                "photos",
                "department_links__department",
                "events__department",
            )
        return queryset

    def get_object(self):
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()

    def get_serializer_class(self):
        if self.action == "list":
            return RequestListSerializer
        if self.action == "create":
            return RequestCreateSerializer
        return RequestDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        # The detail shows the full phone number: record who saw it, as the admin does.
        services.phone_disclosure_record(request=obj, actor=request.user)
        return Response(RequestDetailSerializer(obj, context={"request": request}).data)

    def create(self, request, *args, **kwargs):
        serializer = RequestCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.request_submit(actor=request.user, **data)
        return Response(self._detail(created), status=status.HTTP_201_CREATED)

    def _detail(self, obj):
        fresh = self.get_queryset().filter(pk=obj.pk).first() or obj
        return RequestDetailSerializer(fresh, context={"request": self.request}).data

    def _run(self, transition: Transition):
        """POST /requests/<code>/<transition>/: the input checked by the transition's
        serializer, then the service, whose check (selectors.transition_role, the one behind
        transitions_available) refuses what the caller may not do now."""
        obj = self.get_object()
        arguments = {}
        serializer_class = SERIALIZERS[transition.form]
        if serializer_class is not None:
            serializer = serializer_class(data=self.request.data)
            serializer.is_valid(raise_exception=True)
            arguments = serializer.arguments()
        services.transition_run(
            name=transition.name, request=obj, actor=self.request.user, arguments=arguments
        )
        self.action = "retrieve"
        return Response(self._detail(obj))


def _transition_action(transition: Transition):
    """The view set's POST action for `transition`, named `transition_<name>` (a method named
    "dispatch" would replace the view's own)."""

    def run(self, request, code=None):
        return self._run(transition)

    run.__name__ = f"transition_{transition.name}"
    run.__doc__ = str(transition.summary)
    decorated = action(
        detail=True, methods=["post"], url_path=transition.api_path, url_name=transition.api_path
    )(run)
    return _transition(SERIALIZERS[transition.form], transition.summary)(decorated)


for _t in transitions_on(Surface.API):
    setattr(ResidentRequestViewSet, f"transition_{_t.name}", _transition_action(_t))


# --- The public map of problems as GeoJSON ---------------------------------------------------------


class ProblemPropertiesSerializer(Serializer):
    id = serializers.CharField(help_text="The public id (never the tracking code)")
    category = serializers.CharField()
    place = serializers.CharField(help_text="The building's address, or the grid's name")
    created = serializers.DateField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_display = serializers.CharField()
    open = serializers.BooleanField()
    supporters = serializers.IntegerField(help_text="People who pressed 'me too'")
    text = serializers.CharField(help_text="An excerpt, names, phones and rooms hidden")
    url = serializers.CharField(help_text="Its public page, with the timeline and 'me too'")


class PointSerializer(Serializer):
    type = serializers.ChoiceField(choices=["Point"])
    coordinates = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text="[lng, lat]"
    )


class ProblemFeatureSerializer(Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.CharField()
    geometry = PointSerializer()
    properties = ProblemPropertiesSerializer()


class ProblemCollectionSerializer(Serializer):
    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = ProblemFeatureSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text=f"More than {selectors.PUBLIC_MAP_MAX_POINTS} matched: only the newest are here"
    )


PROBLEM_FILTERS = [
    OpenApiParameter("street", int, description="A street unit's id"),
    OpenApiParameter("community", int, description="A community unit's id"),
    OpenApiParameter("category", int, description="A category's id, or a group's (all its kinds)"),
    OpenApiParameter(
        "status",
        str,
        enum=["open", "resolved"],
        description="open, or resolved in the last 30 days; both when absent",
    ),
]


class ProblemGeoJSONView(APIView):
    """The public map of problems (/problems/) as a GeoJSON FeatureCollection: requests the
    resident allowed to show and staff approved, open or recently resolved, newest first, at
    most PUBLIC_MAP_MAX_POINTS, each at its building (or its pin rounded to about 100 m)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=PROBLEM_FILTERS,
        responses={(200, "application/geo+json"): ProblemCollectionSerializer},
        description=(
            "Known problems nearby as GeoJSON ([lng, lat]): category, place, date, status and "
            "a redacted excerpt; never a name, a phone or the tracking code."
        ),
    )
    def get(self, request):
        form = ProblemFilterForm(request.query_params or None)
        filters = {}
        if form.is_bound:
            if not form.is_valid():
                raise ValidationError(form.errors)
            filters = form.selector_kwargs()
        limit = selectors.PUBLIC_MAP_MAX_POINTS
        rows = [
            selectors.public_problem(r) for r in selectors.problems_public(**filters)[: limit + 1]
        ]
        features = [
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
                "properties": {k: v for k, v in row.items() if k not in ("lat", "lng")},
            }
            for row in rows[:limit]
            if row["lat"] is not None and row["lng"] is not None
        ]
        return Response(
            {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit},
            content_type="application/geo+json",
        )
