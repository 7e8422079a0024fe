import pytest
from django.urls import reverse

from organization.models import OrgUnit, StaffRole, UnitKind

from .factories import chain, staff_user, unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_communities():
    district, street, [c1, c2], [g1, g2] = chain(communities=2, grids=1)
    return district, street, c1, c2, g1, g2


def test_community_staff_see_only_their_subtree_in_the_tree_list(client, two_communities):
    _, street, c1, c2, g1, g2 = two_communities
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=c1))
    response = client.get(reverse("admin:organization_orgunit_changelist"))
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert shown == {c1.pk, g1.pk}


def test_another_communitys_unit_cannot_be_opened(client, two_communities):
    _, _, c1, c2, g1, g2 = two_communities
    client.force_login(staff_user(StaffRole.COMMUNITY_STAFF, unit=c1))
    url = reverse("admin:organization_orgunit_change", args=[g2.pk])
    response = client.get(url, follow=True)
    # The admin answers an object outside the queryset by redirecting with "does not exist".
    assert g2.name not in response.content.decode()
    assert response.redirect_chain


def test_adding_a_unit_in_the_admin_goes_through_the_level_rule(client, two_communities):
    district, street, c1, *_ = two_communities
    admin_user = staff_user(StaffRole.ORG_DEPARTMENT, unit=district, is_superuser=True)
    client.force_login(admin_user)
    url = reverse("admin:organization_orgunit_add")
    ok = client.post(
        url,
        {
            "kind": UnitKind.GRID,
            "org_form": "group",
            "name": "新网格党小组",
            "code": "NEW-G",
            "parent": c1.pk,
            "positions-TOTAL_FORMS": 0,
            "positions-INITIAL_FORMS": 0,
        },
    )
    assert ok.status_code == 302
    created = OrgUnit.objects.get(code="NEW-G")
    assert created.parent == c1 and created.org_form == "group"
    wrong = client.post(
        url,
        {
            "kind": UnitKind.GRID,
            "org_form": "branch",
            "name": "错层级",
            "code": "BAD-G",
            "parent": street.pk,
            "positions-TOTAL_FORMS": 0,
            "positions-INITIAL_FORMS": 0,
        },
    )
    assert not OrgUnit.objects.filter(code="BAD-G").exists()
    assert wrong.status_code == 200
    assert str(UnitKind.STREET.label) in wrong.content.decode()


def test_another_streets_staff_see_none_of_this_street(client, two_communities):
    district, street, c1, c2, g1, g2 = two_communities
    other_street = unit(UnitKind.STREET, district)
    client.force_login(staff_user(StaffRole.STREET_STAFF, unit=other_street))
    response = client.get(reverse("admin:organization_orgunit_changelist"))
    assert {obj.pk for obj in response.context["cl"].result_list} == {other_street.pk}
    # Nor can they pick one of its units when they give someone a post.
    form = client.get(reverse("admin:organization_position_add")).context["adminform"].form
    assert not form.fields["unit"].queryset.filter(pk=c1.pk).exists()
    assert form.fields["unit"].queryset.filter(pk=other_street.pk).exists()
