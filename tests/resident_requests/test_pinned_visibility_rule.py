"""The one visibility rule (request_visible_q) where a person wears two hats: a grid leader who
is a party member in another grid, a community's staff who also answer for a department, and
the fast path the admin's big list takes (grids_first). A staff member would notice a list that
shows another grid's orders, or one that loses their own grid's requests (found by `make
mutants` on resident_requests.selectors)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from organization.models import StaffRole, StaffScope
from resident_requests import selectors
from resident_requests.models import RequestDepartment, ResidentRequest

from .factories import submit

pytestmark = pytest.mark.django_db


def _pks(user, **kwargs):
    q = selectors.request_visible_q(user, **kwargs)
    return set(ResidentRequest.objects.filter(q).values_list("pk", flat=True))


@pytest.fixture
def requests_abc(w):
    """One request in each of the grids A, B (community 1) and C (community 2)."""
    return [submit(w, building_index=i) for i in range(3)]


def test_a_leader_who_is_a_member_elsewhere_lists_only_their_grid_as_staff(w, requests_abc):
    a, b, c = requests_abc
    person = w.members[2]  # a party member of grid C
    StaffScope.objects.create(user=person.user, role=StaffRole.GRID_LEADER, unit=w.grids[0].unit)
    ResidentRequest.objects.filter(pk=c.pk).update(assignee=person)

    # The staff lists (admin, notifications): grid A's requests, not the order in grid C.
    assert _pks(person.user) == {a.pk}
    assert set(selectors.requests_visible_to(person.user).values_list("pk", flat=True)) == {a.pk}
    # Where members act on their orders (API, member pages): both.
    assert _pks(person.user, assigned=True) == {a.pk, c.pk}


def test_staff_who_also_answer_for_a_department_see_both(w, requests_abc):
    a, b, c = requests_abc
    user = w.users["community2"]  # community 2: grid C
    StaffScope.objects.create(user=user, role=StaffRole.DEPARTMENT_STAFF, department=w.department)
    RequestDepartment.objects.create(
        request=a,
        department=w.department,
        acknowledge_deadline=a.created_at,
        done_deadline=a.created_at,
    )

    assert _pks(user) == {a.pk, c.pk}
    assert _pks(user, grids_first=True) == {a.pk, c.pk}


@pytest.mark.parametrize(
    ("login", "expected"),
    [("street", {0, 1, 2}), ("community", {0, 1}), ("leader_b", {1}), ("dept", set())],
)
def test_the_big_lists_fast_path_shows_the_same_requests(w, requests_abc, login, expected):
    user = w.users[login]
    pks = {requests_abc[i].pk for i in expected}
    assert _pks(user, grids_first=True) == pks == _pks(user)


def test_nobody_logged_in_sees_no_request(w, requests_abc):
    assert _pks(None) == set()
    assert _pks(AnonymousUser()) == set()
    assert not selectors.requests_visible_to(None).exists()
