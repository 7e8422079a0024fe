"""Read-only API of the organization tree and the departments (/api/v1/units/, /departments/).

Units are scoped like the admin: a staff user sees the subtrees under their scopes.
"""

import django_filters
from rest_framework import serializers, viewsets

from core.api import IdFilter

from .models import Department, DepartmentLevel, OrgUnit, UnitKind
from .selectors import units_visible_to


class OrgUnitSerializer(serializers.ModelSerializer):
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
    under = IdFilter(method="filter_under", label="Units in the subtree of this unit (id)")
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


class DepartmentSerializer(serializers.ModelSerializer):
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
        field_name="paired_communities", label="Paired with this community (id)"
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
