"""Who must set up two-factor sign-in because they see residents' full personal data: the
organization department, and nobody else by their role (found by `make mutants`: nothing held
organization.selectors.is_organization_department)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from core.two_factor import is_privileged
from organization.models import StaffRole
from organization.selectors import is_organization_department

from .factories import chain, staff_user

pytestmark = pytest.mark.django_db


def test_only_the_organization_department_counts_as_privileged_by_its_role():
    district, street, [community], [grid] = chain()
    org = staff_user(StaffRole.ORG_DEPARTMENT, unit=district)
    others = [
        staff_user(StaffRole.GRID_LEADER, unit=grid),
        staff_user(StaffRole.COMMUNITY_STAFF, unit=community),
        staff_user(StaffRole.STREET_STAFF, unit=street),
    ]

    assert is_organization_department(org) and is_privileged(org)
    for user in others:
        assert not is_organization_department(user), user
        assert not is_privileged(user), user
    assert not is_privileged(AnonymousUser())
