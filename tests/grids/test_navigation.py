"""The 导航 links of a station page: each map app gets the station's point in the datum it reads."""

import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.urls import reverse

from grids.datum import Datum, from_wgs84
from grids.geo import straight_metres
from grids.navigation import navigation_links
from tests.organization.factories import chain

from .factories import station

pytestmark = pytest.mark.django_db


def _links(page: str) -> dict[str, str]:
    found = re.findall(r'<a class="button[^"]* nav-(\w+)" href="([^"]+)"', page)
    return {kind: html.unescape(href) for kind, href in found}


def test_station_page_links_every_map_app_to_the_station(client):
    _district, _street, (community,), _grids = chain()
    # A name with the characters the links use as separators.
    place = station(community, name="梦溪(东)社区党群服务站", north=1.234)
    page = client.get(reverse("grids:station_detail", args=[place.pk])).content.decode()
    links = _links(page)
    assert set(links) == {"amap", "baidu", "geo", "web"}
    lat, lng = f"{place.lat:.6f}", f"{place.lng:.6f}"
    name = "梦溪 东 社区党群服务站"

    # The phone's own map: WGS-84, as GPS.
    assert links["geo"].startswith(f"geo:{lat},{lng}?q={lat},{lng}(")
    assert unquote(links["geo"]).endswith(f"({name})")

    # 高德's app takes GCJ-02 (dev=0): the converted point, some hundreds of metres away.
    amap = urlsplit(links["amap"])
    assert (amap.scheme, amap.netloc, amap.path) == ("amapuri", "route", "/plan/")
    query = {k: v[0] for k, v in parse_qs(amap.query).items()}
    gcj_lat, gcj_lng = from_wgs84(place.lat, place.lng, Datum.GCJ02)
    assert float(query["dlat"]) == pytest.approx(gcj_lat, abs=1e-6)
    assert float(query["dlon"]) == pytest.approx(gcj_lng, abs=1e-6)
    assert 100 < straight_metres(place.lat, place.lng, gcj_lat, gcj_lng) < 1000
    assert (query["dev"], query["t"], query["dname"]) == ("0", "2", name)

    # 高德's web page and 百度's app are told the point is WGS-84.
    web = {k: v[0] for k, v in parse_qs(urlsplit(links["web"]).query).items()}
    assert links["web"].startswith("https://uri.amap.com/navigation?")
    assert web["to"] == f"{lng},{lat},{name}" and web["coordinate"] == "wgs84"
    baidu = urlsplit(links["baidu"])
    assert links["baidu"].startswith("baidumap://map/direction?")
    query = {k: v[0] for k, v in parse_qs(baidu.query).items()}
    assert query["destination"] == f"latlng:{lat},{lng}|name:{name}"
    assert (query["coord_type"], query["mode"]) == ("wgs84", "walking")


def test_links_follow_the_station_when_it_moves():
    here = navigation_links(lat=32.2044, lng=119.4553, name="站")
    there = navigation_links(lat=32.1892, lng=119.5021, name="站")
    assert "32.204400,119.455300" in here.geo and "32.189200,119.502100" in there.geo
    assert here.amap_app != there.amap_app and here.baidu_app != there.baidu_app
