"""A station's name and address typed as markup are shown as text on every public station page
(the list, its map data, the detail page, the nearest-station answer)."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.organization.factories import chain

from .factories import BASE_LAT, BASE_LNG, station

pytestmark = pytest.mark.django_db

MARKUP = '<img src=x onerror="alert(1)">'


def test_station_markup_is_text_on_every_public_station_page(client):
    _, _, [c1], _ = chain(communities=1, grids=0)
    target = station(c1, name=f"{MARKUP}服务站", address=f"京口区{MARKUP}路8号")
    pages = [
        client.get(reverse("grids:station_list")),
        client.get(reverse("grids:station_detail", args=[target.pk])),
        client.get(reverse("grids:station_nearest"), {"lat": BASE_LAT, "lng": BASE_LNG}),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "<img src=x" not in html, page.request["PATH_INFO"]
        assert escape(MARKUP) in html or "\\u003Cimg" in html, page.request["PATH_INFO"]
