"""Links that open the way to a station in a phone's map app (导航): the phone's own map (geo:),
高德 (Amap) and 百度 (Baidu), and Amap's web page where no app answers.

Stations are stored in WGS-84 (GPS). Maps in China draw in GCJ-02, shifted by a few hundred
metres: Amap's app link takes GCJ-02 (dev=0: "already shifted"), so it gets the point converted
here (grids.datum); Amap's web link and Baidu's app link are told the points are WGS-84 and
convert themselves.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .datum import Datum, from_wgs84


def _coord(value: float) -> str:
    return f"{value:.6f}"  # about 0.1 m


def _query(params: dict) -> str:
    # The apps' documented forms keep ",", ":" and "|" as they are; names are percent-encoded.
    return urlencode(params, safe=",:|", quote_via=quote)


@dataclass(frozen=True)
class NavigationLinks:
    geo: str  # the phone's own map app (Android asks which one)
    amap_app: str
    amap_web: str  # works in any browser; opens the app when there is one
    baidu_app: str


def navigation_links(*, lat: float, lng: float, name: str) -> NavigationLinks:
    """Walking directions to (lat, lng), a WGS-84 point, named `name`."""
    lat_s, lng_s = _coord(lat), _coord(lng)
    # Separators that mean something inside the links (",", "|", "(", ")") are left out of names.
    clean = " ".join("".join(" " if ch in ",|()" else ch for ch in name).split())
    gcj_lat, gcj_lng = from_wgs84(lat, lng, Datum.GCJ02)
    geo = f"geo:{lat_s},{lng_s}?q={lat_s},{lng_s}({quote(clean)})"
    amap_app = "amapuri://route/plan/?" + _query(
        {
            "dlat": _coord(gcj_lat),
            "dlon": _coord(gcj_lng),
            "dname": clean,
            "dev": 0,  # the point is GCJ-02 already
            "t": 2,  # on foot
            "sourceApplication": "jingkou",
        }
    )
    amap_web = "https://uri.amap.com/navigation?" + _query(
        {
            "to": f"{lng_s},{lat_s},{clean}",
            "mode": "walk",
            "coordinate": "wgs84",
            "callnative": 1,
            "src": "jingkou",
        }
    )
    baidu_app = "baidumap://map/direction?" + _query(
        {
            "destination": f"latlng:{lat_s},{lng_s}|name:{clean}",
            "coord_type": "wgs84",
            "mode": "walking",
            "src": "jingkou.portal",
        }
    )
    return NavigationLinks(geo=geo, amap_app=amap_app, amap_web=amap_web, baidu_app=baidu_app)
