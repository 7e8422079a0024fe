"""Read-only API of the organization tree and the departments (/api/v1/units/, /departments/),
and API tokens for staff (/api/v1/auth/token/).

Units are scoped like the admin: a staff user sees the subtrees under their scopes.
"""

import django_filters
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api import CleanInputSerializerMixin, IdFilter, Serializer

from .models import Department, DepartmentLevel, OrgUnit, UnitKind
from .selectors import units_visible_to


class OrgUnitSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    org_form_display = serializers.CharField(source="get_org_form_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "org_form",
            "org_form_display",
            "parent",
            "level",
        ]


class OrgUnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=UnitKind.choices)
    parent = IdFilter(field_name="parent_id")
    under = IdFilter(method="filter_under", label=_("Units in the subtree of this unit (id)"))
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=100)

    class Meta:
        model = OrgUnit
        fields = ["kind", "parent", "under", "name"]

    def filter_under(self, queryset, name, value):
        from .selectors import subtree_q

        unit = OrgUnit.objects.filter(pk=value).first()
        if unit is None:
            return queryset.none()
        return queryset.filter(subtree_q(unit))


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The five-level chain (district → street → community → grid → building → household),
    in tree order, limited to the caller's scope."""

    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter

    def get_queryset(self):
        return units_visible_to(self.request.user).order_by("tree_id", "lft")


class DepartmentSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "level",
            "level_display",
            "street",
            "contact_name",
            "contact_phone",
            "contact_email",
            "paired_communities",
        ]


class DepartmentFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=DepartmentLevel.choices)
    paired_community = IdFilter(
        field_name="paired_communities", label=_("Paired with this community (id)")
    )

    class Meta:
        model = Department
        fields = ["level", "street", "paired_community"]


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The district's departments (职能部门) and street offices with their paired communities
    (结对服务清单): every staff user may read them, as the admin's escalation form lists them."""

    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    queryset = Department.objects.prefetch_related("paired_communities").order_by("code")


class TokenRequestSerializer(Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """POST username and password: your API token (the same one until you DELETE it).
    DELETE (signed in): revoke your token; the next POST issues a new one."""

    permission_classes = [permissions.AllowAny]
    throttle_scope = "token_obtain"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("Wrong username or password."))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=204)
