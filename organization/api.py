"""Read-only API of the organization tree and the departments (/api/v1/units/, /departments/),
and API tokens for staff (/api/v1/auth/token/).

Units are scoped like the admin: a staff user sees the subtrees under their scopes.
"""

import django_filters
from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, PermissionDenied
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core import two_factor
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


CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


class DepartmentSerializer(CleanInputSerializerMixin, serializers.ModelSerializer):
    """A department; its contact person, phone and e-mail only for staff (a party member with a
    login reads the departments, not the people behind them)."""

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
        extra_kwargs = {
            field: {"required": False, "help_text": _("Staff only: absent for other callers")}
            for field in CONTACT_FIELDS
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not (request and request.user.is_authenticated and request.user.is_staff):
            for field in CONTACT_FIELDS:
                data.pop(field, None)
        return data


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
    otp = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text=_("The one-time code from your authenticator app, if you set up two-factor."),
    )


class TokenSerializer(Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """POST username and password (and `otp`, the one-time code, if you set up two-factor
    sign-in): your API token (the same one until you DELETE it).
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
        # Two-factor (core.two_factor): the code too, for a user with a device; a missing or
        # wrong code is a failed login for the lockout.
        if two_factor.has_device(user):
            code = serializer.validated_data.get("otp", "")
            if two_factor.device_for_code(user, code) is None:
                two_factor.code_failed(request._request, username=user.get_username())
                if not two_factor.clean_code(code):
                    raise AuthenticationFailed(
                        _(
                            "This account uses two-factor sign-in: send the 6-digit code from "
                            'your authenticator app in the field "otp".'
                        )
                    )
                raise AuthenticationFailed(
                    _("The one-time code is wrong or has expired: send the current code.")
                )
        elif two_factor.setup_required_for(user):
            raise PermissionDenied(
                _("Set up two-factor sign-in first: %(url)s")
                % {"url": request.build_absolute_uri(reverse("core:two_factor_setup"))}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=204)
