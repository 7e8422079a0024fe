"""{% jkmap_config %}: the map settings that grids/static/grids/jkmap.js reads (window.JKMap).

Put it once on any page with a Leaflet map, before the scripts; no inline script (a JSON block).
"""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import json_script

register = template.Library()


@register.simple_tag
def jkmap_config():
    return json_script(
        {
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
            "tileSubdomains": settings.MAP_TILE_SUBDOMAINS,
            "tileOverlayUrl": settings.MAP_TILE_OVERLAY_URL,
            "tileDatum": settings.MAP_TILE_DATUM,
            "basemapUrl": reverse("grids:basemap"),
            # JKMap puts a community's id in place of the 0.
            "buildingsUrl": reverse("grids:basemap_buildings", args=[0]),
        },
        "jkmap-config",
    )
