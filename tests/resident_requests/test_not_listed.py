"""'My building is not in the list': the form's fallback (map point, typed address, community),
where such a request goes, staff setting its building later, and every page that shows a
request without a building."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core.exceptions import ApplicationError, IllegalTransition, OutOfScope
from resident_requests import services
from resident_requests.forms import new_form_token
from resident_requests.models import EventKind, HandlingLevel, ResidentRequest
from tests.grids.factories import BASE_LAT, BASE_LNG, building, square
from tests.resident_requests.factories import submit, without_building

pytestmark = pytest.mark.django_db
NEW = reverse("resident_requests:new")
PASSWORD = "pw-for-tests-123"
TRIAGE_NOTE = (
    "Location needs checking: the building is not in the list and no map point fits a "
    "grid, so the community sorts it out. Set the building once the place is known."
)


def form_data(w, **extra):
    data = {
        "name": "李阿姨",
        "phone": "13912345678",
        "building_text": "",
        "building": "",
        "not_listed": "on",
        "lat": "",
        "lng": "",
        "community": "",
        "address": "",
        "category_group": w.category.parent_id,
        "category": w.category.pk,
        "description": "路口的井盖松了，走路会绊倒。",
        "consent": "on",
        "website": "",
        "form_token": new_form_token(),
        "confirm_new": "1",
    }
    data.update(extra)
    return data


def submitted(response) -> ResidentRequest:
    assert response.status_code == 302, response.content.decode()[:3000]
    return ResidentRequest.objects.get()


def as_zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return gettext(msgid)


# --- The form ------------------------------------------------------------------------------------


def test_form_offers_the_path_with_communities_by_street_and_a_map(client, w):
    html = client.get(NEW).content.decode()
    assert 'name="not_listed"' in html
    assert f'<optgroup label="{w.street.name}">' in html
    for community in w.communities:
        assert f'<option value="{community.pk}">{community.name}</option>' in html
    assert 'id="pin-map"' in html and "vendor/leaflet/leaflet.js" in html


def test_pin_inside_a_grid_boundary_goes_to_that_grid(client, w):
    # Grid C's outline lies 3 km away from every building: only the outline can place it.
    grid = w.grids[2]
    grid.boundary = square(BASE_LAT + 0.035, BASE_LNG + 0.015)
    grid.save()
    request = submitted(
        client.post(NEW, form_data(w, lat=f"{BASE_LAT + 0.0355}", lng=f"{BASE_LNG + 0.0151}"))
    )
    assert request.building is None and request.grid == grid
    assert request.level == HandlingLevel.GRID
    assert (request.lat, request.lng) == (pytest.approx(BASE_LAT + 0.0355), BASE_LNG + 0.0151)


def test_pin_near_a_building_goes_to_its_grid(client, w):
    target = w.buildings[1]  # grid B; the others are 1 km and more away
    request = submitted(
        client.post(
            NEW,
            form_data(w, building_text="新盖的7号楼", lat=f"{target.lat + 0.0008}", lng=target.lng),
        )
    )
    assert request.building is None and request.grid == w.grids[1]
    assert request.level == HandlingLevel.GRID
    assert request.address == "新盖的7号楼"
    note = request.events.get().internal_note
    assert target.address in note


def test_address_and_community_only_go_to_the_communitys_triage(client, w):
    community = w.communities[0]
    request = submitted(
        client.post(
            NEW,
            form_data(w, building_text="幸福里12号", address="3单元", community=community.pk),
        )
    )
    first_grid = min((g for g in w.grids if g.community_id == community.pk), key=lambda g: g.code)
    assert request.building is None and request.grid == first_grid
    assert request.level == HandlingLevel.COMMUNITY
    assert request.address == "幸福里12号，3单元"
    assert request.events.get().internal_note == as_zh(TRIAGE_NOTE)


def test_the_grid_whose_buildings_match_the_address_takes_it(client, w):
    building(w.grids[1], north=10.5, address="幸福里1号楼")
    building(w.grids[1], north=10.6, address="幸福里2号楼")
    request = submitted(
        client.post(NEW, form_data(w, building_text="幸福里12号楼", community=w.communities[0].pk))
    )
    assert request.grid == w.grids[1]
    assert request.level == HandlingLevel.COMMUNITY
    # Without the community the typed estate alone finds it.
    ResidentRequest.objects.all().delete()
    request = submitted(client.post(NEW, form_data(w, building_text="幸福里12号楼")))
    assert request.grid == w.grids[1]


def test_an_address_that_says_nothing_known_asks_for_the_community(client, w):
    response = client.post(NEW, form_data(w, building_text="不知道哪里的路88号"))
    assert response.status_code == 200
    assert response.context["form"].has_error("community")
    assert not ResidentRequest.objects.exists()


def test_pin_outside_the_district_is_refused_and_nothing_is_saved(client, w):
    response = client.post(
        NEW, form_data(w, building_text="南京路1号", lat="31.2304", lng="121.4737")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["lat"]
    assert errors == [
        as_zh(
            "That point is outside Jingkou district. Put the pin where the problem is, or write "
            "the address instead."
        )
    ]
    assert errors[0] in response.content.decode()
    assert not ResidentRequest.objects.exists()


@pytest.mark.parametrize("lat,lng", [("abc", "119.45"), ("32.2", ""), ("nan", "119.45")])
def test_an_unreadable_map_point_is_refused(client, w, lat, lng):
    response = client.post(NEW, form_data(w, building_text="幸福里12号", lat=lat, lng=lng))
    assert response.status_code == 200
    assert response.context["form"].has_error("lat") or response.context["form"].has_error("lng")
    assert not ResidentRequest.objects.exists()


def test_an_address_of_only_spaces_is_refused_and_nothing_is_saved(client, w):
    response = client.post(
        NEW, form_data(w, building_text="   \u3000 ", community=w.communities[0].pk)
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("building_text")
    assert not ResidentRequest.objects.exists()


def test_without_the_tick_a_building_is_still_needed(client, w):
    response = client.post(NEW, form_data(w, not_listed="", building_text="  "))
    assert response.status_code == 200
    assert response.context["form"].has_error("building_text")
    assert not ResidentRequest.objects.exists()
    # A building picked as before still works, and a stray map point is not kept.
    b = w.buildings[0]
    request = submitted(
        client.post(
            NEW,
            form_data(w, not_listed="", building_text=b.address, building=b.pk, lat="32.25"),
        )
    )
    assert request.building == b and request.lat is None


def test_the_service_refuses_a_point_outside_the_district(w):
    with pytest.raises(ApplicationError):
        without_building(w, lat=40.0, lng=116.4)
    with pytest.raises(ApplicationError):  # nothing at all says where
        without_building(w, address="", community=None)
    assert not ResidentRequest.objects.exists()


# --- Staff set the building later ------------------------------------------------------------------


def test_staff_set_the_building_and_the_request_moves_to_its_grid(w):
    request = without_building(w)
    assert request.grid == w.grids[0]
    target = w.buildings[1]  # grid B
    services.request_set_building(request=request, building=target, actor=w.users["community"])
    request.refresh_from_db()
    assert request.building == target and request.grid == w.grids[1]
    event = request.events.order_by("-id").first()
    assert event.kind == EventKind.LOCATED and target.address in event.internal_note
    with pytest.raises(IllegalTransition):
        services.request_set_building(
            request=request, building=w.buildings[0], actor=w.users["community"]
        )


def test_set_building_outside_the_actors_area_is_refused(w):
    request = without_building(w)
    with pytest.raises(OutOfScope):  # grid C is community 2's
        services.request_set_building(
            request=request, building=w.buildings[2], actor=w.users["community"]
        )
    with pytest.raises(OutOfScope):  # a grid leader of another grid
        services.request_set_building(
            request=request, building=w.buildings[2], actor=w.users["leader_c"]
        )
    request.refresh_from_db()
    assert request.building is None and request.grid == w.grids[0]
    assert request.events.count() == 1


# --- Every page with a request without a building ------------------------------------------------


def test_admin_list_change_page_and_set_building(client, w):
    request = without_building(w)
    client.force_login(w.users["community"])
    listing = client.get(reverse("admin:resident_requests_residentrequest_changelist"))
    assert listing.status_code == 200 and request.code in listing.content.decode()
    change = client.get(
        reverse("admin:resident_requests_residentrequest_change", args=[request.pk])
    )
    assert change.status_code == 200
    html = change.content.decode()
    assert as_zh("Location to be checked") in html and "幸福里12号门口" in html
    url = reverse(
        "admin:resident_requests_residentrequest_transition", args=[request.pk, "set_building"]
    )
    assert url in html
    form_page = client.get(url)
    assert form_page.status_code == 200 and "admin/js/autocomplete.js" in form_page.content.decode()
    # A building outside the user's area is not a choice.
    refused = client.post(url, {"building": w.buildings[2].pk})
    assert refused.status_code == 200
    request.refresh_from_db()
    assert request.building is None
    done = client.post(url, {"building": w.buildings[1].pk})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.building == w.buildings[1] and request.grid == w.grids[1]
    after = client.get(reverse("admin:resident_requests_residentrequest_change", args=[request.pk]))
    assert url not in after.content.decode()  # no second time


def test_api_detail_tracking_page_and_open311_record(client, w):
    from rest_framework.test import APIClient

    request = without_building(w, lat=BASE_LAT + 0.0001, lng=BASE_LNG)
    api = APIClient()
    api.force_authenticate(w.users["street"])
    detail = api.get(f"/api/v1/requests/{request.code}/")
    assert detail.status_code == 200
    assert detail.json()["building"] is None
    track = client.get(reverse("resident_requests:token", args=[request.access_token]))
    assert track.status_code == 200 and request.code in track.content.decode()
    record = client.get(f"/open311/v2/requests/{request.public_id}.json")
    assert record.status_code == 200
    (item,) = record.json()
    assert "address_id" not in item and item["address"] == request.grid.name
    assert item["lat"] == pytest.approx(BASE_LAT + 0.0001)


def test_dashboards_and_member_pages(client, w):
    request = without_building(w, community=None, address="", lat=BASE_LAT, lng=BASE_LNG)
    assert request.address == ""
    client.force_login(w.users["org"])
    assert client.get(reverse("dashboards:dashboard")).status_code == 200
    # Staff at the community level dispatch it to a member of grid A, who sees where to go.
    services.request_accept(request=request, actor=w.users["community"])
    services.request_dispatch(request=request, actor=w.users["community"], assignee=w.members[0])
    client.force_login(w.members[0].user)
    orders = client.get(reverse("resident_requests:member_orders"))
    assert as_zh("Location to be checked") in orders.content.decode()
    order = client.get(reverse("resident_requests:member_order", args=[request.code]))
    assert order.status_code == 200
    assert f"{BASE_LAT:.5f}" in order.content.decode()


def test_admin_filter_lists_the_requests_whose_place_needs_checking(client, w):
    unlocated = without_building(w)
    located = submit(w)
    client.force_login(w.users["community"])
    changelist = reverse("admin:resident_requests_residentrequest_changelist")
    page = client.get(changelist).content.decode()
    assert as_zh("Needs checking (no building)") in page  # the filter is offered
    check = client.get(changelist, {"location": "check"}).content.decode()
    assert unlocated.code in check and located.code not in check
    at_building = client.get(changelist, {"location": "building"}).content.decode()
    assert located.code in at_building and unlocated.code not in at_building


def test_setting_the_building_keeps_the_typed_address_or_takes_the_building_s(w):
    """Pinned from a mutation run: the address the resident typed stays; a request with only
    a pin gets the building's address. The staff member is named, and the note says which
    building and, only when it changed, which grids (each message translated)."""
    community = w.users["community"]
    typed = without_building(w)
    assert typed.grid == w.grids[0] != w.buildings[1].grid
    services.request_set_building(request=typed, building=w.buildings[1], actor=community)
    typed.refresh_from_db()
    assert typed.address == "幸福里12号门口"
    event = typed.events.get(kind=EventKind.LOCATED)
    assert event.actor == community
    building = gettext("Building set to %(building)s.") % {"building": w.buildings[1].address}
    moved = gettext("Moved from grid %(from)s to grid %(to)s.") % {
        "from": w.grids[0].name,
        "to": w.buildings[1].grid.name,
    }
    assert event.internal_note == f"{building} {moved}"

    pinned = without_building(w, address="", lat=w.buildings[0].lat, lng=w.buildings[0].lng)
    assert pinned.grid == w.buildings[0].grid
    services.request_set_building(request=pinned, building=w.buildings[0], actor=community)
    pinned.refresh_from_db()
    assert pinned.address == w.buildings[0].address
    note = pinned.events.get(kind=EventKind.LOCATED).internal_note
    assert note == gettext("Building set to %(building)s.") % {"building": w.buildings[0].address}
