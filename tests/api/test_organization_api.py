"""/api/v1/units/, /api/v1/departments/ and /api/v1/auth/token/."""

import pytest
from rest_framework.test import APIClient

from organization.models import UnitKind


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_anonymous_callers_are_asked_to_authenticate(w):
    response = APIClient().get("/api/v1/units/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_units_are_limited_to_the_callers_subtree(w, client_for):
    community = w.communities[0]
    seen = ids(client_for(w.users["community"]).get("/api/v1/units/"))
    assert community.pk in seen
    assert {g.unit_id for g in w.grids[:2]} <= seen
    assert w.grids[2].unit_id not in seen  # the other community's grid
    assert w.street.pk not in seen

    leader_sees = ids(client_for(w.users["leader"]).get("/api/v1/units/"))
    assert leader_sees == {w.grids[0].unit_id}

    assert ids(client_for(w.users["dept"]).get("/api/v1/units/")) == set()


def test_units_filter_by_kind_and_subtree(w, client_for):
    client = client_for(w.users["org"])
    grids = ids(client.get("/api/v1/units/", {"kind": UnitKind.GRID}))
    assert {g.unit_id for g in w.grids} <= grids
    under = ids(client.get("/api/v1/units/", {"under": w.communities[1].pk}))
    assert {w.communities[1].pk, w.grids[2].unit_id} <= under
    assert not {w.communities[0].pk, w.grids[0].unit_id, w.street.pk} & under
    assert client.get("/api/v1/units/", {"kind": "galaxy"}).status_code == 400
    assert client.get("/api/v1/units/", {"under": "x"}).status_code == 400


def test_unit_outside_scope_is_not_found(w, client_for):
    response = client_for(w.users["leader"]).get(f"/api/v1/units/{w.street.pk}/")
    assert response.status_code == 404


def test_departments_are_listed_with_their_pairing(w, client_for):
    w.department.paired_communities.add(w.communities[0])
    response = client_for(w.users["leader"]).get(
        "/api/v1/departments/", {"paired_community": w.communities[0].pk}
    )
    assert ids(response) == {w.department.pk}


def test_token_is_issued_for_a_password_and_authenticates(w):
    user = w.users["community"]
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/units/").status_code == 200
    # Revoked: the old token stops working.
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/units/").status_code == 401


def test_token_refused_for_a_wrong_password(w):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": w.users["community"].username, "password": "nope"}
    )
    assert response.status_code in (401, 403)
    assert "token" not in response.json()


def test_department_contacts_are_for_staff_only(w, client_for):
    w.department.contact_name = "周科长"
    w.department.contact_phone = "0511-85550000"
    w.department.contact_email = "cg@example.org"
    w.department.save()
    contacts = {"contact_name", "contact_phone", "contact_email"}

    member = w.members[0].user  # a party member with a login, not staff
    assert not member.is_staff
    for path in ("/api/v1/departments/", f"/api/v1/departments/{w.department.pk}/"):
        response = client_for(member).get(path)
        assert response.status_code == 200, response.content
        text = response.content.decode()
        assert "周科长" not in text and "85550000" not in text and "cg@example.org" not in text
    rows = client_for(member).get("/api/v1/departments/").json()["results"]
    assert rows and all(not contacts & set(row) for row in rows)
    assert {row["name"] for row in rows} >= {w.department.name}

    rows = client_for(w.users["leader"]).get("/api/v1/departments/").json()["results"]
    mine = next(row for row in rows if row["id"] == w.department.pk)
    assert (mine["contact_name"], mine["contact_phone"], mine["contact_email"]) == (
        "周科长", "0511-85550000", "cg@example.org"
    )  # fmt: skip


def test_department_list_queries_do_not_grow_with_departments(
    w, client_for, django_assert_max_num_queries
):
    from organization.models import Department, DepartmentLevel

    for n in range(10):
        Department.objects.create(name=f"部门{n}", code=f"DX{n}", level=DepartmentLevel.DISTRICT)
    client = client_for(w.members[0].user)
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/departments/").status_code == 200
