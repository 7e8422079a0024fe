"""The public map of problems (/problems/ and /api/v1/problems/geojson/): only requests the
resident allowed to show AND staff approved, open or resolved within 30 days; filters; what an
item shows (never a name, phone, room or tracking code); a fixed number of queries; the cap."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError, OutOfScope
from resident_requests import selectors, services
from resident_requests.models import RequestSupporter, ResidentRequest, Status

from .factories import submit

PAGE = reverse("resident_requests:problems")
FEED = reverse("api-problems-geojson")
ADMIN_LIST = reverse("admin:resident_requests_residentrequest_changelist")
SECRET_TEXT = "我是9号楼302室的张桂英，请打我电话13612345678，楼下路灯坏了"
SECRETS = ["302室", "张桂英", "桂英", "13612345678"]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def shown(w, *, building_index=0, **extra):
    """A request its resident allowed to show, approved by its grid's leader."""
    request = submit(w, building_index=building_index, public_allowed=True, **extra)
    leader = w.users[["leader", "leader_b", "leader_c", "leader"][building_index]]
    return services.request_public_map_set(request=request, actor=leader, approved=True)


def page_ids(client, **query) -> list[str]:
    response = client.get(PAGE, query)
    assert response.status_code == 200
    markers = response.context["markers"]
    rows = response.context["rows"]
    assert {m["id"] for m in markers} <= {r.public_id for r in ResidentRequest.objects.all()}
    return [row["id"] for row in rows]


def feed_ids(client, **query) -> list[str]:
    response = client.get(FEED, query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/geo+json")
    return [f["id"] for f in response.json()["features"]]


# --- Who appears ---------------------------------------------------------------------------------


def test_only_allowed_and_approved_requests_appear(client, w):
    not_allowed = submit(w, public_allowed=False)
    not_approved = submit(w, public_allowed=True)
    approved = shown(w)
    with pytest.raises(ApplicationError):
        services.request_public_map_set(request=not_allowed, actor=w.users["leader"], approved=True)
    for ids in (page_ids(client), feed_ids(client)):
        assert ids == [approved.public_id]
    assert not_approved.public_id not in client.get(PAGE).content.decode()

    services.request_public_map_set(request=approved, actor=w.users["leader"], approved=False)
    assert page_ids(client) == [] and feed_ids(client) == []


def test_approval_needs_the_request_in_the_actors_scope(w):
    request = submit(w, public_allowed=True)
    with pytest.raises(OutOfScope):
        services.request_public_map_set(request=request, actor=w.users["leader_c"], approved=True)
    request.refresh_from_db()
    assert request.public_approved_at is None


def test_resolved_shows_for_30_days_rejected_never(client, w):
    leader = w.users["leader"]
    recent, old, rejected = shown(w), shown(w), shown(w)
    for request in (recent, old):
        services.request_accept(request=request, actor=leader)
        services.request_resolve(request=request, actor=leader, note="修好了")
    ResidentRequest.objects.filter(pk=old.pk).update(
        resolved_at=timezone.now() - datetime.timedelta(days=31)
    )
    services.request_reject(request=rejected, actor=leader, reason="不属于本网格")
    assert set(page_ids(client)) == {recent.public_id}
    assert feed_ids(client, status="resolved") == [recent.public_id]
    assert feed_ids(client, status="open") == []


def test_admin_action_shows_and_hides_and_explains_a_refusal(client, w):
    allowed = submit(w, public_allowed=True)
    private = submit(w, public_allowed=False)
    client.force_login(w.users["leader"])
    response = client.post(
        ADMIN_LIST,
        {"action": "show_on_public_map", "_selected_action": [allowed.pk, private.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "1 requests are shown on the public map" in text
    assert "did not allow public display" in text
    assert page_ids(client) == [allowed.public_id]
    client.post(ADMIN_LIST, {"action": "hide_from_public_map", "_selected_action": [allowed.pk]})
    assert page_ids(client) == []


# --- Filters -------------------------------------------------------------------------------------


def test_filters_by_street_community_category_and_status(client, w):
    a = shown(w, building_index=0)  # community 1
    b = shown(w, building_index=2, category=w.other_category)  # community 2
    services.request_accept(request=b, actor=w.users["leader_c"])
    services.request_resolve(request=b, actor=w.users["leader_c"], note="修好了")
    both = {a.public_id, b.public_id}
    assert set(page_ids(client, street=w.street.pk)) == both
    assert page_ids(client, community=w.communities[0].pk) == [a.public_id]
    assert feed_ids(client, community=w.communities[1].pk) == [b.public_id]
    assert page_ids(client, category=w.other_category.pk) == [b.public_id]
    assert set(feed_ids(client, category=w.category.parent_id)) == both  # the group
    assert page_ids(client, status="open") == [a.public_id]
    assert feed_ids(client, status="resolved") == [b.public_id]


def test_a_filter_not_understood_is_left_out_on_the_page_and_refused_by_the_api(client, w):
    a = shown(w)
    response = client.get(PAGE, {"community": "x", "status": "bogus"})
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert [row["id"] for row in response.context["rows"]] == [a.public_id]
    for query in ({"community": "x"}, {"status": "bogus"}, {"category": "999999"}):
        response = client.get(FEED, query)
        assert response.status_code == 400
        assert "errors" in response.json()


# --- What an item shows --------------------------------------------------------------------------


def test_no_personal_detail_or_tracking_code_on_the_page_or_the_feed(client, w):
    request = shown(w, submitter_name="张桂英", description=SECRET_TEXT)
    page = client.get(PAGE).content.decode()
    feed = json.dumps(client.get(FEED).json(), ensure_ascii=False)
    for text in (page, feed):
        for secret in [*SECRETS, request.code, request.access_token]:
            assert secret not in text
        assert request.public_id in text
        assert "楼下路灯坏了" in text  # the rest of the resident's words, redacted
        assert w.buildings[0].address in text
    public_url = reverse("resident_requests:public", args=[selectors.public_ref(request)])
    assert f'href="{public_url}"' in page
    assert client.get(FEED).json()["features"][0]["properties"]["url"] == public_url


def test_without_a_building_the_point_is_rounded(client, w):
    request = shown(w)
    ResidentRequest.objects.filter(pk=request.pk).update(
        building=None, lat=32.2012345, lng=119.4498765, address="9号楼302室"
    )
    feature = client.get(FEED).json()["features"][0]
    assert feature["geometry"]["coordinates"] == [119.45, 32.201]
    assert feature["properties"]["place"] == w.grids[0].name
    assert "302室" not in client.get(PAGE).content.decode()


def test_home_page_links_to_the_map(client, w):
    assert f'href="{PAGE}"' in client.get("/").content.decode()


def test_me_too_from_the_public_page_of_a_listed_problem(client, w):
    request = shown(w)
    page = client.get(PAGE).content.decode()
    public_url = re.search(r'href="(/requests/p/[^"]+)"', page).group(1)
    detail = client.get(public_url).content.decode()
    assert 'id="me-too"' in detail
    ref = re.search(r'name="ref" value="([0-9a-f]+)"', detail).group(1)
    response = client.post(
        reverse("resident_requests:support"),
        {
            "ref": ref,
            "building": w.buildings[0].pk,
            "category": w.category.pk,
            "phone": "13700009999",
            "consent": "on",
        },
    )
    assert response.status_code == 200
    assert RequestSupporter.objects.get(request=request).phone == "13700009999"


def test_no_me_too_on_a_resolved_problem(client, w):
    request = shown(w)
    services.request_accept(request=request, actor=w.users["leader"])
    services.request_resolve(request=request, actor=w.users["leader"], note="修好了")
    public_url = reverse("resident_requests:public", args=[selectors.public_ref(request)])
    assert 'id="me-too"' not in client.get(public_url).content.decode()


# --- Performance ---------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_a_fixed_number_of_queries_whatever_the_count(client, w):
    for _ in range(3):
        shown(w)
    client.get(PAGE), client.get(FEED)  # warm the memoized choices, the session, the throttle
    few = (_queries(client, PAGE), _queries(client, FEED))
    for index in range(30):  # more than a page of the list (20)
        shown(w, building_index=index % 3)
    many = (_queries(client, PAGE), _queries(client, FEED))
    assert many == few
    assert few[0] <= 6 and few[1] <= 3


def test_the_map_and_the_feed_are_capped(client, w, monkeypatch):
    monkeypatch.setattr(selectors, "PUBLIC_MAP_MAX_POINTS", 3)
    made = [shown(w) for _ in range(5)]
    newest = [r.public_id for r in reversed(made)][:3]
    body = client.get(FEED).json()
    assert [f["id"] for f in body["features"]] == newest and body["truncated"] is True
    response = client.get(PAGE)
    assert [m["id"] for m in response.context["markers"]] == newest
    assert response.context["page"].paginator.count == 5
    assert Status.SUBMITTED in {r.status for r in made}
