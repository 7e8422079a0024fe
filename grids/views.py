"""Public pages of the station finder, and the staff page of the 15-minute service circle."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from organization.models import OrgUnit, UnitKind
from organization.selectors import scope_root_units, units_visible_to

from . import geo, selectors
from .forms import NearestForm, StationFilterForm
from .hours import local, opening_status, status_text
from .models import ServiceStation, Weekday
from .navigation import navigation_links

PAGE_SIZE = 20


def _with_status(stations, now):
    """Attach each station's opening status (from its prefetched hours) for the templates."""
    for station in stations:
        station.status = opening_status(station.hours.all(), now)
        station.status_text = status_text(station.status, now)
    return stations


def _markers(stations) -> list[dict]:
    return [
        {
            "id": s.pk,
            "name": s.name,
            "lat": s.lat,
            "lng": s.lng,
            "level": s.level,
            "open": s.status.is_open,
            "url": reverse("grids:station_detail", args=[s.pk]),
        }
        for s in stations
    ]


def _map_context() -> dict:
    return {"map_tile_url": settings.MAP_TILE_URL, "map_attribution": settings.MAP_TILE_ATTRIBUTION}


def station_list(request):
    form = StationFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # a filter that is not understood is left out; the others still apply
        stations = selectors.station_search(**form.search_kwargs())
    else:
        stations = selectors.stations_public()
    now = timezone.now()
    stations = _with_status(list(stations), now)
    page = Paginator(stations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "grids/station_list.html",
        {
            "form": form,
            "page": page,
            "total": len(stations),
            "markers": _markers(stations),
            "query": query.urlencode(),
            **_map_context(),
        },
    )


def station_detail(request, pk: int):
    try:
        station = selectors.station_public_detail(pk)
    except ServiceStation.DoesNotExist as exc:
        raise Http404 from exc
    now = timezone.now()
    _with_status([station], now)
    today = local(now).weekday()
    periods = list(station.hours.all())
    week = [
        {
            "label": label,
            "is_today": day == today,
            "periods": [p for p in periods if p.weekday == day],
        }
        for day, label in Weekday.choices
    ]
    return render(
        request,
        "grids/station_detail.html",
        {
            "station": station,
            "week": week,
            "markers": _markers([station]),
            "grids_served": list(station.grids_served.all()),
            "navigation": navigation_links(lat=station.lat, lng=station.lng, name=station.name),
            **_map_context(),
        },
    )


def station_nearest(request):
    form = NearestForm(request.GET or None)
    context = {"form": form, "results": None, "buildings": None, "here": None, **_map_context()}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        point = None
        if data.get("building"):
            building = data["building"]
            point = (building.lat, building.lng)
            context["building"] = building
        elif data.get("lat") is not None:
            point = (data["lat"], data["lng"])
        elif data.get("address"):
            found = list(selectors.building_search(data["address"]))
            if len(found) == 1:
                point = (found[0].lat, found[0].lng)
                context["building"] = found[0]
            else:
                context["buildings"] = found
        if point is not None:
            results = selectors.nearest_stations(lat=point[0], lng=point[1], limit=5)
            _with_status([r.station for r in results], timezone.now())
            context["results"] = results
            context["here"] = {"lat": point[0], "lng": point[1]}
            context["markers"] = _markers([r.station for r in results])
    context["circle_minutes"] = int(geo.SERVICE_CIRCLE_MINUTES)
    return render(request, "grids/station_nearest.html", context)


@login_required
def coverage(request):
    """The 15-minute circle for the staff user's part of the district."""
    roots = list(scope_root_units(request.user))
    if not roots:
        raise PermissionDenied
    unit = roots[0]
    if request.GET.get("unit"):
        try:
            unit = units_visible_to(request.user).get(
                pk=int(request.GET["unit"]),
                kind__in=[UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID],
            )
        except (ValueError, OrgUnit.DoesNotExist) as exc:
            raise Http404 from exc
    report = selectors.coverage_report(unit)
    return render(
        request,
        "grids/coverage.html",
        {
            "unit": unit,
            "roots": roots,
            "report": report,
            "circle_minutes": int(geo.SERVICE_CIRCLE_MINUTES),
            "walking_speed": int(geo.WALKING_METRES_PER_MINUTE),
            "detour_factor": geo.DETOUR_FACTOR,
            "show_streets": unit.kind == UnitKind.DISTRICT,
            "show_communities": unit.kind in (UnitKind.DISTRICT, UnitKind.STREET),
        },
    )


# --- The base map drawn from the portal's own data (for maps without a tile server) -----------


def _geojson_response(request, data: dict):
    import json

    from django.http import HttpResponse
    from django.utils.cache import patch_cache_control
    from django.utils.text import compress_string

    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    response = HttpResponse(body, content_type="application/geo+json")
    # Slow phones: a tenth of the size gzipped; the browser keeps it as long as the server does.
    if "gzip" in request.headers.get("Accept-Encoding", "") and len(body) > 1024:
        response.content = compress_string(body)
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    patch_cache_control(response, public=True, max_age=settings.MAP_BASEMAP_CACHE_SECONDS)
    return response


def basemap(request):
    """The district's streets, communities, grids and stations as GeoJSON (JKMap draws it)."""
    return _geojson_response(request, selectors.basemap_outlines())


def basemap_buildings(request, community_id: int):
    """One community's buildings as a GeoJSON MultiPoint (drawn when zoomed in)."""
    return _geojson_response(request, selectors.basemap_buildings(community_id))
